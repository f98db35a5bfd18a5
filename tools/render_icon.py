"""Render scoreviz/resources/scoreviz.svg into the 256 px scoreviz.png beside it (`make icon`).

The PNG is what the window, the About box and `scoreviz install-desktop` use where no SVG engine is at hand.
"""
import sys
from pathlib import Path

from PySide6 import QtCore, QtGui, QtSvg

SIZE = 256
RESOURCES = Path(__file__).resolve().parents[1] / "scoreviz" / "resources"

app = QtGui.QGuiApplication(sys.argv[:1])
renderer = QtSvg.QSvgRenderer(str(RESOURCES / "scoreviz.svg"))
if not renderer.isValid():
    sys.exit("scoreviz.svg is not a valid SVG")
image = QtGui.QImage(SIZE, SIZE, QtGui.QImage.Format.Format_ARGB32)
image.fill(QtCore.Qt.GlobalColor.transparent)
painter = QtGui.QPainter(image)
painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
renderer.render(painter)
painter.end()
if not image.save(str(RESOURCES / "scoreviz.png")):
    sys.exit("could not write scoreviz.png")
print(f"wrote {RESOURCES / 'scoreviz.png'}")
