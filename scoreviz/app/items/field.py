"""A quiver drawn as line segments, one pen per magnitude band (GUIDE §3).

pyqtgraph has no quiver item: each arrow is a shaft and two barbs, i.e. three line segments computed in NumPy,
drawn from one contiguous QLineF array with one drawLines call per colour band. The colour bands have fixed
edges on the magnitude of σ·s (which is O(1) at every σ), so the colour scale does not flicker when the σ slider
moves.
"""
from __future__ import annotations

import math

import numpy as np

from pyqtgraph.Qt import compat

from ..qt import QtCore, QtGui, QtWidgets, pg
from .bounds import box, set_bounds

# Fixed band edges on |σ·s| (dimensionless): the same colour means the same thing at every σ.
BAND_EDGES = np.array([0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.3, 1.7, 2.2], dtype=np.float64)
HEAD_FRACTION = 0.32
HEAD_ANGLE = np.deg2rad(24.0)


def magnitude_bands(magnitude: np.ndarray, edges: np.ndarray = BAND_EDGES) -> np.ndarray:
    """Band index (same shape) of each magnitude: 0 … len(edges) − 1 (the last band is open-ended)."""
    return np.clip(np.searchsorted(edges, magnitude, side="right") - 1, 0, len(edges) - 1)


def arrow_lines(x: np.ndarray, y: np.ndarray, dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """Arrows from (x, y) to (x + dx, y + dy), all (M,), as lines (M, 3, 4): (x1, y1, x2, y2) of the shaft
    (tail → tip) and of the two barbs (tip → outwards, HEAD_ANGLE either side of the shaft, pointing back)."""
    m = x.shape[0]
    c, s = np.cos(HEAD_ANGLE), np.sin(HEAD_ANGLE)
    out = np.empty((m, 3, 4), dtype=np.float64)
    tip_x, tip_y = x + dx, y + dy
    hx, hy = -HEAD_FRACTION * dx, -HEAD_FRACTION * dy
    out[:, 0, 0], out[:, 0, 1], out[:, 0, 2], out[:, 0, 3] = x, y, tip_x, tip_y     # shaft: tail → tip
    out[:, 1:, 0] = tip_x[:, None]                                                  # barbs: tip → out
    out[:, 1:, 1] = tip_y[:, None]
    out[:, 1, 2] = tip_x + c * hx - s * hy
    out[:, 1, 3] = tip_y + s * hx + c * hy
    out[:, 2, 2] = tip_x + c * hx + s * hy
    out[:, 2, 3] = tip_y - s * hx + c * hy
    return out


def display_vectors(vectors: np.ndarray, magnitude: np.ndarray, cell: float, bounded: bool) -> np.ndarray:
    """Arrow vectors (M, 2) to draw: the direction with a length that grows with the magnitude but stays inside
    its grid cell (bounded), or the vectors themselves (the denoiser view: x → D(x))."""
    if not bounded:
        return vectors
    with np.errstate(invalid="ignore", divide="ignore"):
        unit = np.where(magnitude[:, None] > 1e-12, vectors / magnitude[:, None], 0.0)
    length = cell * 0.92 * np.clip(0.3 + 0.7 * np.tanh(magnitude / 1.2), 0.0, 1.0)
    return unit * length[:, None]


class VectorFieldItem(pg.GraphicsObject):
    """A vector field on a grid: one `drawLines` per magnitude band (len(BAND_EDGES) pens), in one item.

    Nothing is cached: replaying the lines every frame costs less than re-rendering a device-sized cache each
    time a new field arrives, and those frames were the slowest (scoreviz bench: frame_full_ms, frame_p95_ms).
    Wide arrows (presentation mode) onto pixels are drawn as `width` one-pixel passes, each line shifted by
    whole device pixels across its own direction (sideways for a steep line, up and down for a flat one):
    Qt strokes one-pixel cosmetic lines on a fast path, wider ones through its general stroker, which costs 4×
    (64 × 64 arrows at 1440×900: 3.5 ms stroked, 1.7 ms in two passes).
    """

    def __init__(self, colours: list[QtGui.QColor] | None = None, width: float = 1.0):
        super().__init__()
        self.edges = BAND_EDGES
        self.width = width
        self._pens: list[QtGui.QPen] = []
        self._lines: list[tuple[int, int]] = []          # (first line, count) per band into _segs
        self._segs = np.zeros((0, 4))
        self._bounds = QtCore.QRectF()
        self._thin_pens: list[QtGui.QPen] = []           # one-pixel pens for the passes of wide arrows
        #: the lines regrouped for the passes of wide arrows: (threshold, lines, [(first, flat, steep)] per band)
        self._by_slope: tuple | None = None
        self.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.NoCache)
        self.set_colours(colours or [QtGui.QColor("white")] * len(self.edges))

    @property
    def n_bands(self) -> int:
        return len(self.edges)

    def set_colours(self, colours: list[QtGui.QColor]) -> None:
        self._pens, self._thin_pens = [], []
        for colour in colours:
            for pens, width in ((self._pens, self.width), (self._thin_pens, 1.0)):
                pen = QtGui.QPen(QtGui.QColor(colour))
                pen.setWidthF(width)
                pen.setCosmetic(True)
                pens.append(pen)
        self.update()

    def set_field(self, points: np.ndarray, vectors: np.ndarray, magnitude: np.ndarray, cell: float,
                  bounded: bool = True) -> None:
        """points (M, 2) arrow tails, vectors (M, 2) in data units, magnitude (M,) |σ·s| for the colour band."""
        points = np.asarray(points, dtype=np.float64)
        vectors = np.asarray(vectors, dtype=np.float64)
        magnitude = np.asarray(magnitude, dtype=np.float64)
        ok = np.isfinite(vectors).all(1) & np.isfinite(magnitude) & np.isfinite(points).all(1)
        if not ok.all():
            points, vectors, magnitude = points[ok], vectors[ok], magnitude[ok]
        band = magnitude_bands(magnitude, self.edges).astype(np.uint8)
        order = np.argsort(band, kind="stable")          # small unsigned keys: NumPy's radix sort, O(M)
        starts = np.searchsorted(band[order], np.arange(self.n_bands + 1))
        points, vectors, magnitude = points[order], vectors[order], magnitude[order]
        draw = display_vectors(vectors, magnitude, cell, bounded)
        segs = arrow_lines(points[:, 0], points[:, 1], draw[:, 0], draw[:, 1])   # (M, 3, 4), band order
        # one contiguous QLineF[] (x1, y1, x2, y2 float64) for all bands; paint draws a slice per band
        self._segs = segs.reshape(-1, 4)
        self._lines = [(3 * int(starts[k]), 3 * int(starts[k + 1] - starts[k])) for k in range(self.n_bands)]
        self._by_slope = None                            # made by the first paint of wide arrows
        if len(segs):
            xs, ys = self._segs[:, 0::2], self._segs[:, 1::2]
            rect = box(xs.min(), ys.min(), xs.max(), ys.max())
        else:
            rect = QtCore.QRectF()
        set_bounds(self, rect)

    def lines_of_band(self, band: int) -> np.ndarray:
        """The lines (k, 4) drawn with band `band`'s pen: (x1, y1, x2, y2), three per arrow (shaft, two barbs)."""
        start, count = self._lines[band] if band < len(self._lines) else (0, 0)
        return self._segs[start:start + count]

    def clear(self) -> None:
        self._lines = []
        self.update()

    def boundingRect(self) -> QtCore.QRectF:
        return self._bounds

    def paint(self, painter, option, widget=None):
        if not self._lines:
            return
        passes = int(self.width + 0.5)
        engine = painter.paintEngine()
        if (passes >= 2 and engine is not None and engine.type() == QtGui.QPaintEngine.Type.Raster
                and not painter.transform().isRotating()):
            self._paint_passes(painter, passes)
            return
        base = self._segs.ctypes.data
        for pen, (start, count) in zip(self._pens, self._lines):
            if count:
                painter.setPen(pen)
                painter.drawLines(compat.wrapinstance(base + 32 * start, QtCore.QLineF), count)

    def _grouped_by_slope(self, transform) -> tuple[np.ndarray, list[tuple[int, int, int]]]:
        """The lines regrouped so that each band's flat lines on screen (|dy|·|m22| ≤ |dx|·|m11|) come before its
        steep ones, and (first line, flat count, steep count) per band; remade when the view's aspect changes."""
        sx, sy = abs(transform.m11()), abs(transform.m22())
        key = sx / sy if sy > 0 else math.inf
        if self._by_slope is None or self._by_slope[0] != key:
            segs = self._segs
            steep = np.abs(segs[:, 3] - segs[:, 1]) * sy > np.abs(segs[:, 2] - segs[:, 0]) * sx
            band = np.repeat(np.arange(self.n_bands, dtype=np.uint8), [count for _, count in self._lines])
            group = 2 * band + steep.astype(np.uint8)
            order = np.argsort(group, kind="stable")     # small unsigned keys: NumPy's radix sort, O(M)
            counts = np.bincount(group, minlength=2 * self.n_bands)
            bands = [(start, int(counts[2 * k]), int(counts[2 * k + 1])) for k, (start, _) in enumerate(self._lines)]
            self._by_slope = (key, np.ascontiguousarray(segs[order]), bands)
        return self._by_slope[1], self._by_slope[2]

    def _paint_passes(self, painter, passes: int) -> None:
        """`passes` one-pixel passes: all lines once, then copies shifted by whole device pixels, flat lines
        (on screen) up/down and steep ones sideways, so that every line is `passes` pixels thick."""
        transform = painter.transform()
        lines, bands = self._grouped_by_slope(transform)
        base = lines.ctypes.data
        shifts = [o - (passes - 1) // 2 for o in range(passes) if o != (passes - 1) // 2]
        for pen, (start, flat, steep) in zip(self._thin_pens, bands):
            if not flat + steep:
                continue
            painter.setPen(pen)
            painter.setTransform(transform)
            painter.drawLines(compat.wrapinstance(base + 32 * start, QtCore.QLineF), flat + steep)
            for shift in shifts:
                for first, n, dx, dy in ((start, flat, 0, shift), (start + flat, steep, shift, 0)):
                    if n:
                        painter.setTransform(transform * QtGui.QTransform.fromTranslate(dx, dy))
                        painter.drawLines(compat.wrapinstance(base + 32 * first, QtCore.QLineF), n)
        painter.setTransform(transform)
