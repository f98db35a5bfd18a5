"""The real-schedule plots of the Schedule tab: how each training target weights the schedule, and the
schedule's training steps before and after Lin et al.'s fixes.

    panel 1  Kingma–Gao w(λ) of ε-, v-, x-prediction, EDM and flow matching (each ∫ w dλ = 1; log scale) on the
             tab's shared horizontal axis (log σ̃ or log-SNR λ = −2 ln σ̃) over the process's noise range, as the
             schedule plots. Rule: the range is set, not x-linked, because pyqtgraph maps a link through screen
             positions, which differ between two plot widgets
    panel 2  λ_i = ln SNR_i at the training steps t_i = i/T as published and after the fixes, the sampler's
             timesteps as ticks under them (diffusers' leading spacing never reaches t = 1, trailing does)

Points where λ = −∞ (SNR 0: pure noise) cannot be drawn; the panel says so in words at the end of the curve.
Items are created once and updated with setData.
"""
from __future__ import annotations

import numpy as np

from scoreviz.app.qt import QtCore, pg
from scoreviz.app.schedule.plot_parts import add_curve, style_panel_plot, theme_panel_plot
from scoreviz.app.schedule.plots import AXIS_LABELS, AXES, SigmaAxis, axis_coordinate
from scoreviz.app.theme import DARK, Theme

#: The legend's words for core.schedule.snr.TARGETS.
TARGET_LABELS = {"epsilon": "ε-pred.", "v": "v-pred.", "x": "x₀-pred.", "edm": "EDM", "flow": "flow"}
#: w(λ) is drawn over this many decades below its highest value (the x-weighting spans e^{±15} otherwise).
WEIGHT_DECADES = 4.0
_TINY = 1e-300                     # log scale: a weight that underflowed to 0 is drawn at the floor
_HEADROOM = 0.35                   # panel 2: room above the curves for the legend, as a share of λ's span
_TICK_BANDS = ((0.06, 0.13), (0.16, 0.23))   # panel 2: sampler ticks before / after, shares of λ's span below


