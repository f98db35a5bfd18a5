"""The 2-D canvas: a ViewBox whose left-button drags and clicks go to the active tool instead of panning.

Tools: "pan" (pyqtgraph's own pan/zoom), "brush" and "erase" (strokes), "point" and "blob" (clicks and
drags), "release" (release the particles at the clicked point). The brush cursor is a circle that follows the
mouse. What the tools *do* to the data lives in `data_editor.DataEditor`; this module only reports gestures.
"""
from __future__ import annotations

from scoreviz.app.qt import QtCore, QtGui, QtWidgets, pg

TOOLS = ("pan", "brush", "erase", "point", "blob", "release")
TOOL_TIPS = {
    "pan": "Pan and zoom (drag, wheel)",
    "brush": "Paint density: drag to spray points (radius, strength)",
    "erase": "Erase: drag to remove points under the brush",
    "point": "Drop single points: click or drag",
    "blob": "Drop a Gaussian blob of points: click",
    "release": "Release the particles at the clicked point",
}


class CanvasViewBox(pg.ViewBox):
    """Reports gestures in data coordinates: stroke(phase, x, y), clicked(x, y), hovered(x, y)."""

    stroke = QtCore.Signal(str, float, float)   # phase: "start" | "move" | "end"
    clicked = QtCore.Signal(float, float)
    hovered = QtCore.Signal(float, float, bool)  # x, y, inside

    def __init__(self):
        super().__init__(enableMenu=False)
        self.tool = "pan"
        self.setAspectLocked(True)

    def set_tool(self, tool: str) -> None:
        if tool not in TOOLS:
            raise ValueError(f"unknown tool {tool!r}")
        self.tool = tool

    def mouseDragEvent(self, ev, axis=None):
        if self.tool == "pan" or ev.button() != QtCore.Qt.MouseButton.LeftButton:
            return super().mouseDragEvent(ev, axis)
        ev.accept()
        if ev.isStart():
            p = self.mapSceneToView(ev.buttonDownScenePos())
            self.stroke.emit("start", p.x(), p.y())
        p = self.mapSceneToView(ev.scenePos())
        self.stroke.emit("end" if ev.isFinish() else "move", p.x(), p.y())

    def mouseClickEvent(self, ev):
        if self.tool != "pan" and ev.button() == QtCore.Qt.MouseButton.LeftButton:
            ev.accept()
            p = self.mapSceneToView(ev.scenePos())
            self.clicked.emit(p.x(), p.y())
            return
        super().mouseClickEvent(ev)

    def hoverEvent(self, ev):
        if ev.isExit():
            self.hovered.emit(0.0, 0.0, False)
        else:
            p = self.mapSceneToView(ev.scenePos())
            self.hovered.emit(p.x(), p.y(), True)


class BrushCursor(QtWidgets.QGraphicsEllipseItem):
    """A circle of the brush radius (data units) drawn with a cosmetic dashed pen."""

    def __init__(self):
        super().__init__()
        pen = QtGui.QPen(QtGui.QColor(255, 255, 255, 170))
        pen.setCosmetic(True)
        pen.setWidthF(1.2)
        pen.setStyle(QtCore.Qt.PenStyle.DashLine)
        self.setPen(pen)
        self.setBrush(QtGui.QBrush(QtCore.Qt.BrushStyle.NoBrush))
        self.setZValue(50)
        self.setVisible(False)

    def set_colour(self, colour: QtGui.QColor) -> None:
        pen = self.pen()
        c = QtGui.QColor(colour)
        c.setAlpha(170)
        pen.setColor(c)
        self.setPen(pen)

    def place(self, x: float, y: float, radius: float) -> None:
        self.setRect(QtCore.QRectF(x - radius, y - radius, 2 * radius, 2 * radius))


def make_canvas() -> tuple[pg.PlotWidget, CanvasViewBox]:
    vb = CanvasViewBox()
    widget = pg.PlotWidget(viewBox=vb)
    widget.setMenuEnabled(False)
    widget.hideButtons()
    plot = widget.getPlotItem()
    for name in ("left", "bottom"):
        plot.getAxis(name).setStyle(tickLength=-6)
    plot.showGrid(x=False, y=False)
    widget.setMinimumSize(400, 400)
    return widget, vb
