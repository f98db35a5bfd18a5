"""Pairwise projections of D-dimensional data (the "pair plot" convention, as in sbi's `pairplot`): one small 2-D
panel per axis pair below the diagonal with the data and the particles, and on the diagonal each coordinate's
histogram, the particles' over the data's. Clicking a panel picks that pair for the main canvas."""
from __future__ import annotations

import numpy as np

from scoreviz.app.qt import QtCore, QtGui, pg
from scoreviz.app.theme import PROJECTED_PARTICLES_RGB

#: Points drawn per panel (a fixed random subset: the pair plot shows the shape, the main canvas the detail).
PANEL_POINTS = 1500
HIST_BINS = 40
#: Particles without mode labels (RGBA); with labels, each takes its mode's colour at this alpha.
PARTICLE_BRUSH = (*PROJECTED_PARTICLES_RGB, 160)


class PairPlot(pg.GraphicsLayoutWidget):
    """`pair_selected(i, j)` when a panel is clicked (i < j)."""

    pair_selected = QtCore.Signal(int, int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.dim = 0
        self.selected = (0, 1)
        self._panels: dict[tuple[int, int], pg.PlotItem] = {}
        self._data_items: dict[tuple[int, int], pg.PlotDataItem] = {}
        self._particle_items: dict[tuple[int, int], pg.PlotDataItem] = {}
        self._data = np.zeros((0, 0))
        self._edges: list[np.ndarray] = []
        self._brushes: tuple = ((), [])       # (the mode colours' names, a brush per mode)
        self.scene().sigMouseClicked.connect(self._on_click)

    def set_data(self, points: np.ndarray) -> None:
        """Points (N, D), D ≥ 2: the panels are rebuilt when D changes."""
        dim = points.shape[1]
        if dim != self.dim:
            self._build(dim)
        rng = np.random.default_rng(0)
        self._data = points[rng.permutation(len(points))[:PANEL_POINTS]]
        lo, hi = points.min(0), points.max(0)
        span = np.where(hi > lo, hi - lo, 1.0)
        self._edges = [np.linspace(lo[k] - 0.1 * span[k], hi[k] + 0.1 * span[k], HIST_BINS + 1) for k in range(dim)]
        for (i, j), item in self._data_items.items():
            if i == j:
                counts, edges = np.histogram(points[:, i], bins=self._edges[i], density=True)
                item.setData(edges, counts, stepMode="center", fillLevel=0)
            else:
                item.setData(self._data[:, j], self._data[:, i])
        self.set_particles(np.zeros((0, dim)))
        self._mark_selected()

    def set_particles(self, positions: np.ndarray, labels: np.ndarray | None = None, colours=None) -> None:
        """Particles (N, D), each in the colour of its mode (`labels` (N,) into `colours`, as on the canvas) or,
        without labels, in one colour; the histograms on the diagonal count them all."""
        if positions.ndim != 2 or positions.shape[1] != self.dim:
            positions, labels = np.zeros((0, self.dim)), None
        sub = positions[:PANEL_POINTS]
        brushes = self._mode_brushes(labels[:PANEL_POINTS], colours) if labels is not None and colours else None
        for (i, j), item in self._particle_items.items():
            if i == j:
                if len(positions):
                    counts, edges = np.histogram(positions[:, i], bins=self._edges[i], density=True)
                    item.setData(edges, counts, stepMode="center")
                else:
                    item.setData([], [])
            elif brushes is not None:
                item.setData(sub[:, j], sub[:, i], symbolBrush=brushes)
            else:
                item.setData(sub[:, j], sub[:, i], symbolBrush=PARTICLE_BRUSH)

    def _mode_brushes(self, labels: np.ndarray, colours) -> list:
        """One brush per point, shared between the points of a mode (pyqtgraph caches a symbol per brush)."""
        key = tuple(QtGui.QColor(c).name() for c in colours)
        if self._brushes[0] != key:
            made = []
            for c in colours:
                c = QtGui.QColor(c)
                c.setAlpha(PARTICLE_BRUSH[3])
                made.append(pg.mkBrush(c))
            self._brushes = (key, made)
        made = self._brushes[1]
        return [made[k % len(made)] for k in labels.tolist()]

    def select(self, i: int, j: int) -> None:
        self.selected = (min(i, j), max(i, j))
        self._mark_selected()

    # --- internals -------------------------------------------------------------------------------------------
    def _build(self, dim: int) -> None:
        self.clear()
        self.dim = dim
        self._panels, self._data_items, self._particle_items = {}, {}, {}
        data_pen = pg.mkPen((160, 190, 220, 255))
        for i in range(dim):
            for j in range(i + 1):
                plot = self.addPlot(row=i, col=j)
                plot.hideButtons()
                plot.setMenuEnabled(False)
                plot.setMouseEnabled(False, False)
                for name in ("left", "bottom"):
                    plot.getAxis(name).setStyle(showValues=False, tickLength=0)
                    plot.getAxis(name).enableAutoSIPrefix(False)   # no "(x0.001)" beside the coordinate's name
                plot.getAxis("left").setWidth(14 if j == 0 else 0)
                plot.getAxis("bottom").setHeight(14 if i == dim - 1 else 0)
                if j == 0:
                    plot.setLabel("left", f"x{i + 1}")
                if i == dim - 1:
                    plot.setLabel("bottom", f"x{j + 1}")
                if i == j:
                    data = plot.plot([], [], pen=data_pen, brush=(120, 150, 190, 90))
                    particles = plot.plot([], [], pen=pg.mkPen(PROJECTED_PARTICLES_RGB, width=1.5))
                else:
                    data = plot.plot([], [], pen=None, symbol="o", symbolSize=2, symbolPen=None,
                                     symbolBrush=(150, 180, 210, 120))
                    particles = plot.plot([], [], pen=None, symbol="o", symbolSize=2, symbolPen=None,
                                          symbolBrush=PARTICLE_BRUSH)
                self._panels[(i, j)] = plot
                self._data_items[(i, j)] = data
                self._particle_items[(i, j)] = particles

    def _mark_selected(self) -> None:
        a, b = self.selected
        for (i, j), plot in self._panels.items():
            chosen = (j, i) == (a, b)
            plot.getViewBox().setBorder(pg.mkPen((255, 204, 102), width=2) if chosen else None)

    def _on_click(self, event) -> None:
        pos = event.scenePos()
        for (i, j), plot in self._panels.items():
            if i != j and plot.sceneBoundingRect().contains(pos):
                self.select(j, i)
                self.pair_selected.emit(j, i)     # x = coordinate j, y = coordinate i
                return

    def panel(self, i: int, j: int) -> pg.PlotItem:
        return self._panels[(i, j)]
