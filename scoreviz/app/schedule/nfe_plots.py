"""The quality-versus-NFE figure of the Schedule tab (EDM, Karras et al. 2022, Fig. 2, for these data):

    panel 1  sliced Wasserstein ÷ its finite-sample floor against the NFE each run spent, both axes log, one
             curve per sampler (colour) and series: solid B (the schedule in use), dashed A (pinned); ○ the
             exact score, △ the learned model. A line at 1: the floor, as close as two data samples are
    panel 2  the mode-weight error ½ Σ_k |w_k − w_k,true| (total variation) against NFE, where the data have modes

Rule: x is the NFE *used* (Heun spends 2n + 1, an odd number below an even budget), not the budget asked for,
because the cost is what the samplers are compared at. Curves are made per (series, sampler) as they first
arrive and dropped when a new sweep no longer has them.
"""
from __future__ import annotations

import numpy as np

from scoreviz.app.qt import QtCore, pg
from scoreviz.app.schedule.plot_parts import LogAxis, style_panel_plot
from scoreviz.app.theme import DARK, Theme

#: Pen style of each schedule, symbol of each score.
STYLES = {"B": QtCore.Qt.PenStyle.SolidLine, "A": QtCore.Qt.PenStyle.DashLine}
SYMBOLS = {"exact": "o", "learned": "t"}
#: The hues of the theme's mode colours a sampler takes, by its place among those swept (the eighth is a
#: grey, too close to the floor's line).
HUES = 7
#: Before the first sweep: the default budgets, and ratios from a little under the floor to a few times it.
_EMPTY_X, _EMPTY_Y = (10.0, 500.0), (0.5, 5.0)


class NFEAxis(LogAxis):
    """A log10-NFE axis labelled in plain numbers, only at 1, 2 and 5 × 10^k (10, 20, 50, 100, …)."""

    LABEL = "{:.0f}"


