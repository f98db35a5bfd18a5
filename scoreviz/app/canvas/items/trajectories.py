"""Whole paths of a few particles as one item: line segments grouped by colour, one `drawLines` per colour.

A ParticleFrame carries the paths of K chosen particles, (K, S, 2), from the release to the current step
(lab.trajectories). Each path becomes its S − 1 segments (x1, y1, x2, y2) in one contiguous float64 array, the
paths sorted by their particle's mode so that each mode colour is one `drawLines` call over a QLineF[] view of
that array (as the vector field draws its arrows): a few calls per frame whatever K and S. Paths longer than
MAX_DRAWN_POINTS are drawn through evenly spaced points (their first and last kept): 12 paths of 10,000 Langevin
steps would otherwise be 120,000 segments per frame for detail smaller than a pixel.

Wide lines (presentation mode) are `width` one-pixel passes, each a copy shifted by whole device pixels across the
lines' direction (down for a line flat on screen, right for a steep one): Qt strokes one-pixel cosmetic lines on
a fast path and wider ones through its general stroker, which costs several times more.
"""
from __future__ import annotations

import numpy as np

from pyqtgraph.Qt import compat

from scoreviz.app.qt import QtCore, QtGui, QtWidgets, pg
from scoreviz.app.canvas.items.bounds import box, set_bounds

#: Points of one path drawn at most (a path of more is drawn through evenly spaced ones).
MAX_DRAWN_POINTS = 1500


def drawn_points(paths: np.ndarray, limit: int = MAX_DRAWN_POINTS) -> np.ndarray:
    """`paths` (…, S, 2), or at most `limit` of their points evenly spaced, the first and the last among them."""
    s = paths.shape[-2]
    if s <= limit:
        return paths
    return paths[..., np.unique(np.linspace(0, s - 1, limit).round().astype(np.intp)), :]


def path_segments(paths: np.ndarray, groups: np.ndarray, limit: int = MAX_DRAWN_POINTS
                  ) -> tuple[np.ndarray, list[tuple[int, int, int]]]:
    """Segments (L, 4) float64 of the paths (K, S, 2), sorted by group (K,) int, and (group, first, count)
    per run of one group. Non-finite points end a path where they start."""
    order = np.argsort(groups, kind="stable")
    paths = drawn_points(paths, limit)
    k, s = paths.shape[:2]
    if np.isfinite(paths).all():                   # the usual frame: every path whole, in a few array operations
        p = paths[order].astype(np.float64)
        segs = np.concatenate([p[:, :-1], p[:, 1:]], axis=2).reshape(-1, 4)
        sorted_groups = groups[order]
        edges = np.flatnonzero(np.diff(sorted_groups)) + 1
        firsts = np.concatenate([[0], edges])
        counts = np.diff(np.concatenate([firsts, [k]]))
        runs = [(int(sorted_groups[f]), int(f) * (s - 1), int(c) * (s - 1)) for f, c in zip(firsts, counts)]
        return segs, runs
    pieces, runs, start = [], [], 0
    for k in order:
        p = np.asarray(paths[k], dtype=np.float64)
        finite = np.isfinite(p).all(1)
        if not finite.all():
            p = p[:np.argmin(finite)]
        if len(p) < 2:
            continue
        pieces.append(np.concatenate([p[:-1], p[1:]], axis=1))
        g = int(groups[k])
        if runs and runs[-1][0] == g:
            runs[-1] = (g, runs[-1][1], runs[-1][2] + len(p) - 1)
        else:
            runs.append((g, start, len(p) - 1))
        start += len(p) - 1
    segs = np.ascontiguousarray(np.concatenate(pieces)) if pieces else np.zeros((0, 4))
    return segs, runs