class RealSchedulePlots(pg.GraphicsLayoutWidget):
    """`show_frame(frame)` draws a `lab.frames.RealScheduleFrame`; `set_axis` follows the tab's axis."""

    def __init__(self, parent=None, theme: Theme = DARK):
        super().__init__(parent)
        self.axis = "sigma"
        self._frame = None
        self.weighting = self._plot(0, "w(λ) of each target", SigmaAxis("bottom"), 3)
        self.weighting.setLogMode(x=False, y=True)
        self.weight_curves = {k: self._curve(self.weighting, label) for k, label in TARGET_LABELS.items()}
        self.steps = self._plot(1, "log-SNR λ_i", None, 2)
        self.steps.setLabel("bottom", "t, the schedule's time (t_i = i/T at step i of a discrete schedule)")
        self.before_curve = self._curve(self.steps, "as published")
        # the entries of the fixed curve and of the ticks come and go with them (_in_legend)
        self.after_curve, self.before_ticks, self.after_ticks = (
            pg.PlotDataItem(**kw) for kw in ({}, {"connect": "pairs"}, {"connect": "pairs"}))
        for item in (self.after_curve, self.before_ticks, self.after_ticks):
            self.steps.addItem(item)
        self.terminal_note = pg.TextItem("", anchor=(1, 1))
        self.steps.addItem(self.terminal_note)
        self.apply_theme(theme)
        self._label_axes()

    def _plot(self, row: int, ylabel: str, bottom, columns: int) -> pg.PlotItem:
        plot = self.addPlot(row=row, col=0, axisItems={"bottom": bottom} if bottom is not None else None)
        return style_panel_plot(plot, ylabel, legend_columns=columns)

    _curve = staticmethod(add_curve)

    def apply_theme(self, theme: Theme) -> None:
        self.setBackground(theme.plot_bg)
        c = theme.mode_colours
        colours = (theme.accent, c[1], c[5], c[4], c[3])     # five hues apart in both themes (Okabe–Ito)
        for curve, colour in zip(self.weight_curves.values(), colours):
            curve.setPen(pg.mkPen(colour, width=2))
        dash = QtCore.Qt.PenStyle.DashLine
        self.before_curve.setPen(pg.mkPen(theme.accent, width=2))
        self.after_curve.setPen(pg.mkPen(theme.warning, width=2, style=dash))
        self.before_ticks.setPen(pg.mkPen(theme.accent, width=1))
        self.after_ticks.setPen(pg.mkPen(theme.warning, width=1))
        self.terminal_note.setColor(theme.warning)
        for p in (self.weighting, self.steps):
            theme_panel_plot(p, theme)

    def set_axis(self, axis: str) -> None:
        """"sigma" or "log_snr", as the tab's schedule plots (plots.SchedulePlots.set_axis)."""
        if axis not in AXES:
            raise ValueError(f"unknown axis {axis!r}; choose one of {', '.join(AXES)}")
        self.axis = axis
        self._label_axes()
        if self._frame is not None:
            self.show_frame(self._frame)

    def _label_axes(self) -> None:
        self.weighting.getAxis("bottom").setLogMode(self.axis == "sigma")
        self.weighting.setLabel("bottom", AXIS_LABELS[self.axis])

    def show_frame(self, frame) -> None:
        self._frame = frame
        x = axis_coordinate(self.axis, frame.sigma)
        for target, w in zip(frame.targets, frame.weights):
            self.weight_curves[target].setData(x, np.maximum(w, _TINY))
        self.weighting.setXRange(float(np.min(x)), float(np.max(x)), padding=0.02)
        top = float(np.max(frame.weights))
        if top > 0:   # the view's y is log10 w in log mode
            self.weighting.setYRange(np.log10(top) - WEIGHT_DECADES, np.log10(top) + 0.6, padding=0)
        self._show_steps(frame)

    def _show_steps(self, frame) -> None:
        before, after = frame.steps_log_snr, frame.fixed_log_snr
        fixed = after.size > 0
        for curve, lam in ((self.before_curve, before), (self.after_curve, after)):
            ok = np.isfinite(lam)
            curve.setData(frame.steps_t[ok] if lam.size else [], lam[ok] if lam.size else [])
        self.after_curve.setVisible(fixed)
        finite = np.concatenate([before[np.isfinite(before)], after[np.isfinite(after)]])
        lo, hi = float(finite.min()), float(finite.max())
        span = max(hi - lo, 1e-6)
        for ticks, times, (near, far) in ((self.before_ticks, frame.sampler_t, _TICK_BANDS[0]),
                                          (self.after_ticks, frame.fixed_sampler_t, _TICK_BANDS[1])):
            ticks.setData(np.repeat(times, 2), np.tile([lo - near * span, lo - far * span], len(times)))
            ticks.setVisible(len(times) > 0)
        self._in_legend(self.after_curve, "after the fix", fixed)
        self._in_legend(self.before_ticks, f"sampler's t (N = {len(frame.sampler_t)})", len(frame.sampler_t) > 0)
        self._in_legend(self.after_ticks, f"after (N = {len(frame.fixed_sampler_t)})", len(frame.fixed_sampler_t) > 0)
        self.steps.setYRange(lo - (_TICK_BANDS[1][1] + 0.03) * span, hi + _HEADROOM * span, padding=0)
        self.steps.setXRange(0.0, 1.0, padding=0.02)
        self._note_terminal(frame, lo)

    def _in_legend(self, item: pg.PlotDataItem, name: str, shown: bool) -> None:
        """`item` in panel 2's legend under `name` while it is drawn (a hidden item's entry would stay, crossed)."""
        legend = self.steps.legend
        label = legend.getLabel(item)
        if shown and label is None:
            legend.addItem(item, name)
        elif shown:
            label.setText(name)
        elif label is not None:
            legend.removeItem(item)

    def _note_terminal(self, frame, lo: float) -> None:
        """Say where the last step has SNR 0 (λ = −∞, not drawn)."""
        last = frame.fixed_log_snr if frame.fixed_log_snr.size else frame.steps_log_snr
        if last.size and last[-1] == -np.inf:
            self.terminal_note.setText("λ_T = −∞: SNR 0, pure noise at the last step")
            self.terminal_note.setPos(1.0, lo)
            self.terminal_note.setVisible(True)
        else:
            self.terminal_note.setVisible(False)
