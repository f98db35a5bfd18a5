"""The backdrop: the heat map of p_σ and the fading particle trails composited into ONE image.

Trails are a decaying accumulation (GUIDE §3): every frame acc ← decay·acc + splat(positions). The heat map
(log p_σ − max on the worker's grid) is resampled bilinearly onto the same pixel grid over the visible area
and coloured through the theme's lookup table once per new field; each frame then only blends the trail colour
over it (one small NumPy pass) and Qt draws a single scaled image instead of two.
"""
from __future__ import annotations

import numpy as np

from ..qt import QtCore, QtGui, pg


def _bilinear(values: np.ndarray, rect, area, n: int) -> np.ndarray:
    """values (H, W) over rect (x, y, w, h), row 0 = lowest y, sampled at n×n pixel centres of area."""
    h, w = values.shape
    x0, y0, rw, rh = rect
    ax, ay, aw, ah = area
    px = ax + (np.arange(n) + 0.5) * aw / n
    py = ay + (np.arange(n) + 0.5) * ah / n
    fx = np.clip((px - x0) / rw * w - 0.5, 0, w - 1)
    fy = np.clip((py - y0) / rh * h - 0.5, 0, h - 1)
    ix, iy = np.minimum(fx.astype(int), w - 2 if w > 1 else 0), np.minimum(fy.astype(int), h - 2 if h > 1 else 0)
    tx, ty = (fx - ix)[None, :], (fy - iy)[:, None]
    ix1, iy1 = np.minimum(ix + 1, w - 1), np.minimum(iy + 1, h - 1)
    top = values[iy][:, ix] * (1 - tx) + values[iy][:, ix1] * tx
    bottom = values[iy1][:, ix] * (1 - tx) + values[iy1][:, ix1] * tx
    out = top * (1 - ty) + bottom * ty
    inside_x = (px >= x0) & (px <= x0 + rw)
    inside_y = (py >= y0) & (py <= y0 + rh)
    return np.where(inside_y[:, None] & inside_x[None, :], out, np.nan)


class TrailItem(pg.GraphicsObject):
    def __init__(self, rgb=(255, 150, 60), resolution: int = 256, decay: float = 0.88, gain: float = 0.35):
        super().__init__()
        self.resolution = resolution
        self.decay = decay
        self.gain = gain
        self._rect = QtCore.QRectF(0, 0, 1, 1)
        self._acc = np.zeros((resolution, resolution), dtype=np.float32)
        self._heat_src = None            # (values, rect, levels, lut)
        self._heat_rgb: np.ndarray | None = None   # (n, n, 3) float32 over the current area
        self._heat_ok: np.ndarray | None = None    # (n, n) bool: covered by the heat map
        # premultiplied RGBA bytes that a QImage wraps without copying; row 0 = lowest y (flipped when drawn)
        self._rgba = np.zeros((resolution, resolution, 4), dtype=np.uint8)
        self._buf = np.zeros((resolution, resolution, 3), dtype=np.float32)
        self._diff: np.ndarray | None = None
        self._heat_u8: np.ndarray | None = None
        self._image = pg.functions.ndarray_to_qimage(self._rgba, QtGui.QImage.Format.Format_RGBA8888_Premultiplied)
        self.heat_visible = True
        self.set_colour(rgb)

    # --- configuration ---------------------------------------------------------------------------------------
    def set_colour(self, rgb) -> None:
        self._trail_rgb = np.asarray(rgb[:3], dtype=np.float32)
        if self._heat_rgb is not None:
            self._diff = self._trail_rgb - self._heat_rgb
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
            col = ((positions[:, 0] - r.left()) * (n / r.width())).astype(np.int64)
            row = ((positions[:, 1] - r.top()) * (n / r.height())).astype(np.int64)
            ok = (col >= 0) & (col < n) & (row >= 0) & (row < n)
            counts = np.bincount(row[ok] * n + col[ok], minlength=n * n).reshape(n, n)
            acc += self.gain * counts
            np.minimum(acc, 1.0, out=acc)
        self._show()

    # --- internals -------------------------------------------------------------------------------------------
    def _resample_heat(self) -> None:
        if self._heat_src is None:
            self._heat_rgb = self._heat_ok = None
            return
        values, rect, (lo, hi), lut = self._heat_src
        r = self._rect
        v = _bilinear(values.astype(np.float32), rect, (r.left(), r.top(), r.width(), r.height()), self.resolution)
        ok = np.isfinite(v)
        idx = np.clip(((np.nan_to_num(v, nan=lo) - lo) / (hi - lo) * 255).astype(np.int32), 0, 255)
        self._heat_rgb = lut[idx, :3].astype(np.float32)
        self._heat_ok = ok
        self._diff = self._trail_rgb - self._heat_rgb
        self._heat_u8 = np.where(ok[..., None], lut[idx, :3], 0).astype(np.uint8)

    def _show(self) -> None:
        a = np.sqrt(self._acc)
        a *= 0.9
        out = self._rgba
        if self._heat_rgb is not None and self.heat_visible:
            # heat where there is no trail; heat + (trail − heat)·a where there is (premultiplied: opaque)
            np.multiply(self._diff, a[..., None], out=self._buf)
            self._buf += self._heat_rgb
            out[..., :3] = self._buf
            out[..., 3] = 255
            if not self._heat_ok.all():
                bare = ~self._heat_ok
                out[bare, :3] = (self._trail_rgb[None, :] * a[bare][:, None]).astype(np.uint8)
                out[bare, 3] = (a[bare] * 255).astype(np.uint8)
        else:
            np.multiply(self._trail_rgb[None, None, :], a[..., None], out=self._buf)
            out[..., :3] = self._buf
            out[..., 3] = (a * 255).astype(np.uint8)
        self.update()

    # --- QGraphicsItem ---------------------------------------------------------------------------------------
    def boundingRect(self) -> QtCore.QRectF:
        return QtCore.QRectF(self._rect)

    def paint(self, painter, option, widget=None):
        r = self._rect
        # the array's row 0 is the lowest y, which is where the view's y axis points up: draw it as it is
        painter.drawImage(QtCore.QRectF(r.left(), r.top(), r.width(), r.height()), self._image)
