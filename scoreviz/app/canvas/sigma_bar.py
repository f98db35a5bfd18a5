"""The σ slider: log scale over the process's noise range, labelled with σ (and t for the SDE processes).

The session owns σ. The slider sends requests (`sigma_requested`) when a person moves it (or `set_fraction`,
`nudge`), and shows the σ the session reports (`show_sigma`, and a process frame's σ): a request outside the
range comes back clamped and is shown as the session clamped it. While a person holds the handle it follows the
hand (a report is for an earlier position, and moving the handle back under the hand would make it jitter); the
last report is shown when the handle is let go.
"""
from __future__ import annotations

import math

import numpy as np

from scoreviz.app.qt import QtCore, QtWidgets

STEPS = 1000


class SigmaBar(QtWidgets.QWidget):
    """`sigma_requested(σ)` when a person (or `set_fraction`, `nudge`) moves it; `show_sigma(σ)` shows the
    session's σ without a request."""

    sigma_requested = QtCore.Signal(float)

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
        self._shown = self.sigma_of(self.slider.value())   # the σ on the label: the session's, or the hand's
        self._reported: float | None = None                # the session's latest σ, shown when the hand lets go
        self.slider.valueChanged.connect(self._on_value)
        self.slider.sliderReleased.connect(self._on_released)
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
        """The σ shown: the session's last report, or where the hand put the handle since."""
        return self._shown

    # --- API -------------------------------------------------------------------------------------------------
    def set_process(self, process) -> None:
        """A new process (frames.ProcessFrame): its range, and the session's σ when the frame carries one (NaN:
        the σ shown stays, placed in the new range). Sends no request."""
        self.process = process
        self.lo, self.hi = max(process.noise_min, 1e-6), max(process.noise_max, process.noise_min * 1.0001)
        if len(process.ladder) > 1:
            self.slider.setTickInterval(max(1, int(round(STEPS / (len(process.ladder) - 1)))))
        else:
            self.slider.setTickInterval(STEPS // 10)
        self.lo_label.setText(f"{self.lo:.3g}")
        self.hi_label.setText(f"{self.hi:.3g}")
        if math.isfinite(process.sigma):
            self.show_sigma(process.sigma)
        else:
            self._show(self._shown)

    def show_sigma(self, sigma: float) -> None:
        """The σ the session uses: on the label, and under the handle unless a person holds it."""
        self._reported = float(sigma)
        if not self.slider.isSliderDown():
            self._show(self._reported)

    def _show(self, sigma: float) -> None:
        self._shown = sigma
        with QtCore.QSignalBlocker(self.slider):
            self.slider.setValue(self.value_of(sigma))
        self._update_label()

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
    def _on_value(self, value: int) -> None:
        self._shown = self.sigma_of(value)
        self._update_label()
        self.sigma_requested.emit(self._shown)

    def _on_released(self) -> None:
        if self._reported is not None:
            self._show(self._reported)

    def _update_label(self) -> None:
        s = self.sigma
        text = f"σ = {s:.3g}"
        if self.process is not None and self.process.is_sde:
            text += f"   t = {self.process.time_of(s):.3f}"
        elif self.process is not None and len(self.process.ladder) > 1:
            k = int(np.argmin(np.abs(np.log(self.process.ladder) - math.log(s))))
            text += f"   level {k + 1}/{len(self.process.ladder)}"
        self.label.setText(text)
