"""The backdrop: the heat map of p_σ and the fading particle trails composited into ONE image.

Trails are a decaying accumulation (GUIDE §3): every frame acc ← decay·acc + splat(positions). The heat map
(log p_σ − max on the worker's grid) is resampled bilinearly onto the same pixel grid over the visible area
once per new field and kept as a colour index per pixel (256 = no heat there). Each frame then needs no
per-channel blending: the trail level q = ⌊255·√acc⌋ and the heat index pick the final premultiplied ARGB pixel
from a (257 × 256) table (heat colour blended towards the trail colour by 0.9·q/255), built once per colour
scheme. Qt draws the single scaled image.
"""
from __future__ import annotations

import numpy as np

from ..qt import QtCore, QtGui, pg

BARE = 256          # heat index of a pixel the heat map does not cover (or with the heat map hidden)


def _axis_weights(p: np.ndarray, start: float, span: float, size: int):
    """Bilinear taps along one axis: lower index, upper index, weight of the upper one (float32)."""
    f = np.clip((p - start) / span * size - 0.5, 0, size - 1)
    i0 = np.minimum(f.astype(np.intp), size - 2 if size > 1 else 0)
    i1 = np.minimum(i0 + 1, size - 1)
    return i0, i1, (f - i0).astype(np.float32)


class _Bilinear:
    """Resampling of (H, W) values over rect (x, y, w, h), row 0 = lowest y, at the n×n pixel centres of area:
    the taps and weights depend only on the geometry, so they are made once and reused for every new field.
    Separable: along x for the source rows that are needed, then along y (float32; NaN outside rect)."""

    def __init__(self, shape, rect, area, n: int):
        h, w = shape
        x0, y0, rw, rh = rect
        ax, ay, aw, ah = area
        px = ax + (np.arange(n) + 0.5) * aw / n
        py = ay + (np.arange(n) + 0.5) * ah / n
        self.ix0, self.ix1, self.tx = _axis_weights(px, x0, rw, w)
        iy0, iy1, self.ty = _axis_weights(py, y0, rh, h)
        self.rows = np.unique(np.concatenate([iy0, iy1]))          # only the source rows that are needed
        lookup = np.zeros(h, dtype=np.intp)
        lookup[self.rows] = np.arange(len(self.rows))
        self.iy0, self.iy1 = lookup[iy0], lookup[iy1]
        self.out_y = ~((py >= y0) & (py <= y0 + rh))
        self.out_x = ~((px >= x0) & (px <= x0 + rw))

    def __call__(self, values: np.ndarray) -> np.ndarray:
        sub = np.asarray(values, dtype=np.float32)[self.rows]
        across = sub[:, self.ix0]
        across += (sub[:, self.ix1] - across) * self.tx[None, :]
        out = across[self.iy0]
        out += (across[self.iy1] - out) * self.ty[:, None]
        out[self.out_y] = np.nan
        out[:, self.out_x] = np.nan
        return out


def _bilinear(values: np.ndarray, rect, area, n: int) -> np.ndarray:
    """values (H, W) over rect (x, y, w, h), row 0 = lowest y, sampled at n×n pixel centres of area."""
    return _Bilinear(np.shape(values), rect, area, n)(values)


