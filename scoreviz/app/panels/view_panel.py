"""View: which field (learned / exact / difference / denoiser), what to draw, grid density, theme."""
from __future__ import annotations

from scoreviz.names import FIELD_KINDS

from scoreviz.app.qt import QtCore, QtWidgets
from scoreviz.app.panels.common import combo, hint, hslider, row, select

FIELD_TIPS = {
    "learned": "Arrows of the trained model's score σ·s_θ(x, σ)",
    "exact": "Arrows of the exact score of the data noised at σ",
    "difference": "σ·(s_θ − s_exact): where the model is wrong",
    "denoiser": "Arrows from x to the denoised estimate D(x) = x + σ² s(x, σ)",
}


class ViewPanel(QtWidgets.QGroupBox):
    changed = QtCore.Signal()
    theme_changed = QtCore.Signal(str)

    def __init__(self, parent=None):
        super().__init__("View", parent)
        self.field_buttons = QtWidgets.QButtonGroup(self)
        buttons = []
        for key, label in FIELD_KINDS.items():
            b = QtWidgets.QToolButton()
            b.setText(label)
            b.setCheckable(True)
            b.setToolTip(FIELD_TIPS[key])
            b.setProperty("kind", key)
            b.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
            self.field_buttons.addButton(b)
            buttons.append(b)
        buttons[0].setChecked(True)
        self._field_buttons = {b.property("kind"): b for b in buttons}
        self.arrows = QtWidgets.QCheckBox("arrows")
        self.heat = QtWidgets.QCheckBox("density p_σ")
        self.data = combo([("data as points", "points"), ("data as density", "density"), ("data hidden", "hidden")])
        self.grid = hslider(12, 64, 32, "Arrows across the visible width")
        self.theme = combo([("dark", "dark"), ("light (projector)", "light")], "Colour theme")
        for box in (self.arrows, self.heat):
            box.setChecked(True)
        self.legend = hint("arrow colour = |σ·s|: blue short … red long (fixed scale)")
        form = QtWidgets.QFormLayout(self)
        form.setContentsMargins(6, 4, 6, 4)
        form.addRow("Field", row(*buttons))
        form.addRow(row(self.arrows, self.heat))
        form.addRow("Data", self.data)
        form.addRow("Grid", self.grid)
        form.addRow("Theme", self.theme)
        form.addRow(self.legend)
        self.field_buttons.buttonToggled.connect(lambda _b, on: on and self.changed.emit())
        for w in (self.arrows, self.heat):
            w.toggled.connect(self.changed)
        self.data.currentIndexChanged.connect(self.changed)
        self.grid.valueChanged.connect(self.changed)
        self.theme.activated.connect(lambda _i: self.theme_changed.emit(self.theme.currentData()))

    @property
    def field_kind(self) -> str:
        b = self.field_buttons.checkedButton()
        return b.property("kind") if b is not None else "learned"

    def set_field_kind(self, kind: str) -> None:
        if kind in self._field_buttons:
            self._field_buttons[kind].setChecked(True)

    def options(self) -> dict:
        return {"kind": self.field_kind, "grid_n": self.grid.value(), "heat": self.heat.isChecked(),
                "arrows": self.arrows.isChecked(), "data": self.data.currentData(),
                "theme": self.theme.currentData()}

    def set_options(self, o: dict) -> None:
        if "kind" in o:
            self.set_field_kind(o["kind"])
        if "grid_n" in o:
            self.grid.setValue(int(o["grid_n"]))
        if "heat" in o:
            self.heat.setChecked(bool(o["heat"]))
        if "arrows" in o:
            self.arrows.setChecked(bool(o["arrows"]))
        if "data" in o:
            select(self.data, o["data"])
        if "theme" in o:
            select(self.theme, o["theme"])
