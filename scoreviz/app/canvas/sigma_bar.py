"""The σ slider: log scale over the process's noise range, labelled with σ (and t for the SDE processes)."""
from __future__ import annotations

import math

import numpy as np

from scoreviz.app.qt import QtCore, QtWidgets

STEPS = 1000


class SigmaBar(QtWidgets.QWidget):
    """`sigma_changed(σ)` when the user (or `set_sigma`) moves it."""

    sigma_changed = QtCore.Signal(float)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.process = None  # frames.ProcessFrame
        self.lo, self.hi = 0.01, 10.0
        self.slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.slider.setRange(0, STEPS)
        self.slider.setValue(STEPS // 2)
        self.slider.setTickPosition(QtWidgets.QSlider.TickPosition.TicksBelow)
        self.slider.setTickInterval(STEPS // 10)
        self.slider.setToolTip("Noise level σ (log scale). Keys: ← / → step through the levels.")
        self.slider.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self.label = QtWidgets.QLabel()
        self.label.setObjectName("sigmaLabel")
        self.label.setMinimumWidth(220)
        self.lo_label = QtWidgets.QLabel()
        self.hi_label = QtWidgets.QLabel()
        for lab in (self.lo_label, self.hi_label):
            lab.setObjectName("hintLabel")
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(8, 2, 8, 4)
        title = QtWidgets.QLabel("noise level")
        title.setObjectName("hintLabel")
        layout.addWidget(title)
        layout.addWidget(self.lo_label)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.hi_label)
        layout.addWidget(self.label)
        self.slider.valueChanged.connect(self._on_value)
        self._update_label()

    # --- mapping ---------------------------------------------------------------------------------------------
    def sigma_of(self, value: int) -> float:
        f = value / STEPS
        return float(math.exp(math.log(self.lo) + f * (math.log(self.hi) - math.log(self.lo))))

    def value_of(self, sigma: float) -> int:
        sigma = min(max(sigma, self.lo), self.hi)
        return int(round(STEPS * (math.log(sigma) - math.log(self.lo)) / (math.log(self.hi) - math.log(self.lo))))

    @property
    def sigma(self) -> float:
        return self.sigma_of(self.slider.value())

    # --- API -------------------------------------------------------------------------------------------------
    def set_process(self, process) -> None:
        """A new process (frames.ProcessFrame): its range, shown without emitting `sigma_changed`. The slider keeps
        its σ when the new range holds it (a σ the user set may still be on its way to the session, so the frame's
        σ can be stale); otherwise it takes the σ the session chose (`process.sigma`, clamped into the range), and
        only without one does it emit its own clamped σ."""
        old = self.sigma
        self.process = process
        self.lo, self.hi = max(process.noise_min, 1e-6), max(process.noise_max, process.noise_min * 1.0001)
        if len(process.ladder) > 1:
            self.slider.setTickInterval(max(1, int(round(STEPS / (len(process.ladder) - 1)))))
        else:
            self.slider.setTickInterval(STEPS // 10)
        self.lo_label.setText(f"{self.lo:.3g}")
        self.hi_label.setText(f"{self.hi:.3g}")
        inside = self.lo <= old <= self.hi
        known = math.isfinite(process.sigma)
        with QtCore.QSignalBlocker(self.slider):
            self.slider.setValue(self.value_of(old if inside or not known else process.sigma))
        self._update_label()
        if not inside and not known:
            self.sigma_changed.emit(self.sigma)

    def set_sigma(self, sigma: float) -> None:
        self.slider.setValue(self.value_of(sigma))

    def set_fraction(self, f: float) -> None:
        """Position as a fraction of the log range (0 = σ_min, 1 = σ_max)."""
        self.slider.setValue(int(round(np.clip(f, 0, 1) * STEPS)))

    def nudge(self, direction: int) -> None:
        """One level down (−1) or up (+1): NCSN's ladder levels, else a twentieth of the range."""
        if self.process is not None and len(self.process.ladder) > 1:
            step = STEPS / (len(self.process.ladder) - 1)
            k = round(self.slider.value() / step) + direction
            self.slider.setValue(int(round(np.clip(k, 0, len(self.process.ladder) - 1) * step)))
        else:
            self.slider.setValue(int(np.clip(self.slider.value() + direction * STEPS // 20, 0, STEPS)))

    # --- internals -------------------------------------------------------------------------------------------
    def _on_value(self, _value: int) -> None:
        self._update_label()
        self.sigma_changed.emit(self.sigma)

    def _update_label(self) -> None:
        s = self.sigma
        text = f"σ = {s:.3g}"
        if self.process is not None and self.process.is_sde:
            text += f"   t = {self.process.time_of(s):.3f}"
        elif self.process is not None and len(self.process.ladder) > 1:
            k = int(np.argmin(np.abs(np.log(self.process.ladder) - math.log(s))))
            text += f"   level {k + 1}/{len(self.process.ladder)}"
        self.label.setText(text)