class TrailItem(pg.GraphicsObject):
    def __init__(self, rgb=(255, 150, 60), resolution: int = 256, decay: float = 0.88, gain: float = 0.35):
        super().__init__()
        self.resolution = resolution
        self.decay = decay
        self.gain = gain
        n = resolution
        self._rect = QtCore.QRectF(0, 0, 1, 1)
        self._acc = np.zeros((n, n), dtype=np.float32)
        self._heat_src = None                     # (values, rect, levels, lut)
        self._resampler: tuple | None = None      # (geometry, _Bilinear) for the last heat map geometry
        self._heat_lut: np.ndarray | None = None  # (256, 3) uint8: the lut the table was built with
        self._heat_idx: np.ndarray | None = None  # (n, n) intp: heat colour index · 256, BARE·256 uncovered
        self._bare_idx = np.full((n, n), BARE * 256, dtype=np.intp)
        self._table = np.zeros((BARE + 1) * 256, dtype=np.uint32)   # premultiplied ARGB32 per (heat, q)
        self._level = np.zeros((n, n), dtype=np.float32)            # scratch: 255·√acc
        self._splat = np.zeros(n * n, dtype=np.float32)             # scratch: gain · particles per pixel
        self._index = np.zeros((n, n), dtype=np.intp)               # scratch: heat index + q
        # premultiplied ARGB pixels that the QImage wraps without copying; row 0 = lowest y
        self._pixels = np.zeros((n, n), dtype=np.uint32)
        self._image = QtGui.QImage(self._pixels, n, n, 4 * n, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
        # the same pixels read as opaque (alpha bytes all 255 where the heat map covers everything): Qt scales and
        # draws that without blending
        self._image_opaque = QtGui.QImage(self._pixels, n, n, 4 * n, QtGui.QImage.Format.Format_RGB32)
        self._heat_covers = False        # the heat map covers every pixel of the area
        self.heat_visible = True
        self.set_colour(rgb)

    @property
    def _heat_rgb(self) -> np.ndarray | None:
        """(n, n, 3) uint8 heat colours over the current area (0 where uncovered), or None without a heat map."""
        if self._heat_idx is None or self._heat_lut is None:
            return None
        idx = self._heat_idx >> 8
        ok = idx < BARE
        return np.where(ok[..., None], self._heat_lut[np.minimum(idx, 255)], 0).astype(np.uint8)

    # --- configuration ---------------------------------------------------------------------------------------
    def set_colour(self, rgb) -> None:
        self._trail_rgb = np.asarray(rgb[:3], dtype=np.float32)
        self._build_table()
        self._show()

    def set_area(self, rect: QtCore.QRectF) -> None:
        """The area (data coordinates) the image covers; clears the trails if it changed."""
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = QtCore.QRectF(rect)
            self._acc[:] = 0
            self._resample_heat()
            self._show()

    def set_heat(self, values: np.ndarray | None, rect=None, levels=(-9.0, 0.0), lut: np.ndarray | None = None):
        """The heat map (H, W) over rect (x, y, w, h) coloured by lut (256, 3|4) between levels; None: no heat."""
        self._heat_src = None if values is None else (values, tuple(rect), levels, lut)
        if lut is not None:
            lut = np.asarray(lut)[:, :3].astype(np.uint8)
            if self._heat_lut is None or not np.array_equal(lut, self._heat_lut):
                self._heat_lut = lut
                self._build_table()
        self._resample_heat()
        self._show()

    def set_heat_visible(self, on: bool) -> None:
        self.heat_visible = on
        self._show()

    # --- per frame -------------------------------------------------------------------------------------------
    def reset(self) -> None:
        self._acc[:] = 0
        self._show()

    def add(self, positions: np.ndarray) -> None:
        """Decay the old trails and splat the particles (N, 2) at their new positions."""
        acc = self._acc
        acc *= self.decay
        n = self.resolution
        r = self._rect
        if len(positions) and r.width() > 0 and r.height() > 0:
            with np.errstate(invalid="ignore", over="ignore"):
                col = positions[:, 0] - r.left()
                col *= n / r.width()
                row = positions[:, 1] - r.top()
                row *= n / r.height()
                ok = col >= 0
                ok &= col < n
                ok &= row >= 0
                ok &= row < n
            sel = np.flatnonzero(ok)
            flat = row[sel].astype(np.intp)
            flat *= n
            flat += col[sel].astype(np.intp)
            counts = np.bincount(flat, minlength=n * n)
            np.multiply(counts, np.float32(self.gain), out=self._splat, casting="unsafe")
            acc += self._splat.reshape(n, n)
            np.minimum(acc, 1.0, out=acc)
        self._show()

    # --- internals -------------------------------------------------------------------------------------------
    def _build_table(self) -> None:
        """Premultiplied ARGB32 of every (heat index, trail level q): the heat colour blended towards the trail
        colour by a = 0.9·q/255 (opaque), or, on bare pixels, the trail colour with alpha a."""
        a = (0.9 * np.arange(256, dtype=np.float32) / 255.0)[None, :, None]       # (1, 256, 1)
        trail = self._trail_rgb[None, None, :]
        rgba = np.empty((BARE + 1, 256, 4), dtype=np.float32)
        if self._heat_lut is not None:
            heat = self._heat_lut.astype(np.float32)[:, None, :]                   # (256, 1, 3)
            rgba[:BARE, :, :3] = heat + (trail - heat) * a
            rgba[:BARE, :, 3] = 255
        else:
            rgba[:BARE] = 0
        rgba[BARE, :, :3] = trail[0] * a[0]
        rgba[BARE, :, 3] = a[0, :, 0] * 255
        c = rgba.astype(np.uint32)
        self._table = ((c[..., 3] << 24) | (c[..., 0] << 16) | (c[..., 1] << 8) | c[..., 2]).reshape(-1)

    def _resample_heat(self) -> None:
        if self._heat_src is None:
            self._heat_idx = None
            self._heat_covers = False
            return
        values, rect, (lo, hi), _ = self._heat_src
        r = self._rect
        key = (np.shape(values), tuple(rect), (r.left(), r.top(), r.width(), r.height()), self.resolution)
        if self._resampler is None or self._resampler[0] != key:
            self._resampler = (key, _Bilinear(*key))
        v = self._resampler[1](values)
        bare = ~np.isfinite(v)
        v -= np.float32(lo)
        v *= np.float32(255.0 / (hi - lo))
        np.clip(v, 0, 255, out=v)
        v[bare] = BARE
        self._heat_covers = not bare.any()
        idx = v.astype(np.intp)
        idx <<= 8
        self._heat_idx = idx

    def _show(self) -> None:
        level = self._level
        np.sqrt(self._acc, out=level)
        level *= 255.0
        heat = self._heat_idx if (self._heat_idx is not None and self.heat_visible) else self._bare_idx
        np.add(heat, level.astype(np.intp), out=self._index)   # 255·√acc ≤ 255: stays inside the row
        np.take(self._table, self._index, out=self._pixels)
        self.update()

    # --- QGraphicsItem ---------------------------------------------------------------------------------------
    def boundingRect(self) -> QtCore.QRectF:
        return QtCore.QRectF(self._rect)

    def paint(self, painter, option, widget=None):
        r = self._rect
        # the array's row 0 is the lowest y, which is where the view's y axis points up: draw it as it is
        opaque = self._heat_covers and self.heat_visible and self._heat_idx is not None and self._heat_lut is not None
        painter.drawImage(QtCore.QRectF(r.left(), r.top(), r.width(), r.height()),
                          self._image_opaque if opaque else self._image)
