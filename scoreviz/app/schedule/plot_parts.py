"""What the Schedule tab's plots share: log axes labelled in plain numbers, the panel plot's look, and curves
added by name (plots.py, real_plots.py, nfe_plots.py)."""
from __future__ import annotations

import numpy as np

from scoreviz.app.qt import pg


class LogAxis(pg.AxisItem):
    """A log10 axis labelled with the value itself, only at 1, 2 and 5 × 10^k (the other minor ticks unlabelled),
    each label formatted by `LABEL`."""

    LABEL = "{:.3g}"

    def logTickStrings(self, values, scale, spacing):
        out = []
        for v in values:
            x = 10.0 ** float(v) * scale
            mantissa = x / 10.0 ** np.floor(np.log10(x))
            out.append(self.LABEL.format(x) if min(abs(mantissa - m) for m in (1, 2, 5, 10)) < 1e-6 else "")
        return out


def style_panel_plot(plot: pg.PlotItem, ylabel: str, *, legend_columns: int | None = None,
                     right_axis: bool = True) -> pg.PlotItem:
    """The tab's look: no menu or buttons, a faint grid, the y label, a fixed left axis width, and (right_axis) an
    empty right axis of one width, so the x axes of stacked plots line up; a one-row legend along the top, over
    the headroom the y ranges keep free; the wheel scrolls the panel, not the plot; no auto-range in y."""
    plot.setMenuEnabled(False)
    plot.hideButtons()
    plot.showGrid(x=True, y=True, alpha=0.15)
    plot.setLabel("left", ylabel)
    plot.getAxis("left").enableAutoSIPrefix(False)
    plot.getAxis("left").setWidth(52)
    if right_axis:
        plot.showAxis("right")
        plot.getAxis("right").setStyle(showValues=False)
        plot.getAxis("right").setWidth(56)
    if legend_columns:
        plot.addLegend(offset=(6, 2), labelTextSize="8pt", colCount=legend_columns, verSpacing=-6)
    plot.getViewBox().setMouseEnabled(x=False, y=False)
    plot.enableAutoRange(axis="y", enable=False)
    return plot


def theme_panel_plot(plot: pg.PlotItem, theme) -> None:
    """The theme's axis and text colours on a panel plot's three axes and its legend's labels."""
    for side in ("left", "bottom", "right"):
        plot.getAxis(side).setPen(theme.axis)
        plot.getAxis(side).setTextPen(theme.text)
    plot.legend.setLabelTextColor(theme.text)
    for _, label in plot.legend.items:
        label.setText(label.text)   # setLabelTextColor applies to the next setText


def add_curve(plot: pg.PlotItem, name: str, **kw) -> pg.PlotDataItem:
    """A PlotDataItem named `name` (its legend entry) in `plot`."""
    curve = pg.PlotDataItem(name=name, **kw)
    plot.addItem(curve)
    return curve
