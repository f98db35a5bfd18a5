"""Schedule: the published schedules (`app.schedule.real_panel`: gallery, import, the log-SNR report and its
fixes), the noise schedule's parameters as controls, NCSNv2's rules and the warnings, the schedule plots
(`app.schedule.plots`), per-level sampler diagnostics, the A / B comparison and quality against NFE
(`app.schedule.nfe_panel`)."""
from __future__ import annotations


import numpy as np

from scoreviz.names import LOSS_WEIGHTINGS, NOISE_DISTRIBUTIONS

from scoreviz.app.qt import QtCore, QtWidgets, pg
from scoreviz.app.schedule.nfe_panel import NFESweepPanel
from scoreviz.app.schedule.plots import SchedulePlots
from scoreviz.app.schedule.real_panel import RealSchedulePanel
from scoreviz.app.panels.common import button, combo, hint, row, select, small_plot, spin_box, value_label

#: The process parameters the panel offers: label, minimum, maximum, decimals, tooltip.
PARAMETERS = {
    "sigma_min": ("σ_min", 1e-5, 1e3, 5, "Smallest noise level: samples come out blurred by about σ_min per axis"),
    "sigma_max": ("σ_max", 1e-3, 1e5, 3, "Largest noise level: NCSNv2 technique 1 sets it to the largest distance "
                                        "between two data points, so annealed samplers can move mass between modes"),
    "n_levels": ("levels L", 2, 5000, 0, "NCSN's number of geometric noise levels"),
    "beta_min": ("β_min", 0.0, 100.0, 3, "VP: β(0)"),
    "beta_max": ("β_max", 1e-3, 1000.0, 3, "VP: β(1); the terminal SNR α(1)²/s(1)² must be small"),
    "t_min": ("t_min", 1e-6, 0.49, 6, "Smallest time the SDE samplers reach"),
    "rho": ("ρ", 1.0, 20.0, 2, "EDM's sampling discretisation σ_i = (σ_max^{1/ρ} + i/N(σ_min^{1/ρ} − σ_max^{1/ρ}))^ρ "
                               "(off: uniform in t)"),
}


