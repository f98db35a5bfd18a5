"""Help → About scoreviz: the versions of everything the app runs on, with a Copy button for bug reports."""
from __future__ import annotations

import PySide6

import scoreviz
from scoreviz.core.device import resolve_device
from scoreviz.core.environment import environment_rows, format_rows

from scoreviz.app.qt import QtCore, QtGui, QtWidgets
from scoreviz.app.icon import app_icon

__all__ = ["AboutDialog", "about_text", "show_about"]

SUMMARY = ("A desktop lab for score-based generative models: paint data, train a score model live, "
                 "watch the score field and Langevin particles.")


def _device_in_use(window) -> str:
    """What the window's model trains on: the last training frame's device, else the choice resolved."""
    frame = getattr(window, "last_train", None)
    if frame is not None and getattr(frame, "device", None):
        return str(frame.device)
    panel = getattr(window, "training_panel", None)
    choice = panel.device.currentData() if panel is not None else "auto"
    try:
        return f"{resolve_device(choice or 'auto')} ({choice or 'auto'})"
    except ValueError:
        return f"{choice} (not available here)"


def about_text(device: str | None = None) -> str:
    """The plain-text report shown in the box and copied by its button."""
    rows = environment_rows(device)
    qt_rows = [("Qt", f"{QtCore.qVersion()} (runtime), PySide6 {PySide6.__version__}")]
    app = QtGui.QGuiApplication.instance()
    if app is not None:
        qt_rows.append(("Qt platform", app.platformName()))
    at = next(i for i, (name, _) in enumerate(rows) if name == "PySide6")
    rows[at:at + 1] = qt_rows       # the runtime versions say more than the package's
    return format_rows(rows)


class AboutDialog(QtWidgets.QDialog):
    def __init__(self, parent=None, device: str | None = None):
        super().__init__(parent)
        self.setWindowTitle("About scoreviz")
        self.text = about_text(device)
        lay = QtWidgets.QVBoxLayout(self)
        head = QtWidgets.QHBoxLayout()
        icon = QtWidgets.QLabel()
        icon.setPixmap(app_icon().pixmap(64, 64))
        head.addWidget(icon)
        title = QtWidgets.QLabel(f"<b style='font-size:16px'>scoreviz {scoreviz.__version__}</b><br>{SUMMARY}"
                                 "<br>MIT licence · © 2026 the scoreviz authors")
        title.setWordWrap(True)
        head.addWidget(title, 1)
        lay.addLayout(head)
        self.details = QtWidgets.QPlainTextEdit(self.text)
        self.details.setReadOnly(True)
        self.details.setFont(QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont))
        self.details.setLineWrapMode(QtWidgets.QPlainTextEdit.LineWrapMode.NoWrap)
        self.details.setMinimumSize(620, 240)
        lay.addWidget(self.details, 1)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close)
        self.copy_button = buttons.addButton("Copy", QtWidgets.QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.setToolTip("Copy these lines to the clipboard (for a bug report)")
        self.copy_button.clicked.connect(self.copy)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)

    @QtCore.Slot()
    def copy(self) -> None:
        QtGui.QGuiApplication.clipboard().setText(self.text)
        self.copy_button.setText("Copied")


def show_about(window) -> AboutDialog:
    """Open the box over `window` (non-modal: the lab keeps running behind it)."""
    dialog = AboutDialog(window, device=_device_in_use(window))
    dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