class NFEPlots(pg.GraphicsLayoutWidget):
    """`show_frame(frame)` draws a `lab.frames.NFESweepFrame`; `items[(schedule, score, sampler)]` are the
    (quality, mode error) PlotDataItems of each curve."""

    def __init__(self, parent=None, theme: Theme = DARK):
        super().__init__(parent)
        self.theme = theme
        self.quality = self._plot(0, "SW ÷ floor")
        self.quality.setLogMode(x=True, y=True)
        self.quality.addLegend(offset=(-6, 2), labelTextSize="8pt", colCount=3, verSpacing=-6)
        self.floor_line = pg.InfiniteLine(pos=0.0, angle=0, movable=False,   # log10(1): the floor
                                          label="floor", labelOpts={"position": 0.03, "anchors": [(0, 1), (0, 1)]})
        self.quality.addItem(self.floor_line)
        self.modes = self._plot(1, "mode error")
        self.modes.setLogMode(x=True, y=False)
        self.modes.setLabel("bottom", "NFE used (network evaluations, log scale)")
        self.ci.layout.setRowStretchFactor(0, 3)
        self.ci.layout.setRowStretchFactor(1, 2)
        self.items: dict[tuple[str, str, str], tuple[pg.PlotDataItem, pg.PlotDataItem]] = {}
        self.frame = None
        self._samplers: tuple[str, ...] = ()
        for p in (self.quality, self.modes):
            p.setXRange(*np.log10(_EMPTY_X), padding=0.05)
        self.quality.setYRange(*np.log10(_EMPTY_Y), padding=0)
        self.modes.setYRange(0.0, 0.5, padding=0)
        self.apply_theme(theme)

    def _plot(self, row: int, ylabel: str) -> pg.PlotItem:
        plot = style_panel_plot(self.addPlot(row=row, col=0, axisItems={"bottom": NFEAxis("bottom")}), ylabel,
                                right_axis=False)
        plot.enableAutoRange(enable=False)
        return plot

    def apply_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.setBackground(theme.plot_bg)
        self.floor_line.setPen(pg.mkPen(theme.muted, width=1, style=QtCore.Qt.PenStyle.DotLine))
        self.floor_line.label.setColor(theme.muted)
        for p in (self.quality, self.modes):
            for side in ("left", "bottom"):
                p.getAxis(side).setPen(theme.axis)
                p.getAxis(side).setTextPen(theme.text)
        self.quality.legend.setLabelTextColor(theme.text)
        for key, pair in self.items.items():
            self._style(key, *pair)

    def colour(self, sampler: str) -> str:
        """The sampler's hue: its place among the samplers of the sweep shown (the same ticks, the same hues)."""
        place = self._samplers.index(sampler) if sampler in self._samplers else 0
        return self.theme.mode_colours[place % HUES]

    def _style(self, key, quality: pg.PlotDataItem, modes: pg.PlotDataItem) -> None:
        schedule, score, sampler = key
        colour = self.colour(sampler)
        for item in (quality, modes):
            item.setPen(pg.mkPen(colour, width=2 if schedule == "B" else 1.5, style=STYLES[schedule]))
            item.setSymbol(SYMBOLS[score])
            item.setSymbolSize(6)
            item.setSymbolPen(pg.mkPen(colour, width=1))
            # exact: filled; learned: hollow, so the two scores of one sampler tell apart where they overlap
            item.setSymbolBrush(pg.mkBrush(colour) if score == "exact" else pg.mkBrush(self.theme.plot_bg))

    # --- drawing ---------------------------------------------------------------------------------------------
    def show_frame(self, frame) -> None:
        self.frame = frame
        if tuple(frame.samplers) != self._samplers:     # new hues: restyle the curves kept
            self._samplers = tuple(frame.samplers)
            for key, pair in self.items.items():
                self._style(key, *pair)
        keys = {(c.schedule, c.score, c.sampler) for c in frame.curves}
        for key in [k for k in self.items if k not in keys]:
            for plot, item in zip((self.quality, self.modes), self.items.pop(key)):
                plot.removeItem(item)
        for c in frame.curves:
            quality, modes = self._items((c.schedule, c.score, c.sampler))
            quality.setData(c.nfe_used.astype(np.float64), c.sw_ratio)
            modes.setData(c.nfe_used.astype(np.float64), c.mode_error if frame.has_modes else [])
        self.modes.setVisible(frame.has_modes)
        self._legend()
        self._ranges(frame)

    def _legend(self) -> None:
        """One entry per sampler, its colour (B's exact curve where there is one; the styles are the panel's key)."""
        legend = self.quality.legend
        shown = {key[2] for key, (item, _) in self.items.items() if legend.getLabel(item) is not None}
        for key in sorted(self.items, key=lambda k: (k[0] != "B", k[1] != "exact")):
            if key[2] not in shown:
                legend.addItem(self.items[key][0], key[2])
                shown.add(key[2])

    def _items(self, key) -> tuple[pg.PlotDataItem, pg.PlotDataItem]:
        if key not in self.items:
            pair = (pg.PlotDataItem(), pg.PlotDataItem())
            self.quality.addItem(pair[0])
            self.modes.addItem(pair[1])
            self._style(key, *pair)
            self.items[key] = pair
        return self.items[key]

    def _ranges(self, frame) -> None:
        """x over the budgets asked for (the figure does not jump as it fills in), y over the values and 1."""
        budgets = np.asarray(frame.budgets, dtype=np.float64)
        used = np.concatenate([c.nfe_used for c in frame.curves] + [budgets])
        lo, hi = np.log10(max(used.min(), 1.0)), np.log10(used.max())
        for p in (self.quality, self.modes):
            p.setXRange(lo, hi, padding=0.05)
        ratios = np.concatenate([c.sw_ratio for c in frame.curves] + [np.ones(1)])
        ratios = ratios[np.isfinite(ratios) & (ratios > 0)]
        self.quality.setYRange(np.log10(ratios.min()), np.log10(ratios.max()), padding=0.08)
        if frame.has_modes:
            errors = np.concatenate([c.mode_error for c in frame.curves])
            top = float(np.nanmax(errors)) if np.isfinite(errors).any() else 0.0
            self.modes.setYRange(0.0, max(top, 0.05) * 1.1, padding=0)
