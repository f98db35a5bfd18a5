"""The heat map of p_σ as colour indices per pixel of the backdrop: resampled bilinearly from the session's grid
onto the backdrop's pixel grid over the visible area, once per new field."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BARE = 256          # heat index of a pixel the heat map does not cover (or with the heat map hidden)


def _axis_weights(p: np.ndarray, start: float, span: float, size: int):
    """Bilinear taps along one axis: lower index, upper index, weight of the upper one (float32)."""
    f = np.clip((p - start) / span * size - 0.5, 0, size - 1)
    i0 = np.minimum(f.astype(np.intp), size - 2 if size > 1 else 0)
    i1 = np.minimum(i0 + 1, size - 1)
    return i0, i1, (f - i0).astype(np.float32)


class Bilinear:
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


def bilinear(values: np.ndarray, rect, area, n: int) -> np.ndarray:
    """values (H, W) over rect (x, y, w, h), row 0 = lowest y, sampled at n×n pixel centres of area."""
    return Bilinear(np.shape(values), rect, area, n)(values)


class HeatIndex:
    """`index` (n, n) intp: the heat colour index · 256 of each pixel of the area (BARE · 256 where uncovered), or
    None without a heat map; `covers`: the heat map covers every pixel. The taps are reused while the geometry
    stays the same."""

    def __init__(self, resolution: int):
        self.resolution = resolution
        self.index: np.ndarray | None = None
        self.covers = False
        self._source = None                        # (values, rect, levels)
        self._resampler: tuple | None = None       # (geometry, Bilinear)

    def set_source(self, values: np.ndarray | None, rect=None, levels=(-9.0, 0.0)) -> None:
        self._source = None if values is None else (values, tuple(rect), levels)

    def resample(self, area: tuple[float, float, float, float], ahead: "PreparedHeat | None" = None) -> None:
        """Recompute the indices over area (x, y, w, h), or take them from `ahead` (`prepare`) when it was made for
        this source and area."""
        if self._source is None:
            self.index, self.covers = None, False
            return
        if ahead is not None and ahead.values is self._source[0] and ahead.area == tuple(area):
            self.index, self.covers = ahead.index, ahead.covers
            return
        self.index, self.covers = self._indices(self._source, area)

    def prepare(self, values: np.ndarray, rect, levels, area) -> "PreparedHeat":
        """The indices `resample` would make for this source over area, without changing what is shown (the
        window makes them when a field arrives, between two frames)."""
        index, covers = self._indices((values, tuple(rect), levels), area)
        return PreparedHeat(values, tuple(area), index, covers)

    def _indices(self, source, area) -> tuple[np.ndarray, bool]:
        values, rect, (lo, hi) = source
        key = (np.shape(values), rect, tuple(area), self.resolution)
        if self._resampler is None or self._resampler[0] != key:
            self._resampler = (key, Bilinear(*key))
        v = self._resampler[1](values)
        bare = ~np.isfinite(v)
        v -= np.float32(lo)
        v *= np.float32(255.0 / (hi - lo))
        np.clip(v, 0, 255, out=v)
        v[bare] = BARE
        idx = v.astype(np.intp)
        idx <<= 8
        return idx, not bare.any()


@dataclass(frozen=True)
class PreparedHeat:
    """Heat indices made ahead for `values` over `area` (HeatIndex.prepare)."""

    values: np.ndarray
    area: tuple
    index: np.ndarray
    covers: bool
