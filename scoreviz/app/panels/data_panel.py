"""Data: presets, files, the painting tools (brush, erase, points, blobs, release), clear, undo/redo."""
from __future__ import annotations

from scoreviz.app.canvas.view_box import TOOL_TIPS
from scoreviz.app.qt import QtCore, QtWidgets
from scoreviz.app.panels.common import button, combo, hint, hslider, row, select

TOOL_LABELS = {"pan": "Pan", "brush": "Brush", "erase": "Erase", "point": "Points", "blob": "Blob",
               "release": "Release"}


class DataPanel(QtWidgets.QGroupBox):
    preset_chosen = QtCore.Signal(str)
    load_requested = QtCore.Signal()
    tool_changed = QtCore.Signal(str)
    clear_requested = QtCore.Signal()
    undo_requested = QtCore.Signal()
    redo_requested = QtCore.Signal()

    def __init__(self, presets: list[str], parent=None):
        super().__init__("Data", parent)
        self.preset = combo([(p, p) for p in presets], "A built-in dataset (its exact score is known)")
        self.preset.insertItem(0, "— preset —", "")
        self.preset.setCurrentIndex(0)
        self.load = button("Load…", "Load points (.npy, .csv) or a density image (.png)")
        self.tools = QtWidgets.QButtonGroup(self)
        self.tools.setExclusive(True)
        tool_buttons = []
        for key, label in TOOL_LABELS.items():
            b = QtWidgets.QToolButton()
            b.setText(label)
            b.setCheckable(True)
            b.setToolTip(TOOL_TIPS[key])
            b.setProperty("tip", TOOL_TIPS[key])
            b.setProperty("tool", key)
            b.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
            b.setAutoRaise(False)
            self.tools.addButton(b)
            tool_buttons.append(b)
        tool_buttons[0].setChecked(True)
        self.tool_buttons = {b.property("tool"): b for b in tool_buttons}
        self.radius = hslider(1, 40, 8, "Brush radius (% of the visible width)")
        self.strength = hslider(1, 100, 25, "Brush strength: points per stroke step, blob size, erase rate")
        self.clear = button("Clear", "Remove all points (undoable)")
        self.undo = button("Undo", "Undo (Ctrl+Z)")
        self.redo = button("Redo", "Redo (Ctrl+Shift+Z)")
        self.info = hint("")

        form = QtWidgets.QFormLayout(self)
        form.setContentsMargins(6, 4, 6, 4)
        form.addRow(row(self.preset, self.load, stretch_last=False))
        grid = QtWidgets.QGridLayout()
        grid.setSpacing(3)
        for i, b in enumerate(tool_buttons):
            grid.addWidget(b, i // 3, i % 3)
        tools = QtWidgets.QWidget()
        tools.setLayout(grid)
        form.addRow("Tool", tools)
        form.addRow("Radius", self.radius)
        form.addRow("Strength", self.strength)
        form.addRow(row(self.clear, self.undo, self.redo))
        form.addRow(self.info)

        self.preset.activated.connect(self._on_preset)
        self.load.clicked.connect(self.load_requested)
        self.tools.buttonToggled.connect(self._on_tool)
        self.clear.clicked.connect(self.clear_requested)
        self.undo.clicked.connect(self.undo_requested)
        self.redo.clicked.connect(self.redo_requested)

    def _on_preset(self, _i: int) -> None:
        key = self.preset.currentData()
        if key:
            self.preset_chosen.emit(key)

    def _on_tool(self, b, checked: bool) -> None:
        if checked:
            self.tool_changed.emit(b.property("tool"))

    @property
    def tool(self) -> str:
        b = self.tools.checkedButton()
        return b.property("tool") if b is not None else "pan"

    def set_painting(self, on: bool, why: str = "") -> None:
        """Enable the painting tools (brush, erase, points, blobs) or disable them with a tooltip saying why;
        pan and release stay."""
        for key, b in self.tool_buttons.items():
            if key not in ("pan", "release"):
                b.setEnabled(on)
                b.setToolTip(b.property("tip") if on else why)
        if not on and self.tool not in ("pan", "release"):
            self.set_tool("pan")

    def set_tool(self, tool: str) -> None:
        if tool in self.tool_buttons:
            self.tool_buttons[tool].setChecked(True)

    def show_preset(self, name: str) -> None:
        if not select(self.preset, name):
            self.preset.setCurrentIndex(0)

    def set_history(self, can_undo: bool, can_redo: bool) -> None:
        self.undo.setEnabled(can_undo)
        self.redo.setEnabled(can_redo)