def _spin(name: str) -> QtWidgets.QAbstractSpinBox:
    label, lo, hi, decimals, tip = PARAMETERS[name]
    if decimals == 0:
        return spin_box(int(lo), int(hi), int(lo), 1, tip)
    box = spin_box(float(lo), float(hi), float(lo), 0.1, tip)
    box.setDecimals(decimals)
    box.setStepType(QtWidgets.QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
    box.setKeyboardTracking(False)   # one change per edit, not per keystroke: each one rebuilds the model
    return box


class SchedulePanel(QtWidgets.QWidget):
    """`changed(dict)`: new schedule options ({"process": {...}, "noise": {...}}); `reset_requested`;
    `pin_requested`; `compare_requested`; `axis_changed(str)`."""

    changed = QtCore.Signal(dict)
    reset_requested = QtCore.Signal()
    pin_requested = QtCore.Signal()
    compare_requested = QtCore.Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self._spins: dict[str, QtWidgets.QAbstractSpinBox] = {name: _spin(name) for name in PARAMETERS}
        self.rho_on = QtWidgets.QCheckBox("EDM ρ")
        self.rho_on.setToolTip(PARAMETERS["rho"][4])
        self.process_label = value_label("")
        self.reset = button("Reset to the data's defaults", "σ_max from the data, σ_min from its scale, ...")
        self.note = hint("Changing the schedule re-creates the noise process and the model: training starts again.")
        self.distribution = combo(NOISE_DISTRIBUTIONS, "Where training spends its noise levels")
        self.p_mean = spin_box(-5.0, 5.0, -1.2, 0.1, "Log-normal: mean of ln σ (EDM: −1.2)")
        self.p_std = spin_box(0.05, 5.0, 1.2, 0.1, "Log-normal: std of ln σ (EDM: 1.2)")
        self.weighting = combo(LOSS_WEIGHTINGS, "The loss weighting λ(σ)")
        self.gamma = spin_box(0.1, 100.0, 5.0, 0.5, "min-SNR-γ: the weight min(SNR, γ)/SNR")
        for box in (self.p_mean, self.p_std, self.gamma):
            box.setKeyboardTracking(False)
        self.axis = combo({"sigma": "log σ", "log_snr": "log-SNR"}, "The plots' horizontal axis")
        self.plots = SchedulePlots()
        self.plots.setMinimumHeight(420)
        self.real = RealSchedulePanel()
        self.rules = value_label("")
        self.rules.setWordWrap(True)
        self.warnings = QtWidgets.QLabel("")
        self.warnings.setWordWrap(True)
        self.warnings.setObjectName("warningLabel")
        self.levels_plot = small_plot(110)
        self.levels_plot.setLogMode(x=True, y=False)
        self.levels_plot.setLabel("bottom", "σ of the level")
        self.levels_plot.setLabel("left", "mode share")
        self.levels_title = hint("Per-level diagnostics appear while annealed Langevin or predictor–corrector runs.")
        self.pin = button("Pin as A", "Keep the current schedule as A; change it and compare")
        self.compare = button("Compare A / B", "Sample with A and with the current schedule (B): same sampler, "
                                               "particles and seed; exact score unless a model is trained")
        self.compare.setEnabled(False)
        self.ab_result = value_label("")
        self.ab_result.setWordWrap(True)
        self.nfe = NFESweepPanel()
        self._build()
        self._connect()
        self._curves: list[pg.PlotDataItem] = []
        self._present: tuple[str, ...] = ()
        self._loading = False

    def _build(self) -> None:
        form = QtWidgets.QFormLayout()
        self._form = form
        form.addRow("Process", self.process_label)
        for name in PARAMETERS:        # one row each; the rows of parameters the process lacks are hidden
            if name != "rho":
                form.addRow(PARAMETERS[name][0], self._spins[name])
        form.addRow("Sampling", row(self.rho_on, self._spins["rho"]))
        form.addRow(row(self.reset))
        form.addRow(self.note)
        form.addRow("Training σ", self.distribution)
        form.addRow("P_mean", row(self.p_mean, QtWidgets.QLabel("P_std"), self.p_std))
        form.addRow("Weight λ(σ)", row(self.weighting, QtWidgets.QLabel("γ"), self.gamma))
        form.addRow("Axis", self.axis)
        box = QtWidgets.QGroupBox("Schedule")
        box.setLayout(form)
        rules_box = QtWidgets.QGroupBox("NCSNv2's rules and warnings")
        rl = QtWidgets.QVBoxLayout(rules_box)
        rl.addWidget(self.rules)
        rl.addWidget(self.warnings)
        levels_box = QtWidgets.QGroupBox("Sampler, level by level")
        ll = QtWidgets.QVBoxLayout(levels_box)
        ll.addWidget(self.levels_title)
        ll.addWidget(self.levels_plot)
        ab_box = QtWidgets.QGroupBox("A / B")
        al = QtWidgets.QVBoxLayout(ab_box)
        al.addWidget(row(self.pin, self.compare))
        al.addWidget(self.ab_result)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 4)
        for w in (self.real, box, self.plots, rules_box, levels_box, ab_box, self.nfe):
            layout.addWidget(w)
        layout.addStretch(1)

    def _connect(self) -> None:
        for spin in self._spins.values():
            spin.valueChanged.connect(self._emit)
        self.rho_on.toggled.connect(self._emit)
        for box in (self.distribution, self.weighting):
            box.activated.connect(self._emit)
        for spin in (self.p_mean, self.p_std, self.gamma):
            spin.valueChanged.connect(self._emit)
        self.reset.clicked.connect(self.reset_requested)
        self.pin.clicked.connect(self._on_pin)
        self.compare.clicked.connect(self.compare_requested)
        self.axis.activated.connect(self._on_axis)

    def _on_axis(self, *_) -> None:
        for plots in (self.plots, self.real.plots):
            plots.set_axis(self.axis.currentData())

    # --- outgoing --------------------------------------------------------------------------------------------
    def options(self) -> dict:
        process = {name: self._spins[name].value() for name in self._present if name != "rho"}
        if "n_levels" in process:
            process["n_levels"] = int(process["n_levels"])
        process["rho"] = float(self._spins["rho"].value()) if self.rho_on.isChecked() else None
        noise = {"distribution": self.distribution.currentData(), "p_mean": self.p_mean.value(),
                 "p_std": self.p_std.value(), "weighting": self.weighting.currentData(),
                 "min_snr_gamma": self.gamma.value()}
        return {"process": process, "noise": noise}

    def set_value(self, name: str, value: float) -> None:
        """Set one parameter as a person would (emits `changed`)."""
        self._spins[name].setValue(value)

    def _emit(self, *_):
        if not self._loading:
            self.changed.emit(self.options())

    def _on_pin(self) -> None:
        self.compare.setEnabled(True)
        self.pin_requested.emit()

    # --- incoming --------------------------------------------------------------------------------------------
    def show_schedule(self, frame, parameters: dict, noise: dict) -> None:
        """A ScheduleFrame, the process's editable parameters (name → value) and the training-noise config."""
        self._loading = True
        try:
            self.process_label.setText(frame.process)
            self._present = tuple(parameters)
            for name, spin in self._spins.items():
                if name != "rho":
                    self._form.setRowVisible(spin, name in parameters)
                value = parameters.get(name)
                if value is not None and spin.value() != value:
                    spin.setValue(value)
            self.rho_on.setChecked(parameters.get("rho") is not None)
            select(self.distribution, noise.get("distribution", "process"))
            select(self.weighting, noise.get("weighting", "sigma2"))
            for spin, key in ((self.p_mean, "p_mean"), (self.p_std, "p_std"), (self.gamma, "min_snr_gamma")):
                if key in noise:
                    spin.setValue(float(noise[key]))
        finally:
            self._loading = False
        self.show_frame(frame)

    def show_frame(self, frame) -> None:
        """The plots and the rules of a ScheduleFrame (also the live loss figures while training)."""
        self.plots.show(frame)
        r = frame.report
        parts = []
        if getattr(r, "level_ratio", None):
            parts.append(f"level ratio γ = {r.level_ratio:.4f} → {r.suggested_levels} levels")
        else:
            parts.append("level ratio: no constraint in this dimension (D ≤ 4)")
        if getattr(r, "step_size", None):
            parts.append(f"Langevin step ε = {r.step_size:.3g}")
        if getattr(r, "sigma_max_rule", None) is not None:
            parts.append(f"σ_max rule (largest distance) = {r.sigma_max_rule:.3g}")
        if getattr(r, "prior_w2", None) is not None:
            parts.append(f"prior mismatch W₂ ≥ {r.prior_w2:.3g}")
        parts.append(f"EMA {getattr(r, 'ema_rate', 0.999)}")
        self.rules.setText(" · ".join(parts))
        warnings = tuple(getattr(r, "warnings", ()))
        self.warnings.setText("\n".join(f"⚠ {w}" for w in warnings) if warnings else "✓ no warnings")

    def show_levels(self, d) -> None:
        """A LevelDiagnosticsFrame: the mode shares level by level (and the realised snr in the title)."""
        k = d.mode_shares.shape[1] if d.mode_shares.ndim == 2 else 0
        while len(self._curves) < k:
            self._curves.append(self.levels_plot.plot([], [], symbol="o", symbolSize=4))
        for i, curve in enumerate(self._curves):
            if i < k and len(d.levels):
                curve.setData(d.levels[:len(d.mode_shares)], d.mode_shares[:, i])
                curve.setVisible(True)
            else:
                curve.setVisible(False)
        if len(d.snr):
            truth = ", ".join(f"{w:.2f}" for w in d.true_weights)
            last = ", ".join(f"{w:.2f}" for w in d.mode_shares[-1]) if k and len(d.mode_shares) else "–"
            self.levels_title.setText(
                f"{d.sampler}: {len(d.levels)} levels · realised snr {np.min(d.snr):.3g}–{np.max(d.snr):.3g} "
                f"(target {d.target_snr:.2f}) · mode shares now {last} (true {truth})")

    def set_mode_colours(self, colours) -> None:
        for i, curve in enumerate(self._curves):
            curve.setPen(pg.mkPen(colours[i % len(colours)], width=1.5))
            curve.setSymbolBrush(colours[i % len(colours)])

    def show_comparison(self, a, b) -> None:
        """Two ScheduleOutcomes."""
        def line(o):
            modes = ""
            if len(o.true_weights):
                modes = (" · modes " + ", ".join(f"{w:.2f}" for w in o.mode_weights)
                         + f" (true {', '.join(f'{w:.2f}' for w in o.true_weights)}, off by {o.mode_error:.2f})")
            return f"{o.label}: SW {o.sw_ratio:.2f}× floor{modes} · {o.seconds:.1f} s"

        better = "A" if a.sw_ratio < b.sw_ratio else "B"
        self.ab_result.setText(f"{line(a)}\n{line(b)}\n→ {better} is closer to the data ({a.sampler}).")

    def clear_comparison(self, text: str = "") -> None:
        self.ab_result.setText(text)
