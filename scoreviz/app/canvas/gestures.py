"""What the mouse does on the canvas: the data panel's tool turns drags, clicks and hovers into edits of the data
(brush, eraser, points, blobs) or into a release of particles at a point."""
from __future__ import annotations

from scoreviz.app.qt import QtCore

#: While dragging, a point is added only once the cursor has moved this fraction of the brush radius.
POINT_SPACING = 0.25
#: A drag sprays a third of a click's points at every move (a stroke has many moves).
DRAG_STRENGTH = 1 / 3
#: A blob holds this many points per unit of strength.
BLOB_POINTS = 10


class CanvasGestures(QtCore.QObject):
    """Connects the scene's viewbox (stroke / clicked / hovered) and the data panel's tool to the DataEditor."""

    def __init__(self, scene, editor, data_panel, release, parent=None):
        super().__init__(parent)
        self.scene, self.editor, self.data_panel, self.release = scene, editor, data_panel, release
        vb = scene.viewbox
        vb.stroke.connect(self.stroke)
        vb.clicked.connect(self.click)
        vb.hovered.connect(self.hover)
        data_panel.tool_changed.connect(self.set_tool)

    @property
    def tool(self) -> str:
        return self.scene.viewbox.tool

    def brush_radius(self) -> float:
        """The brush radius in data units: the panel's percentage of half the visible width."""
        x0, x1, _, _ = self.scene.view_rect()
        return self.data_panel.radius.value() / 100 * (x1 - x0) * 0.5

    def set_tool(self, tool: str) -> None:
        self.scene.viewbox.set_tool(tool)
        self.scene.cursor.setVisible(tool in ("brush", "erase", "blob"))

    def stroke(self, phase: str, x: float, y: float) -> None:
        """A drag ("start", "move", "end"): one undo entry per stroke."""
        tool, r, strength = self.tool, self.brush_radius(), self.data_panel.strength.value()
        if phase == "start":
            self.editor.begin_stroke()
        if tool == "brush":
            self.editor.brush(x, y, r, max(1, int(strength * DRAG_STRENGTH)))
        elif tool == "erase":
            self.editor.erase(x, y, r, strength)
        elif tool == "point":
            self.editor.add_point(x, y, min_spacing=r * POINT_SPACING)
        elif tool == "blob" and phase == "start":
            self.editor.add_blob(x, y, r, BLOB_POINTS * strength)
        elif tool == "release" and phase == "end":
            self.release((x, y))
        if phase == "end":
            self.editor.end_stroke()
        self.scene.cursor.place(x, y, r)

    def click(self, x: float, y: float) -> None:
        """A click without a drag: the tool's action once, at full strength."""
        tool, r, strength = self.tool, self.brush_radius(), self.data_panel.strength.value()
        if tool == "release":
            self.release((x, y))
            return
        self.editor.begin_stroke()
        if tool == "brush":
            self.editor.brush(x, y, r, strength)
        elif tool == "erase":
            self.editor.erase(x, y, r, strength)
        elif tool == "point":
            self.editor.add_point(x, y)
        elif tool == "blob":
            self.editor.add_blob(x, y, r, BLOB_POINTS * strength)
        self.editor.end_stroke()

    def hover(self, x: float, y: float, inside: bool) -> None:
        cursor = self.scene.cursor
        if inside and self.tool in ("brush", "erase", "blob"):
            cursor.place(x, y, self.brush_radius())
            cursor.setVisible(True)
        else:
            cursor.setVisible(False)
