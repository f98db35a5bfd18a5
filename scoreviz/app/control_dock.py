"""The dock on the right: the data, training, particle and view panels in one scrolling column."""
from __future__ import annotations

from .panels import DataPanel, SamplingPanel, TrainingPanel, ViewPanel
from .qt import QtCore, QtWidgets

MIN_WIDTH = 380


class ControlDock(QtWidgets.QDockWidget):
    """Holds the four panels (`data`, `training`, `sampling`, `view`); movable and floatable, not closable."""

    def __init__(self, parent, preset_names: list[str], devices: list[str]):
        super().__init__("Controls", parent)
        self.setObjectName("controls")   # the window's saved layout finds the dock by this name
        self.data = DataPanel(preset_names)
        self.training = TrainingPanel(devices)
        self.sampling = SamplingPanel()
        self.view = ViewPanel()
        column = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(column)
        layout.setContentsMargins(4, 0, 4, 4)
        for panel in (self.data, self.training, self.sampling, self.view):
            layout.addWidget(panel)
        layout.addStretch(1)
        scroll = QtWidgets.QScrollArea()
        scroll.setWidget(column)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWidget(scroll)
        features = QtWidgets.QDockWidget.DockWidgetFeature
        self.setFeatures(features.DockWidgetMovable | features.DockWidgetFloatable)
        self.setMinimumWidth(MIN_WIDTH)

    def apply_theme(self, theme, mode_colours) -> None:
        """The panels' plots in the theme's colours; the mode-weight bars in the scene's mode colours."""
        self.sampling.set_mode_colours(mode_colours)
        for plot in (self.training.loss_plot, self.training.level_plot, self.sampling.modes_plot):
            plot.setBackground(theme.panel)
        self.view.set_options({"theme": theme.name})
        self.training.loss_curve.setPen(theme.accent)
        self.training.level_bars.setOpts(brush=theme.accent)
