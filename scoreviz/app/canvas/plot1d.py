"""1-D mode: the noised density p_σ(x) with a histogram of the particles above, and σ·s (learned and exact)
below, on a shared x axis that follows pan and zoom."""
from __future__ import annotations

import numpy as np

from scoreviz.app.qt import QtCore, pg

_EMPTY_STEP = (np.zeros(1), np.zeros(0))  # a step curve needs len(x) = len(y) + 1


class Plot1D(pg.GraphicsLayoutWidget):
    view_changed = QtCore.Signal(float, float)   # visible x range

    def __init__(self, parent=None):
        super().__init__(parent)
        self.top = self.addPlot(row=0, col=0)
        self.bottom = self.addPlot(row=1, col=0)
        self.bottom.setXLink(self.top)
        for p in (self.top, self.bottom):
            p.setMenuEnabled(False)
            p.hideButtons()
            p.showGrid(x=True, y=True, alpha=0.15)
        self.top.setLabel("left", "p_σ(x)")
        self.bottom.setLabel("left", "σ·s(x)")
        self.bottom.setLabel("bottom", "x")
        self.top.getViewBox().setMouseEnabled(x=True, y=False)
        self.bottom.getViewBox().setMouseEnabled(x=True, y=False)
        self.top.addLegend(offset=(-10, 10))
        self.bottom.addLegend(offset=(-10, 10))
        self.hist = pg.PlotCurveItem(*_EMPTY_STEP, stepMode="center", fillLevel=0, name="particles")
        self.density = pg.PlotDataItem(name="p_σ exact")
        self.data_hist = pg.PlotCurveItem(*_EMPTY_STEP, stepMode="center", name="data")
        self.top.addItem(self.data_hist)
        self.top.addItem(self.hist)
        self.top.addItem(self.density)
        self.exact = self.bottom.plot([], [], name="exact")
        self.learned = self.bottom.plot([], [], name="learned")
        self.zero = pg.InfiniteLine(pos=0, angle=0, pen=pg.mkPen((128, 128, 128, 120)))
        self.bottom.addItem(self.zero)
        self.top.getViewBox().sigXRangeChanged.connect(self._on_range)
        self._particles = np.zeros(0)
        self._density_max = 1.0

    def apply_theme(self, theme) -> None:
        self.setBackground(theme.plot_bg)
        self.density.setPen(pg.mkPen(theme.accent, width=2))
        self.exact.setPen(pg.mkPen(theme.accent, width=2))
        self.learned.setPen(pg.mkPen(theme.mode_colours[2], width=2, style=QtCore.Qt.PenStyle.DashLine))
        c = pg.mkColor(theme.trail_rgb)
        c.setAlpha(110)
        self.hist.setBrush(c)
        self.hist.setPen(pg.mkPen(theme.trail_rgb))
        self.data_hist.setPen(pg.mkPen(theme.muted, width=1))

    def _on_range(self, _vb, rng) -> None:
        self.view_changed.emit(float(rng[0]), float(rng[1]))

    def x_range(self) -> tuple[float, float]:
        r = self.top.getViewBox().viewRange()[0]
        return float(r[0]), float(r[1])

    def set_x_range(self, lo: float, hi: float) -> None:
        self.top.setXRange(lo, hi, padding=0)

    def show_data(self, points: np.ndarray) -> None:
        if len(points) == 0:
            self.data_hist.setData(*_EMPTY_STEP)
            return
        counts, edges = np.histogram(points[:, 0], bins=80, density=True)
        self.data_hist.setData(edges, counts)

    def show_field(self, f) -> None:
        self.density.setData(f.xs, f.density)
        self._density_max = float(np.max(f.density)) if len(f.density) else 1.0
        self.exact.setData(f.xs, f.exact)
        if f.learned is not None:
            self.learned.setData(f.xs, f.learned)
        else:
            self.learned.setData([], [])
        self.top.setYRange(0, 1.25 * max(self._density_max, 1e-9), padding=0)
        lim = float(np.nanmax(np.abs(f.exact))) if len(f.exact) else 1.0
        self.bottom.setYRange(-1.2 * lim, 1.2 * lim, padding=0)

    def show_particles(self, positions: np.ndarray) -> None:
        if len(positions) == 0:
            self.hist.setData(*_EMPTY_STEP)
            return
        lo, hi = self.x_range()
        counts, edges = np.histogram(positions[:, 0], bins=100, range=(lo, hi))
        width = (hi - lo) / 100
        dens = counts / max(1, len(positions)) / width
        self.hist.setData(edges, dens)