class TrajectoryItem(pg.GraphicsObject):
    """Paths (K, S, 2) coloured by a group per path (the particle's mode), `width` screen pixels wide."""

    def __init__(self, width: int = 1):
        super().__init__()
        self.width = int(width)
        self._bounds = QtCore.QRectF()
        self._segs = np.zeros((0, 4))
        self._runs: list[tuple[int, int, int]] = []     # (colour, first segment, count)
        self._pens: list[QtGui.QPen] = []
        self.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.NoCache)
        self.set_colours([QtGui.QColor("white")])

    def set_colours(self, colours) -> None:
        """Colour k draws the paths of group k (groups wrap around the list)."""
        colours = [QtGui.QColor(c) for c in colours]
        if [c.rgba() for c in colours] == [p.color().rgba() for p in self._pens]:
            return
        self._pens = []
        for colour in colours:
            pen = QtGui.QPen(QtGui.QColor(colour))
            pen.setWidthF(1.0)
            pen.setCosmetic(True)
            self._pens.append(pen)
        self.update()

    def set_paths(self, paths: np.ndarray | None, groups: np.ndarray | None = None) -> None:
        """Paths (K, S, 2) and their colour group (K,) int (None: all the first colour); None clears."""
        if paths is None or paths.ndim != 3 or paths.shape[2] != 2 or paths.shape[1] < 2:
            self.clear()
            return
        groups = np.zeros(len(paths), np.intp) if groups is None else np.asarray(groups, np.intp)
        self._segs, self._runs = path_segments(paths, groups)
        if not len(self._segs):
            self.clear()
            return
        xs, ys = self._segs[:, 0::2], self._segs[:, 1::2]
        set_bounds(self, box(xs.min(), ys.min(), xs.max(), ys.max()))

    def clear(self) -> None:
        self._segs, self._runs = np.zeros((0, 4)), []
        self.update()

    @property
    def segment_count(self) -> int:
        return len(self._segs)

    def boundingRect(self) -> QtCore.QRectF:
        return self._bounds

    def paint(self, painter, option, widget=None):
        if not self._runs or not self._pens:
            return
        transform = painter.transform()
        engine = painter.paintEngine()
        passes = self.width if (engine is not None and engine.type() == QtGui.QPaintEngine.Type.Raster
                                and not transform.isRotating()) else 1
        if passes < self.width:                 # another engine: Qt's own wide pen
            for pen in self._pens:
                pen.setWidthF(self.width)
        self._draw(painter, self._segs, self._runs)
        if passes >= 2:
            segs, runs = self._by_slope(transform)
            for shift in range(1, passes):
                for steep, (dx, dy) in enumerate(((0, shift), (shift, 0))):
                    painter.setTransform(transform * QtGui.QTransform.fromTranslate(dx, dy))
                    self._draw(painter, segs, [run for run in runs if run[3] == steep])
            painter.setTransform(transform)
        if passes < self.width:
            for pen in self._pens:
                pen.setWidthF(1.0)

    def _draw(self, painter, segs: np.ndarray, runs) -> None:
        base = segs.ctypes.data
        for run in runs:
            colour, first, count = run[:3]
            if count:
                painter.setPen(self._pens[colour % len(self._pens)])
                painter.drawLines(compat.wrapinstance(base + 32 * first, QtCore.QLineF), count)

    def _by_slope(self, transform) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
        """The segments regrouped, within each colour, into those flat on screen (|dy|·|m22| ≤ |dx|·|m11|) and
        the steep ones: (colour, first, count, steep) per group."""
        segs = self._segs
        steep = (np.abs(segs[:, 3] - segs[:, 1]) * abs(transform.m22())
                 > np.abs(segs[:, 2] - segs[:, 0]) * abs(transform.m11()))
        colour = np.repeat(np.arange(len(self._runs)), [count for _, _, count in self._runs])
        key = 2 * colour + steep
        order = np.argsort(key, kind="stable")
        counts = np.bincount(key, minlength=2 * len(self._runs))
        firsts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        runs = [(self._runs[g // 2][0], int(firsts[g]), int(counts[g]), g % 2) for g in range(len(counts))]
        return np.ascontiguousarray(segs[order]), runs
