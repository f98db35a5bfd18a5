"""A quiver drawn as line segments, one pen per magnitude band.

pyqtgraph has no quiver item: each arrow is a shaft and two barbs, i.e. three line segments computed in NumPy,
drawn from one contiguous QLineF array with one drawLines call per colour band. The colour bands have fixed
edges on the magnitude of σ·s (which is O(1) at every σ), so the colour scale does not flicker when the σ slider
moves. The velocity kinds' magnitude is |dx/dt| over the conditional speed r(t) (lab.velocity_field), O(1) at
every t in the same way.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pyqtgraph.Qt import compat

from scoreviz.app.qt import QtCore, QtGui, QtWidgets, pg
from scoreviz.app.canvas.items.bounds import box, set_bounds

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
    its grid cell (bounded), or the vectors themselves (the denoiser view: x → D(x)). The direction is the
    vectors' own and the length the magnitude's, which need not be |vector| (a velocity's is |v|/r(t))."""
    if not bounded:
        return vectors
    norm = np.linalg.norm(vectors, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        unit = np.where(norm[:, None] > 1e-12, vectors / norm[:, None], 0.0)
    length = cell * 0.92 * np.clip(0.3 + 0.7 * np.tanh(magnitude / 1.2), 0.0, 1.0)
    return unit * length[:, None]


@dataclass(frozen=True)
class ArrowGeometry:
    """What the field item draws: `segs` (3M, 4) lines (x1, y1, x2, y2) float64 in band order, three per arrow
    (shaft, two barbs), as one contiguous QLineF[]; `lines` (first line, count) per band; `bounds` (x0, y0, x1,
    y1) of all lines, or None without any."""

    segs: np.ndarray
    lines: tuple[tuple[int, int], ...]
    bounds: tuple[float, float, float, float] | None


def arrow_geometry(points: np.ndarray, vectors: np.ndarray, magnitude: np.ndarray, cell: float,
                   bounded: bool = True, edges: np.ndarray = BAND_EDGES) -> ArrowGeometry:
    """The lines of arrows at points (M, 2) along vectors (M, 2) in data units, coloured by the band of
    magnitude (M,) (|σ·s|, or |dx/dt|/r(t)) (non-finite arrows are left out). NumPy only: the window makes it when a field
    arrives, between two frames."""
    points = np.asarray(points, dtype=np.float64)
    vectors = np.asarray(vectors, dtype=np.float64)
    magnitude = np.asarray(magnitude, dtype=np.float64)
    ok = np.isfinite(vectors).all(1) & np.isfinite(magnitude) & np.isfinite(points).all(1)
    if not ok.all():
        points, vectors, magnitude = points[ok], vectors[ok], magnitude[ok]
    band = magnitude_bands(magnitude, edges).astype(np.uint8)
    order = np.argsort(band, kind="stable")              # small unsigned keys: NumPy's radix sort, O(M)
    starts = np.searchsorted(band[order], np.arange(len(edges) + 1))
    points, vectors, magnitude = points[order], vectors[order], magnitude[order]
    draw = display_vectors(vectors, magnitude, cell, bounded)
    segs = arrow_lines(points[:, 0], points[:, 1], draw[:, 0], draw[:, 1]).reshape(-1, 4)   # band order
    lines = tuple((3 * int(starts[k]), 3 * int(starts[k + 1] - starts[k])) for k in range(len(edges)))
    bounds = None
    if len(segs):
        xs, ys = segs[:, 0::2], segs[:, 1::2]
        bounds = (float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max()))
    return ArrowGeometry(segs, lines, bounds)


@dataclass(frozen=True)
class SlopeGroups:
    """`segs` (L, 4) regrouped for wide arrows at one screen aspect (|m11| / |m22| of the item's device
    transform): each band's lines that are flat on screen (|dy|·|m22| ≤ |dx|·|m11|) before its steep ones;
    `bands` holds (first line, flat count, steep count) per band."""

    aspect: float
    segs: np.ndarray
    bands: tuple[tuple[int, int, int], ...]


