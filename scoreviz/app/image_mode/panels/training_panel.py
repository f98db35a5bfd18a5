"""Training read-outs: step, loss, images/s and device; the loss curve and the loss per noise level."""
from __future__ import annotations

import numpy as np

from scoreviz.app.panels.common import small_plot, value_label
from scoreviz.app.qt import QtWidgets


class ImageTrainingPanel(QtWidgets.QGroupBox):
    def __init__(self, parent=None):
        super().__init__("Training", parent)
        self.status = value_label("step 0")
        self.status.setWordWrap(True)   # "… images/s on cuda:0" does not fit the 360 px column
        self.loss_plot = small_plot(90)
        self.loss_plot.setLabels(left="loss", bottom="step")
        self.loss_curve = self.loss_plot.plot([], [])
        self.level_plot = small_plot(90)
        self.level_plot.setLogMode(x=True, y=False)
        self.level_plot.setLabels(left="loss", bottom="σ")
        self.level_curve = self.level_plot.plot([], [], symbol="o", symbolSize=4)
        form = QtWidgets.QVBoxLayout(self)
        form.setContentsMargins(6, 4, 6, 4)
        form.addWidget(self.status)
        form.addWidget(self.loss_plot)
        form.addWidget(self.level_plot)
        self.rules = value_label("")
        self.rules.setWordWrap(True)
        self.rules.setToolTip("NCSNv2's rules (Song & Ermon 2020) for this schedule at the images' dimension; "
                              "`scoreviz schedule --dim 784` prints the same")
        form.addWidget(self.rules)

    def show_schedule(self, frame) -> None:
        """A ScheduleFrame: the rules' figures and the warnings, in words."""
        r = frame.report
        ratio = "no constraint" if r.level_ratio is None else f"γ = {r.level_ratio:.4f} → {r.suggested_levels} levels"
        lines = [f"D = {r.dim}: level ratio {ratio}; Langevin step ε = {r.step_size:.3g} for "
                 f"{r.steps_each} steps a level; EMA {r.ema_rate}"]
        lines += [f"⚠ {w}" for w in r.warnings]
        self.rules.setText("\n".join(lines))

    def show_frame(self, t) -> None:
        """An ImageTrainingFrame."""
        loss = "—" if not np.isfinite(t.smoothed_loss) else f"{t.smoothed_loss:.4f}"
        self.status.setText(f"step {t.step:,}   loss {loss}   {t.images_per_second:,.0f} images/s   on {t.device}")
        if len(t.loss_history):
            start = t.step - len(t.loss_history)
            self.loss_curve.setData(np.arange(start, t.step), t.loss_history)
        seen = np.isfinite(t.level_losses)
        self.level_curve.setData(t.level_centres[seen], t.level_losses[seen])
