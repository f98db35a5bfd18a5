"""A point cloud. Opaque points of 1 to MAX_SPLAT device pixels are splatted with NumPy into a reusable
device-sized ARGB buffer and blitted with one `drawImage` (~1 ms for 10k points; Qt strokes 2-px cosmetic points
at ~3 ms, as zero-length lines whose 1/63-unit extent in *data* units also smears them sideways when zoomed in,
and presentation mode's round 4-px points slower still — painting holds the GIL the training worker needs).
Other styles (translucent colours, fractional sizes, rotated or high-DPI painters) use one `QPainter.drawPoints`
per colour on points sorted by colour; that grouping is made only when such a paint needs it and is cached while
the labels stay the same."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from pyqtgraph.Qt import compat

from scoreviz.app.qt import QtCore, QtGui, pg
from scoreviz.app.canvas.items.bounds import box, set_bounds


def _premultiplied_argb(c: QtGui.QColor) -> int:
    a = c.alpha()
    return (a << 24) | ((c.red() * a // 255) << 16) | ((c.green() * a // 255) << 8) | (c.blue() * a // 255)


#: The largest point (device pixels) drawn through the NumPy splat; a k-pixel point writes up to k² pixels.
MAX_SPLAT = 8


@lru_cache(maxsize=None)
def footprint(k: int, round_cap: bool) -> tuple[tuple[int, int], ...]:
    """The (dx, dy) pixels a point of k device pixels covers from its top-left pixel: the k×k square (a
    square-capped pen), or the disc inscribed in it (a round-capped pen, as Qt strokes points wider than 2.5)."""
    half, radius2 = 0.5 * (k - 1), (0.5 * k) ** 2
    return tuple((dx, dy) for dy in range(k) for dx in range(k)
                 if not round_cap or (dx - half) ** 2 + (dy - half) ** 2 <= radius2)


def round_cap(size: float) -> bool:
    """Points wider than 2.5 pixels are drawn round (smaller ones are a pixel or a 2×2 square either way)."""
    return size > 2.5


class PointCloudItem(pg.GraphicsObject):
    """Points (N, 2) with an optional colour group per point (N,) int; size in screen pixels."""

    def __init__(self, colour: QtGui.QColor | str = "white", size: float = 2.0):
        super().__init__()
        self._bounds = QtCore.QRectF()
        self._colours: list[QtGui.QColor] = [QtGui.QColor(colour)]
        self._size = float(size)
        self._positions = np.zeros((0, 2))
        self._labels: np.ndarray | None = None
        self._pens: list[QtGui.QPen] = []
        self._argb = np.zeros(0, dtype=np.uint32)            # premultiplied ARGB per colour
        self._opaque = True
        # drawPoints path: points sorted by colour (contiguous float64 = QPointF[]) and (colour, start, end)
        self._sorted: np.ndarray | None = None
        self._groups: list[tuple[int, int, int]] = []
        self._group_key: tuple | None = None                 # (labels copy, n colours, order, groups)
        self._colour_key: tuple | None = None                # (labels copy, argb, per-point ARGB) for the splat
        # splat path: a device-sized buffer that is all zero between paints
        self._splat_buf: np.ndarray | None = None
        self._splat_image: QtGui.QImage | None = None
        self._make_pens()

    # --- data ------------------------------------------------------------------------------------------------
    def set_style(self, colours, size: float | None = None) -> None:
        """colours: one colour for all points, or a list indexed by the labels."""
        self._colours = [QtGui.QColor(c) for c in (colours if isinstance(colours, (list, tuple)) else [colours])]
        if size is not None:
            self._size = float(size)
        self._make_pens()
        self.set_points(self._positions, self._labels)

    def set_colours(self, colours) -> None:
        """Change the colours without re-rendering (the next set_points uses them)."""
        colours = [QtGui.QColor(c) for c in colours]
        if [c.rgba() for c in colours] != [c.rgba() for c in self._colours]:
            self._colours = colours
            self._make_pens()

    def _make_pens(self) -> None:
        self._pens = []
        for colour in self._colours:
            pen = QtGui.QPen(colour)
            pen.setWidthF(self._size)
            pen.setCosmetic(True)
            cap = QtCore.Qt.PenCapStyle.RoundCap if round_cap(self._size) else QtCore.Qt.PenCapStyle.SquareCap
            pen.setCapStyle(cap)
            self._pens.append(pen)
        self._argb = np.array([_premultiplied_argb(c) for c in self._colours], dtype=np.uint32)
        self._opaque = all(c.alpha() == 255 for c in self._colours)
        self._sorted = None

    def set_points(self, positions: np.ndarray, labels: np.ndarray | None = None) -> None:
        positions = np.asarray(positions)
        if positions.dtype not in (np.float32, np.float64):
            positions = positions.astype(np.float64)
        positions = positions.reshape(-1, 2)
        self._positions = positions
        self._labels = None if labels is None else np.asarray(labels)
        self._sorted = None                                  # made by the drawPoints path when it needs it
        if len(positions):
            lo, hi = positions.min(0), positions.max(0)      # NaN or ±inf anywhere shows up here
            if not (np.isfinite(lo).all() and np.isfinite(hi).all()):
                finite = positions[np.isfinite(positions).all(1)]
                lo, hi = (finite.min(0), finite.max(0)) if len(finite) else (np.zeros(2), np.zeros(2))
            rect = box(lo[0], lo[1], hi[0], hi[1])
        else:
            rect = QtCore.QRectF()
        set_bounds(self, rect)

    def positions(self) -> np.ndarray:
        return self._positions

    # --- QGraphicsItem ---------------------------------------------------------------------------------------
    def boundingRect(self) -> QtCore.QRectF:
        return self._bounds

    def dataBounds(self, ax, frac=1.0, orthoRange=None):
        if not len(self._positions):
            return None
        col = self._positions[:, ax]
        col = col[np.isfinite(col)]
        return (float(col.min()), float(col.max())) if len(col) else None

    def paint(self, painter, option, widget=None):
        if not len(self._positions):
            return
        if self._opaque and self._size == int(self._size) and 1 <= self._size <= MAX_SPLAT and self._splat(painter):
            return
        self._draw_points(painter)

    # --- drawPoints path -------------------------------------------------------------------------------------
    def _grouped(self) -> None:
        """Sort the points by colour group; the permutation is reused while the labels stay the same."""
        positions, labels = self._positions, self._labels
        n = len(positions)
        if labels is None or len(self._colours) == 1 or labels.shape != (n,):
            order, groups = None, [(0, 0, n)]
        else:
            key = self._group_key
            if key is not None and key[1] == len(self._colours) and np.array_equal(key[0], labels):
                order, groups = key[2], key[3]
            else:
                order = np.argsort(labels, kind="stable")
                sorted_labels = labels[order]
                ks = np.unique(sorted_labels)
                starts = np.searchsorted(sorted_labels, ks)
                ends = np.searchsorted(sorted_labels, ks, side="right")
                groups = [(int(k) % len(self._colours), int(a), int(b)) for k, a, b in zip(ks, starts, ends)]
                self._group_key = (labels.copy(), len(self._colours), order, groups)
        pts = positions if order is None else positions[order]
        self._sorted = np.ascontiguousarray(pts, dtype=np.float64)
        self._groups = groups

    def _draw_points(self, painter) -> None:
        if self._sorted is None:
            self._grouped()
        base = self._sorted.ctypes.data
        for k, a, b in self._groups:
            if b > a:
                painter.setPen(self._pens[k])
                painter.drawPoints(compat.wrapinstance(base + 16 * a, QtCore.QPointF), b - a)

    # --- splat path ------------------------------------------------------------------------------------------
    def _point_colours(self):
        """Premultiplied ARGB of every point (or one for all), cached while the labels and colours stay."""
        labels, argb = self._labels, self._argb
        if len(argb) == 1 or labels is None or labels.shape != (len(self._positions),):
            return argb[0]
        key = self._colour_key
        if key is not None and key[1] is argb and np.array_equal(key[0], labels):   # ~10 µs for 10k labels
            return key[2]
        colours = argb[labels % len(argb)]
        self._colour_key = (labels.copy(), argb, colours)
        return colours

    def _splat(self, painter) -> bool:
        """Draw the points as k×k device-pixel squares or discs (k = size; the pixels a cosmetic pen covers, from
        ⌊x − (k−1)/2⌋; see `footprint`) through the NumPy buffer; False where this painter needs the general
        path.
        (No exceptions may leave paint(): PySide6 turns them into crashes.)"""
        tr = painter.transform()
        device = painter.device()
        # only onto pixels: an SVG or PDF export (another paint engine) gets real vector points
        if painter.paintEngine() is None or painter.paintEngine().type() != QtGui.QPaintEngine.Type.Raster:
            return False
        if tr.isRotating() or not tr.isAffine() or device is None or device.devicePixelRatioF() != 1.0:
            return False
        width, height = device.width(), device.height()
        if width < 2 or height < 2 or width * height > 64_000_000:
            return False
        buf = self._splat_buf
        if buf is None or buf.shape != (height, width):
            buf = self._splat_buf = np.zeros((height, width), dtype=np.uint32)
            self._splat_image = QtGui.QImage(buf, width, height, 4 * width,
                                             QtGui.QImage.Format.Format_ARGB32_Premultiplied)
        k = int(self._size)
        half = 0.5 * (k - 1)
        pts = self._positions
        with np.errstate(invalid="ignore", over="ignore"):
            x = pts[:, 0] * tr.m11()
            x += tr.m31() - half
            y = pts[:, 1] * tr.m22()
            y += tr.m32() - half
            ok = x >= 0
            ok &= x < width - k + 1
            ok &= y >= 0
            ok &= y < height - k + 1
        sel = np.flatnonzero(ok)
        if not len(sel):
            return True
        cols = x[sel].astype(np.intp)       # ≥ 0: truncation is floor
        rows = y[sel].astype(np.intp)
        flat = rows * width
        flat += cols
        colours = self._point_colours()
        colour = colours if np.ndim(colours) == 0 else colours[sel, None]
        offsets = np.array([dy * width + dx for dx, dy in footprint(k, round_cap(self._size))], dtype=np.intp)
        pixels = flat[:, None] + offsets                    # (points, footprint): one scatter, one clear
        out = buf.reshape(-1)
        out[pixels] = colour
        c0, c1, r0, r1 = int(cols.min()), int(cols.max()) + k, int(rows.min()), int(rows.max()) + k
        painter.save()
        painter.resetTransform()
        painter.drawImage(QtCore.QPointF(c0, r0), self._splat_image, QtCore.QRectF(c0, r0, c1 - c0, r1 - r0))
        painter.restore()
        out[pixels] = 0                                     # cheaper than zeroing the whole rectangle
        return True