def slope_groups(segs: np.ndarray, lines, aspect: float) -> SlopeGroups:
    """`segs` (L, 4) in band order with (first, count) per band in `lines`, regrouped flat-then-steep per band."""
    steep = np.abs(segs[:, 3] - segs[:, 1]) > np.abs(segs[:, 2] - segs[:, 0]) * aspect
    band = np.repeat(np.arange(len(lines), dtype=np.uint8), [count for _, count in lines])
    group = 2 * band + steep.astype(np.uint8)
    order = np.argsort(group, kind="stable")             # small unsigned keys: NumPy's radix sort, O(L)
    counts = np.bincount(group, minlength=2 * len(lines))
    bands = tuple((start, int(counts[2 * k]), int(counts[2 * k + 1])) for k, (start, _) in enumerate(lines))
    return SlopeGroups(aspect, np.ascontiguousarray(segs[order]), bands)


class VectorFieldItem(pg.GraphicsObject):
    """A vector field on a grid: one `drawLines` per magnitude band (len(BAND_EDGES) pens), in one item.

    Nothing is cached: replaying the lines every frame costs less than re-rendering a device-sized cache each
    time a new field arrives, and those frames were the slowest (scoreviz bench: frame_full_ms, frame_p95_ms).
    Wide arrows (presentation mode) onto pixels are drawn as `width` one-pixel passes, each line shifted by
    whole device pixels across its own direction (sideways for a steep line, up and down for a flat one):
    Qt strokes one-pixel cosmetic lines on a fast path, wider ones through its general stroker, which costs
    several times more (`scoreviz bench`: frame_*_1440x900, in presentation mode's style).
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
        self._by_slope: SlopeGroups | None = None          # the lines regrouped for the passes of wide arrows
        self.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.NoCache)
        self.set_colours(colours or [QtGui.QColor("white")] * len(self.edges))

    @property
    def passes(self) -> int:
        """One-pixel passes that draw this width onto pixels (the width rounded; 1: Qt's own pen)."""
        return int(self.width + 0.5)

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
        self.show_geometry(arrow_geometry(points, vectors, magnitude, cell, bounded, self.edges))

    def show_geometry(self, geometry: ArrowGeometry, groups: SlopeGroups | None = None) -> None:
        """Draw arrows made ahead by `arrow_geometry` (a frame only swaps them in), and, for wide arrows, their
        `slope_groups_ahead` (else made by the first paint)."""
        self._segs, self._lines = geometry.segs, list(geometry.lines)
        self._by_slope = groups
        set_bounds(self, box(*geometry.bounds) if geometry.bounds is not None else QtCore.QRectF())

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
        passes = self.passes
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

    def slope_groups_ahead(self, geometry: ArrowGeometry, aspect: float) -> SlopeGroups | None:
        """What the paint of `geometry` at this screen aspect will need (None for arrows of one pixel)."""
        return slope_groups(geometry.segs, geometry.lines, aspect) if self.passes >= 2 else None

    def _grouped_by_slope(self, transform) -> SlopeGroups:
        sx, sy = abs(transform.m11()), abs(transform.m22())
        aspect = sx / sy if sy > 0 else math.inf
        groups = self._by_slope
        if groups is None or not math.isclose(groups.aspect, aspect, rel_tol=1e-6):
            groups = self._by_slope = slope_groups(self._segs, self._lines, aspect)
        return groups

    def _paint_passes(self, painter, passes: int) -> None:
        """`passes` one-pixel passes: all lines once, then copies shifted by whole device pixels, flat lines
        (on screen) up/down and steep ones sideways, so that every line is `passes` pixels thick."""
        transform = painter.transform()
        groups = self._grouped_by_slope(transform)
        base, bands = groups.segs.ctypes.data, groups.bands
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
