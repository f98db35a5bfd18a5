"""The app's icon from the files shipped in the package (`scoreviz/resources/`, see `scoreviz.paths`)."""
from __future__ import annotations

from scoreviz.paths import resource_path

from scoreviz.app.qt import QtGui

#: The name of the installed `.desktop` file (without the suffix): Wayland and the X11 task bars match the
#: window to its launcher, icon and name through it (QGuiApplication.setDesktopFileName).
DESKTOP_FILE_NAME = "scoreviz"


def app_icon() -> QtGui.QIcon:
    """The window icon: the PNG (needs no plugin) and the SVG (sharp at any size where Qt's SVG icon engine
    is present, as it is in PySide6-Essentials)."""
    icon = QtGui.QIcon()
    png = resource_path("scoreviz.png")
    if png.is_file():
        icon.addFile(str(png))
    svg = resource_path("scoreviz.svg")
    if svg.is_file():
        icon.addFile(str(svg))
    return icon
