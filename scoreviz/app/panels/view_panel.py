"""View: which field (learned / exact / difference / denoiser, or a velocity), what to draw, grid density, theme."""
from __future__ import annotations

from scoreviz.names import FIELD_KINDS, VELOCITY_KINDS

from scoreviz.app.qt import QtCore, QtWidgets
from scoreviz.app.panels.common import combo, hint, hslider, row, select

FIELD_TIPS = {
    "learned": "Arrows of the trained model's score σ·s_θ(x, σ)",
    "exact": "Arrows of the exact score of the data noised at σ",
    "difference": "σ·(s_θ − s_exact): where the model is wrong",
    "denoiser": "Arrows from x to the denoised estimate D(x) = x + σ² s(x, σ)",
    "velocity": "The trained model's velocity dx/dt = f − ½g²s of the probability-flow ODE at the slider's t, drawn "
                "where the particles move (x_t); under flow matching this is v = −(x + t·s)/(1 − t) = E[ε − x₀ | x_t]. "
                "Sampling runs against the arrows (from t = 1 down to 0)",
    "exact_velocity": "The exact velocity dx/dt = f − ½g²s of the data's probability-flow ODE at the slider's t",
}
#: The legend under the buttons: what an arrow's colour measures.
LEGENDS = {
    "score": "arrow colour = |σ·s|: blue short … red long (fixed scale)",
    "velocity": "arrow colour = |dx/dt| / r(t), r the data's conditional speed (fixed for flow matching)",
}
DENSITY_TIP = ("Density view (D): colour = the trained model's log p̃(x) at the slider's σ, from its probability-flow "
               "ODE with the exact divergence; lines = the exact log p_σ of the noised data. Where they disagree the "
               "model is wrong. Each map costs ODE solves (~0.3 s): redrawn on a new σ, view or data and every 2 s "
               "while training; the held-out NLL in the Training panel comes with it")
DENSITY_NEEDS_2D = "The density view needs 2-D data: its grid and the ODE's exact divergence are 2-D (these data are {}-D)"
#: The short labels of the velocity row (the row is named "Velocity").
VELOCITY_LABELS = {"velocity": "learned", "exact_velocity": "exact"}


class ViewPanel(QtWidgets.QGroupBox):
    changed = QtCore.Signal()
    theme_changed = QtCore.Signal(str)

    def __init__(self, parent=None):
        super().__init__("View", parent)
        self.field_buttons = QtWidgets.QButtonGroup(self)
        buttons = []
        for key, label in FIELD_KINDS.items():
            b = QtWidgets.QToolButton()
            b.setText(VELOCITY_LABELS.get(key, label))
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
        self.trajectories = QtWidgets.QCheckBox("trajectories")
        self.density = QtWidgets.QCheckBox("model vs exact (D)")
        self.density.setToolTip(DENSITY_TIP)
        self.trajectories.setToolTip("Whole paths of a dozen particles from their release to the end of the run, "
                                     "in their mode's colour (P)")
        self.data = combo([("data as points", "points"), ("data as density", "density"), ("data hidden", "hidden")])
        self.grid = hslider(12, 64, 32, "Arrows across the visible width")
        self.theme = combo([("dark", "dark"), ("light (projector)", "light")], "Colour theme")
        for box in (self.arrows, self.heat):
            box.setChecked(True)
        self.legend = hint(LEGENDS["score"])
        form = QtWidgets.QFormLayout(self)
        form.setContentsMargins(6, 4, 6, 4)
        form.addRow("Field", row(*(b for b in buttons if b.property("kind") not in VELOCITY_KINDS)))
        form.addRow("Velocity", row(*(b for b in buttons if b.property("kind") in VELOCITY_KINDS)))
        form.addRow(row(self.arrows, self.heat, self.trajectories))
        form.addRow("Density", self.density)
        form.addRow("Data", self.data)
        form.addRow("Grid", self.grid)
        form.addRow("Theme", self.theme)
        form.addRow(self.legend)
        self.field_buttons.buttonToggled.connect(lambda _b, on: on and self._on_kind())
        for w in (self.arrows, self.heat, self.trajectories):
            w.toggled.connect(self.changed)
        self.data.currentIndexChanged.connect(self.changed)
        self.grid.valueChanged.connect(self.changed)
        self.theme.activated.connect(lambda _i: self.theme_changed.emit(self.theme.currentData()))

    def set_data_dim(self, dim: int) -> None:
        """The Density view is for 2-D data only: for other data its box is unticked and disabled, saying why."""
        ok = dim == 2
        if not ok:
            self.density.setChecked(False)
        self.density.setEnabled(ok)
        self.density.setToolTip(DENSITY_TIP if ok else DENSITY_NEEDS_2D.format(dim))

    def _on_kind(self) -> None:
        self.legend.setText(LEGENDS["velocity" if self.field_kind in VELOCITY_KINDS else "score"])
        self.changed.emit()

    @property
    def field_kind(self) -> str:
        b = self.field_buttons.checkedButton()
        return b.property("kind") if b is not None else "learned"

    def set_field_kind(self, kind: str) -> None:
        if kind in self._field_buttons:
            self._field_buttons[kind].setChecked(True)

    def options(self) -> dict:
        return {"kind": self.field_kind, "grid_n": self.grid.value(), "heat": self.heat.isChecked(),
                "arrows": self.arrows.isChecked(), "trajectories": self.trajectories.isChecked(),
                "data": self.data.currentData(),
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
        if "trajectories" in o:
            self.trajectories.setChecked(bool(o["trajectories"]))
        if "data" in o:
            select(self.data, o["data"])
        if "theme" in o:
            select(self.theme, o["theme"])
