"""The coloured line above the canvas for messages that must be seen (never a modal dialog)."""
from __future__ import annotations

from scoreviz.app.qt import QtCore, QtWidgets

#: How long a message stays (ms): errors longer, so they are read.
ERROR_MS = 30_000
NOTICE_MS = 12_000


class MessageBanner(QtWidgets.QLabel):
    """A coloured line above the canvas for messages that must be seen (never a modal dialog)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWordWrap(True)
        self.setVisible(False)
        self.setContentsMargins(10, 6, 10, 6)
        self.setCursor(QtCore.Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Click to dismiss")
        self.level = ""
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)

    def show_message(self, level: str, text: str, theme) -> None:
        self.level = level
        colour = {"error": theme.error, "warning": theme.warning}.get(level, theme.accent)
        self.setStyleSheet(f"background: {colour}26; border-left: 4px solid {colour}; color: {theme.text};"
                           "border-radius: 3px;")
        icon = {"error": "✖", "warning": "⚠"}.get(level, "ℹ")
        self.setText(f"{icon}  {text}")
        self.setVisible(True)
        self._timer.start(ERROR_MS if level == "error" else NOTICE_MS)

    def mousePressEvent(self, ev):
        self.hide()
