"""Training: noise process, loss, model size, device; train/pause, reset; loss curve, loss per noise level."""
from __future__ import annotations

import math

import numpy as np

from scoreviz.names import (DEFAULT_POINT_MODEL_SIZE, DEVICES, LOSSES, MATCH_THRESHOLD, POINT_MODEL_SIZES,
                            PROCESSES, point_model_label)

from scoreviz.app.qt import QtCore, QtWidgets, pg
from scoreviz.app.panels.common import button, combo, hint, row, select, show_toggle, small_plot, value_label


class TrainingPanel(QtWidgets.QGroupBox):
    configure = QtCore.Signal(dict)
    train_toggled = QtCore.Signal(bool)
    reset_requested = QtCore.Signal()

    def __init__(self, available_devices: list[str], parent=None):
        super().__init__("Training", parent)
        self.process = combo(PROCESSES, "How data are noised: NCSN's discrete σ ladder or a continuous SDE")
        self.loss = combo(LOSSES, "Score-matching loss")
        self.size = combo({size: point_model_label(size) for size in POINT_MODEL_SIZES},
                          "Width × depth of the score network")
        self.device = combo(DEVICES, "Where the model trains")
        select(self.process, "ve")
        select(self.size, DEFAULT_POINT_MODEL_SIZE)
        model = self.device.model()
        for i in range(self.device.count()):
            key = self.device.itemData(i)
            if key not in ("auto", *available_devices):
                model.item(i).setEnabled(False)
        self.train = button("Train", "Start / pause training (T)", checkable=True)
        self.reset = button("Reset", "Forget the model and start from scratch")
        self.step_label = value_label("step 0")
        self.rate_label = value_label("")
        self.error_label = value_label("")
        self.nll_label = value_label("")         # the Density view's held-out NLL (computed only while it is on)
        self.nll_label.setToolTip("Mean −log p̃ of held-out points under the model (probability-flow ODE) at the "
                                  "process's smallest σ, in nats per point: lower is better. Computed with the "
                                  "Density view's map (D), so only while it is on; dimmed when out of date")
        self.device_label = hint("device: –")
        self.loss_plot = small_plot()
        self.loss_curve = self.loss_plot.plot([], [], pen=pg.mkPen("#4fa3ff", width=1.2))
        self.loss_smooth = self.loss_plot.plot([], [], pen=pg.mkPen("#ffcc66", width=1.6))
        self.loss_plot.setLogMode(x=False, y=True)
        self.loss_plot.setLabel("left", "loss")
        self.level_plot = small_plot(84)
        self.level_bars = pg.BarGraphItem(x=[], height=[], width=0.1, brush="#4fa3ff", pen=None)
        self.level_plot.addItem(self.level_bars)
        self.level_plot.setLabel("bottom", "log₁₀ σ")
        self.level_plot.setLabel("left", "per σ")

        form = QtWidgets.QFormLayout(self)
        form.setContentsMargins(6, 4, 6, 4)
        form.addRow("Process", self.process)
        form.addRow("Loss, model", row(self.loss, self.size))   # one row: the mode-weight chart must fit at 900 px
        form.addRow("Device", row(self.device, self.device_label))
        form.addRow(row(self.train, self.reset, self.step_label))
        form.addRow(self.rate_label)
        form.addRow(self.error_label)
        form.addRow(self.nll_label)
        form.addRow(self.loss_plot)
        form.addRow(self.level_plot)

        for box in (self.process, self.loss, self.size, self.device):
            box.activated.connect(self._emit_config)
        self.train.toggled.connect(self._on_train)
        self.reset.clicked.connect(self.reset_requested)

    # --- outgoing --------------------------------------------------------------------------------------------
    def options(self) -> dict:
        return {"process": self.process.currentData(), "loss": self.loss.currentData(),
                "model_size": self.size.currentData(), "device": self.device.currentData()}

    def _emit_config(self, *_):
        self.loss_plot.setLogMode(x=False, y=self.loss.currentData() == "dsm")
        self.configure.emit(self.options())

    def _on_train(self, on: bool) -> None:
        self.train.setText("Pause" if on else "Train")
        self.train_toggled.emit(on)

    def set_options(self, options: dict) -> None:
        for box, key in ((self.process, "process"), (self.loss, "loss"), (self.size, "model_size"),
                         (self.device, "device")):
            if key in options:
                select(box, options[key])
        self.loss_plot.setLogMode(x=False, y=self.loss.currentData() == "dsm")

    # --- incoming --------------------------------------------------------------------------------------------
    def show_running(self, running: bool) -> None:
        show_toggle(self.train, running, "Pause", "Train")

    def show_nll(self, nll: float | None, fresh: bool = True) -> None:
        """"NLL 1.23 nats/pt (held-out, σ_min)" (None: nothing; NaN: no model yet), dimmed unless `fresh`."""
        if nll is None:
            self.nll_label.setText("")
        elif math.isfinite(nll):
            self.nll_label.setText(f"NLL {nll:.2f} nats/pt (held-out, σ_min)")
        else:
            self.nll_label.setText("NLL – (no model yet)")
        self.nll_label.setEnabled(fresh)     # a disabled label takes the palette's dim text colour

    def show_frame(self, f) -> None:
        self.show_running(f.running)
        self.device_label.setText(f"in use: {f.device}")
        self.step_label.setText(f"step {f.step:,}")
        if f.step == 0:
            self.rate_label.setText("press Train (T) to start")
            self.error_label.setText(f"target: median error ≤ {MATCH_THRESHOLD} at σ = {f.mid_sigma:.3g}"
                                     if math.isfinite(f.mid_sigma) else "")
            self.loss_curve.setData([], [])
            self.loss_smooth.setData([], [])
            self.level_bars.setOpts(x=[], height=[])
            return
        self.rate_label.setText(f"loss {f.smoothed_loss:.4g}   {f.steps_per_second:,.0f} steps/s   "
                                f"{f.train_seconds:.1f} s")
        err = f"error@σ={f.mid_sigma:.2g}: {f.mid_error:.3f}" if math.isfinite(f.mid_error) else "error: –"
        if math.isfinite(f.time_to_match):
            err += f"   matched in {f.time_to_match:.1f} s"
        self.error_label.setText(err)
        hist = f.loss_history
        if len(hist):
            positive = self.loss.currentData() != "dsm" or (hist > 0).all()
            if not positive:
                self.loss_plot.setLogMode(x=False, y=False)
            k = max(1, len(hist) // 50)
            smooth = np.convolve(hist, np.ones(k) / k, mode="valid")
            self.loss_curve.setData(f.history_steps, hist)
            self.loss_smooth.setData(f.history_steps[k - 1:], smooth)
        edges = np.log10(f.level_edges)
        ok = np.isfinite(f.level_losses)
        centres = 0.5 * (edges[1:] + edges[:-1])
        if ok.any():
            self.level_bars.setOpts(x=centres[ok], height=f.level_losses[ok], width=0.85 * (edges[1] - edges[0]))
