"""The Schedule tab's "Quality vs NFE" section: which samplers, which NFE budgets, how many particles and
whether the trained model's score joins the exact one; Sweep; the figure (`app.schedule.nfe_plots`) as the
runs come in. The lab sweeps schedule B and, when pinned, A (`lab.schedule.nfe`)."""
from __future__ import annotations

from scoreviz.core.sampler_registry import SAMPLERS
from scoreviz.lab.schedule.nfe import MAX_PARTICLES, sweep_samplers

from scoreviz.app.qt import QtCore, QtWidgets
from scoreviz.app.panels.common import button, hint, row, spin_box, value_label
from scoreviz.app.schedule.nfe_plots import NFEPlots

#: What a sweep starts with: EDM's second-order ODE solver, DPM-Solver++(2M) and the reverse SDE, over the
#: budgets that span "a few steps" to "as many as annealed Langevin".
DEFAULT_SAMPLERS = ("heun", "dpmpp2m", "em")
DEFAULT_BUDGETS = (10, 20, 50, 100, 200, 500)
DEFAULT_PARTICLES = 2000
_COLUMNS = 4


def parse_budgets(text: str) -> tuple[int, ...]:
    """"10, 20 50" → (10, 20, 50): positive integers, commas or spaces between, sorted, once each; a
    ValueError in words otherwise."""
    parts = text.replace(",", " ").split()
    try:
        budgets = sorted({int(p) for p in parts})
    except ValueError:
        raise ValueError(f"the NFE budgets are whole numbers, e.g. {', '.join(map(str, DEFAULT_BUDGETS))}") from None
    if not budgets or budgets[0] < 1:
        raise ValueError("give at least one NFE budget, each at least 1")
    return tuple(budgets)


class NFESweepPanel(QtWidgets.QGroupBox):
    """`sweep_requested(dict)`: {"samplers": tuple, "budgets": tuple, "learned": bool, "n": int}."""

    sweep_requested = QtCore.Signal(dict)

    def __init__(self, parent=None):
        super().__init__("Quality vs NFE", parent)
        self.samplers: dict[str, QtWidgets.QCheckBox] = {}
        for name in sweep_samplers():
            box = QtWidgets.QCheckBox(name)
            box.setChecked(name in DEFAULT_SAMPLERS)
            self.samplers[name] = box
        self.budgets = QtWidgets.QLineEdit(", ".join(map(str, DEFAULT_BUDGETS)))
        self.budgets.setToolTip("NFE budgets: each run spends at most this many network evaluations")
        self.particles = spin_box(100, MAX_PARTICLES, DEFAULT_PARTICLES, 500, "Particles per run (one prior draw)")
        self.learned = QtWidgets.QCheckBox("learned model too")
        self.learned.setToolTip("Also sweep with the trained model's score (a copy as it is when Sweep is pressed)")
        self.learned.setEnabled(False)
        self.sweep = button("Sweep", "Every ticked sampler at every budget under B (and A when pinned), with "
                                     "the exact score of the noised data: seconds for 2-D data")
        self.status = value_label("Sweep to draw sample quality against the cost of a run.")
        self.status.setWordWrap(True)
        self.plots = NFEPlots()
        self.plots.setMinimumHeight(300)
        self.key = hint("solid: B, the schedule in use · dashed: A, pinned · ● exact score · △ learned model · "
                        "dotted: the floor, as close as two samples of the data are · x: the NFE each run spent.")
        self.set_choices(None)
        self._build()
        self.sweep.clicked.connect(self._on_sweep)

    def _build(self) -> None:
        grid = QtWidgets.QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(10)
        for i, box in enumerate(self.samplers.values()):
            grid.addWidget(box, i // _COLUMNS, i % _COLUMNS)
        column = QtWidgets.QVBoxLayout(self)
        column.addLayout(grid)
        form = QtWidgets.QFormLayout()
        form.addRow("NFE", self.budgets)
        form.addRow("Particles", row(self.particles, self.learned, self.sweep))
        column.addLayout(form)
        for widget in (self.status, self.plots, self.key):
            column.addWidget(widget)

    # --- outgoing --------------------------------------------------------------------------------------------
    def options(self) -> dict:
        """The request as the controls hold it (a ValueError in words for budgets that do not parse)."""
        chosen = tuple(n for n, box in self.samplers.items() if box.isChecked() and box.isEnabled())
        return {"samplers": chosen, "budgets": parse_budgets(self.budgets.text()),
                "learned": self.learned.isChecked() and self.learned.isEnabled(), "n": int(self.particles.value())}

    def _on_sweep(self) -> None:
        try:
            options = self.options()
        except ValueError as exc:
            self.status.setText(f"⚠ {exc}")
            return
        if not options["samplers"]:
            self.status.setText("⚠ Tick at least one sampler the process runs.")
            return
        self.status.setText("sweeping…")
        self.sweep_requested.emit(options)

    # --- incoming --------------------------------------------------------------------------------------------
    def set_choices(self, choices) -> None:
        """A lab.frames.NFESweepChoices (None: before the first, everything offered): a sampler the process does
        not run is disabled, its tooltip naming what it needs."""
        for name, box in self.samplers.items():
            entry = SAMPLERS[name]
            ok = choices is None or name in choices.supported
            box.setEnabled(ok)
            box.setToolTip(f"{entry.label}: {entry.method}" if ok else
                           f"{entry.label} needs {entry.requirement}, not the {choices.process} process in use")
        self.learned.setEnabled(choices is not None and choices.learned)

    def show_frame(self, frame) -> None:
        """An NFESweepFrame: the figure and a line of what it holds."""
        self.plots.show_frame(frame)
        a = " and A (dashed)" if any(c.schedule == "A" for c in frame.curves) else ""
        head = f"{len(frame.samplers)} samplers × {len(frame.budgets)} budgets · {frame.n:,} particles · B{a}"
        if frame.finished:
            self.status.setText(f"{head} · {frame.total} runs, {frame.seconds:.1f} s")
        else:
            self.status.setText(f"{head} · sweeping… {frame.done} / {frame.total} runs ({frame.seconds:.1f} s)")
