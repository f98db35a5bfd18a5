"""Sampling: the sampler, particle count and steps; release, play/pause, step, reset, speed; mode weights."""
from __future__ import annotations

import math

import numpy as np

from scoreviz.core.sampler_registry import sampler_labels
from scoreviz.names import SCORE_SOURCES

from scoreviz.app.qt import QtCore, QtWidgets, pg
from scoreviz.app.panels.common import (button, combo, hint, hslider, row, select, show_toggle, small_plot, spin_box,
                                        value_label)

SPEEDS = [15, 30, 60, 120, 240, 480, 960, 2000, 0]   # steps per second; 0 = as fast as possible


class SamplingPanel(QtWidgets.QGroupBox):
    release_requested = QtCore.Signal()
    play_toggled = QtCore.Signal(bool)
    step_requested = QtCore.Signal()
    reset_requested = QtCore.Signal()
    speed_changed = QtCore.Signal(float)

    def __init__(self, parent=None):
        super().__init__("Particles", parent)
        self.sampler = combo(sampler_labels(), "How the particles move")
        self.source = combo(SCORE_SOURCES,
                            "Follow the trained model or the exact score of the noised data")
        self.count = spin_box(10, 20_000, 2000, 500, "Number of particles")
        # the run's length is its NFE, as everywhere (core.sampler_registry); the option keeps the name "steps"
        self.steps = spin_box(10, 10_000, 500, 50, "Network evaluations (NFE) of the run: the sampler takes as "
                                                   "many steps as fit (annealed Langevin: over its 10 levels)")
        self.release = button("Release", "Release the particles from the prior (or use the Release tool to start "
                                         "them at a point)")
        self.play = button("Play", "Play / pause (space)", checkable=True)
        self.step = button("Step", "One sampler step")
        self.reset = button("Reset", "Remove the particles (R)")
        self.speed = hslider(0, len(SPEEDS) - 1, 4, "Sampler steps per second")
        self.speed_label = value_label()
        self.trails = QtWidgets.QCheckBox("trails")
        self.trails.setChecked(True)
        self.status = value_label("no particles")
        self.modes_hint = hint("")
        self.modes_plot = small_plot(76)
        self.modes_plot.setYRange(0, 1)
        self.true_bars = pg.BarGraphItem(x=[], height=[], width=0.38, brush=(150, 150, 150, 120), pen=None)
        self.particle_bars = pg.BarGraphItem(x=[], height=[], width=0.38, brushes=[], pen=None)
        self.modes_plot.addItem(self.true_bars)
        self.modes_plot.addItem(self.particle_bars)
        self.modes_plot.setVisible(False)

        form = QtWidgets.QFormLayout(self)
        form.setContentsMargins(6, 4, 6, 4)
        form.addRow("Sampler", row(self.sampler, self.source))   # compact rows: the chart below fits at 900 px
        form.addRow("Particles", row(self.count, QtWidgets.QLabel("NFE"), self.steps))
        form.addRow(row(self.release, self.play, self.step, self.reset))
        form.addRow("Speed", row(self.speed, self.speed_label, self.trails, stretch_last=False))
        form.addRow(self.status)
        form.addRow(self.modes_hint)
        form.addRow(self.modes_plot)

        self.release.clicked.connect(self.release_requested)
        self.play.toggled.connect(self._on_play)
        self.step.clicked.connect(self.step_requested)
        self.reset.clicked.connect(self.reset_requested)
        self.speed.valueChanged.connect(self._on_speed)
        self._on_speed(self.speed.value())
        self._colours = []

    def set_mode_colours(self, colours) -> None:
        self._colours = list(colours)

    def _on_play(self, on: bool) -> None:
        self.play.setText("Pause" if on else "Play")
        self.play_toggled.emit(on)

    def _on_speed(self, i: int) -> None:
        v = SPEEDS[i]
        self.speed_label.setText("max" if v == 0 else f"{v}/s")
        self.speed_changed.emit(float(v))

    @property
    def steps_per_second(self) -> float:
        return float(SPEEDS[self.speed.value()])

    def set_speed(self, steps_per_second: float) -> None:
        i = int(np.argmin([abs(s - steps_per_second) if s else (0 if steps_per_second == 0 else 1e9)
                           for s in SPEEDS]))
        self.speed.setValue(i)

    def options(self) -> dict:
        return {"sampler": self.sampler.currentData(), "source": self.source.currentData(),
                "n": self.count.value(), "steps": self.steps.value()}

    def set_options(self, o: dict) -> None:
        if "sampler" in o:
            select(self.sampler, o["sampler"])
        if "source" in o:
            select(self.source, o["source"])
        if "n" in o:
            self.count.setValue(int(o["n"]))
        if "steps" in o:
            self.steps.setValue(int(o["steps"]))

    def show_running(self, running: bool) -> None:
        show_toggle(self.play, running, "Pause", "Play")

    def show_frame(self, f) -> None:
        self.show_running(f.running)
        if not f.sampler:
            self.status.setText("no particles")
            self.modes_plot.setVisible(False)
            self.modes_hint.setText("")
            return
        level = f"σ = {f.noise_level:.3g}" if math.isfinite(f.noise_level) else ""
        t = f"t = {f.t:.3f}" if math.isfinite(f.t) else ""
        state = "done" if f.finished else ("running" if f.running else "paused")
        self.status.setText(f"{f.sampler}: step {f.step}/{f.total}  {level}  {t}  [{state}]")
        k = len(f.true_weights)
        if k:
            x = np.arange(k, dtype=float)
            self.true_bars.setOpts(x=x - 0.2, height=f.true_weights, width=0.38)
            brushes = [self._colours[i % len(self._colours)] for i in range(k)] if self._colours else None
            self.particle_bars.setOpts(x=x + 0.2, height=f.mode_weights, width=0.38, brushes=brushes)
            self.modes_plot.setXRange(-0.6, k - 0.4, padding=0)
            self.modes_plot.setYRange(0, max(0.05, float(max(f.true_weights.max(), f.mode_weights.max()))) * 1.1)
            self.modes_plot.setVisible(True)
            err = 0.5 * float(np.abs(f.mode_weights - f.true_weights).sum())
            self.modes_hint.setText(f"mode weights: particles (colour) vs true (grey) · off by {err:.2f}")
        else:
            self.modes_plot.setVisible(False)
            self.modes_hint.setText("")
