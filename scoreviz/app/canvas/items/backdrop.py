"""The backdrop: the heat map of p_σ and the fading particle trails composited into ONE image (one drawImage per
frame instead of two blended layers).

Trails are a decaying accumulation, one image whatever their length: every frame acc ← decay·acc + splat(positions).
The heat map
(log p_σ − max on the worker's grid) is resampled bilinearly onto the same pixel grid over the visible area
once per new field and kept as a colour index per pixel (256 = no heat there). Each frame then needs no
per-channel blending: the trail level q = ⌊255·√acc⌋ and the heat index pick the final premultiplied ARGB pixel
from a (257 × 256) table (heat colour blended towards the trail colour by 0.9·q/255), built once per colour
scheme. Qt draws the single scaled image.
"""
from __future__ import annotations

import numpy as np

from scoreviz.app.qt import QtCore, QtGui, pg
from scoreviz.app.canvas.items.heat import BARE, HeatIndex, PreparedHeat

def box_sum(image: np.ndarray, k: int) -> np.ndarray:
    """Each pixel of `image` (H, W) summed over the (2k + 1)² box around it, pixels outside counting 0: the same
    as splatting every point 2k + 1 times across, shifted by whole pixels (two 1-D passes of shifted adds)."""
    rows = image.copy()
    for d in range(1, k + 1):
        rows[d:] += image[:-d]
        rows[:-d] += image[d:]
    out = rows.copy()
    for d in range(1, k + 1):
        out[:, d:] += rows[:, :-d]
        out[:, :-d] += rows[:, d:]
    return out


class BackdropItem(pg.GraphicsObject):
    """The heat map (a HeatIndex) and the particles' fading trails, composited into one image (module doc)."""

    def __init__(self, rgb=(255, 150, 60), resolution: int = 256, decay: float = 0.88, gain: float = 0.35):
        super().__init__()
        self.resolution = resolution
        self.decay = decay
        self.gain = gain
        n = resolution
        self._rect = QtCore.QRectF(0, 0, 1, 1)
        self._acc = np.zeros((n, n), dtype=np.float32)
        self.heat = HeatIndex(n)
        self._heat_lut: np.ndarray | None = None  # (256, 3) uint8: the lut the table was built with
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
        self.heat_visible = True
        self.set_colour(rgb)

    @property
    def heat_rgb(self) -> np.ndarray | None:
        """(n, n, 3) uint8 heat colours over the current area (0 where uncovered), or None without a heat map."""
        if self.heat.index is None or self._heat_lut is None:
            return None
        idx = self.heat.index >> 8
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

    def set_heat(self, values: np.ndarray | None, rect=None, levels=(-9.0, 0.0), lut: np.ndarray | None = None,
                 ahead: PreparedHeat | None = None):
        """The heat map (H, W) over rect (x, y, w, h) coloured by lut (256, 3|4) between levels; None: no heat.
        `ahead`: its indices made by `prepare_heat` (used if the area has not changed since)."""
        self.heat.set_source(values, rect, levels)
        if lut is not None:
            lut = np.asarray(lut)[:, :3].astype(np.uint8)
            if self._heat_lut is None or not np.array_equal(lut, self._heat_lut):
                self._heat_lut = lut
                self._build_table()
        self._resample_heat(ahead)
        self._show()

    def prepare_heat(self, values: np.ndarray, rect, levels=(-9.0, 0.0)) -> PreparedHeat:
        """The heat indices `set_heat` would make over the current area, without changing what is shown."""
        return self.heat.prepare(values, rect, levels, self._area())

    def set_heat_visible(self, on: bool) -> None:
        self.heat_visible = on
        self._show()

    # --- per frame -------------------------------------------------------------------------------------------
    def reset(self) -> None:
        self._acc[:] = 0
        self._show()

    def add(self, positions: np.ndarray, width: int = 1) -> None:
        """Decay the old trails and splat the particles (N, 2) at their new positions, each `width` pixels
        across (odd: a width × width box around the particle's pixel)."""
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
            splat = self._splat.reshape(n, n)
            acc += splat if width <= 1 else box_sum(splat, width // 2)
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

    def _area(self) -> tuple[float, float, float, float]:
        r = self._rect
        return (r.left(), r.top(), r.width(), r.height())

    def _resample_heat(self, ahead: PreparedHeat | None = None) -> None:
        self.heat.resample(self._area(), ahead)

    def _show(self) -> None:
        level = self._level
        np.sqrt(self._acc, out=level)
        level *= 255.0
        heat = self.heat.index if (self.heat.index is not None and self.heat_visible) else self._bare_idx
        np.add(heat, level.astype(np.intp), out=self._index)   # 255·√acc ≤ 255: stays inside the row
        np.take(self._table, self._index, out=self._pixels)
        self.update()

    # --- QGraphicsItem ---------------------------------------------------------------------------------------
    def boundingRect(self) -> QtCore.QRectF:
        return QtCore.QRectF(self._rect)

    def paint(self, painter, option, widget=None):
        r = self._rect
        # the array's row 0 is the lowest y, which is where the view's y axis points up: draw it as it is
        opaque = self.heat.covers and self.heat_visible and self.heat.index is not None and self._heat_lut is not None
        painter.drawImage(QtCore.QRectF(r.left(), r.top(), r.width(), r.height()),
                          self._image_opaque if opaque else self._image)
