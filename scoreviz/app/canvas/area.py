"""The window's central area for the 2-D lab: the message banner, the canvas (the 2-D scene or the 1-D plot, and
the 3-D view when one is added) and the σ slider below them."""
from __future__ import annotations

from scoreviz.app.window.banner import MessageBanner
from scoreviz.app.canvas.plot1d import Plot1D
from scoreviz.app.qt import QtWidgets
from scoreviz.app.canvas.scene import Scene2D
from scoreviz.app.canvas.sigma_bar import SigmaBar


class CanvasArea(QtWidgets.QWidget):
    def __init__(self, theme, parent=None):
        super().__init__(parent)
        self.scene = Scene2D(theme)
        self.plot1d = Plot1D()
        self.plot1d.apply_theme(theme)
        self.stack = QtWidgets.QStackedWidget()
        self.stack.addWidget(self.scene.widget)
        self.stack.addWidget(self.plot1d)
        self.banner = MessageBanner()
        self.sigma_bar = SigmaBar()
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.setSpacing(4)
        layout.addWidget(self.banner)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.sigma_bar)
