"""The live score field: arrows of σ·s(x, σ) on a grid over the visible area, and the noised density under them.

`LiveField` holds what the field is drawn for (σ, the view, the grid, which field, the process) and the exact
score and density it has already computed for them, and turns a learned-score function into a `FieldFrame` (2-D)
or `Field1DFrame` (1-D). It knows nothing of threads: a test calls `frame()` directly.

The velocity kinds (names.VELOCITY_KINDS) draw the probability-flow ODE's dx/dt in the process's coordinates x_t,
where the particles move, and the heat map under them is then log p_t(x_t), the same density seen at x_t = α·y
(lab.velocity_field); the score kinds draw σ·s̃(y, σ) over y = x₀ + σε as before. A 1-D field is always σ·s.
"""
from __future__ import annotations

import math
from typing import Callable, Mapping

import numpy as np
import torch

from scoreviz.core.exact_grid import exact_on_grid, grid_points
from scoreviz.names import FIELD_KINDS, VELOCITY_KINDS

from scoreviz.lab import frames as fr
from scoreviz.lab.commands import FieldOptions
from scoreviz.lab.velocity_field import VelocityView, ode_velocity, second_moment, velocity_view

#: Heat-map cells across the view (its rows follow the aspect ratio, at most HEAT_MAX_ROWS).
HEAT_RESOLUTION = 160
HEAT_MAX_ROWS = 256
#: log p_σ − max is clipped here: below it the heat map is black anyway.
HEAT_FLOOR = -30.0
GRID_RANGE = (4, 96)          # arrows across the view
CURVE_POINTS_1D = 400

#: A learned score: query points (M, D) float32 and σ → (M, D) float64 on the CPU, or None without a model.
LearnedScore = Callable[[torch.Tensor, float], "torch.Tensor | None"]


def relative_error(learned: torch.Tensor, exact: torch.Tensor) -> float:
    """median_i |learned_i − exact_i| / |exact_i| over the rows where the exact score is not ~0."""
    num = (learned - exact).norm(dim=1)
    den = exact.norm(dim=1)
    ok = den > 1e-9 * (den.max() if den.numel() else 1)
    if not bool(ok.any()):
        return math.nan
    return float((num[ok] / den[ok]).median())


def geometric_mid(lo: float, hi: float) -> float:
    """√(lo·hi): the middle of a range on the log-σ axis the slider uses."""
    return float(math.exp(0.5 * (math.log(lo) + math.log(hi))))


class LiveField:
    """The field's settings and caches for one dataset (set_data); `frame(learned)` computes the next frame."""

    def __init__(self):
        self.sigma = 0.5
        self.view = (-3.0, 3.0, -3.0, 3.0)   # xmin, xmax, ymin, ymax
        self.grid_n = 40
        self.kind = "learned"                # a key of names.FIELD_KINDS
        self.heat_on = True
        self.dataset = None
        self.version = -1
        self.axes = (0, 1)                   # D ≥ 3: the coordinates the view shows ...
        self.slice_point = None              # ... and the point (D,) the plane passes through
        self.process = None                  # the noise process (the velocity kinds need it)
        self._second_moment = 1.0            # E‖x₀‖²/D of the data (the velocity's colour scale)
        self._exact_cache = None
        self._heat_cache = None

    # --- settings (each returns whether the field must be recomputed) --------------------------------------------
    def set_data(self, dataset, version: int) -> None:
        self.dataset, self.version = dataset, version
        self._exact_cache = self._heat_cache = None
        self._second_moment = second_moment(dataset.train) if dataset is not None else 1.0
        if dataset is not None and dataset.dim > 2 and (self.slice_point is None or len(self.slice_point) != dataset.dim):
            self.axes, self.slice_point = (0, 1), tuple(dataset.train.double().mean(0).tolist())   # through the mean

    def set_process(self, process) -> None:
        """The noise process the velocity kinds are drawn under."""
        self.process = process

    def set_sigma(self, sigma: float) -> bool:
        sigma = float(sigma)
        changed = sigma != self.sigma
        self.sigma = sigma
        return changed

    def clamp_sigma(self, lo: float, hi: float) -> None:
        """Keep σ inside a new process's range: the middle of the range when it falls outside."""
        if not (lo <= self.sigma <= hi):
            self.sigma = geometric_mid(lo, hi)

    def set_view(self, rect) -> bool:
        rect = tuple(float(v) for v in rect)
        ok = all(map(math.isfinite, rect)) and rect[1] > rect[0] and rect[3] > rect[2]
        if not ok or rect == self.view:
            return False
        self.view = rect
        return True

    def set_options(self, options: FieldOptions | Mapping) -> None:
        """What the field shows (None fields keep theirs); an unknown kind is a ValueError, a grid is clipped to
        GRID_RANGE. A mapping (the `render` command's) is read as FieldOptions(**mapping): a misspelt key is a
        TypeError."""
        if not isinstance(options, FieldOptions):
            options = FieldOptions(**options)
        if options.kind is not None and options.kind not in FIELD_KINDS:
            raise ValueError(f"unknown field kind {options.kind!r}; choose one of {', '.join(FIELD_KINDS)}")
        self.kind = options.kind or self.kind
        if options.grid_n is not None:
            self.grid_n = int(np.clip(options.grid_n, *GRID_RANGE))
        if options.heat is not None:
            self.heat_on = bool(options.heat)

    # --- frames ----------------------------------------------------------------------------------------------
    def frame(self, learned: LearnedScore):
        """The field of the current settings, or None without data (or for D > 2, which the window cannot show)."""
        if self.dataset is None:
            return None
        if self.dataset.dim == 1:
            return self._frame_1d(learned)
        return self._frame_2d(learned)      # D ≥ 3: on the slice through `slice_point` along `axes`

    def grid(self) -> tuple[np.ndarray, np.ndarray, float]:
        """Arrow tails' x (nx,) and y (ny,) at cell centres over the view, and the cell size (square cells)."""
        xmin, xmax, ymin, ymax = self.view
        nx = self.grid_n
        cell = (xmax - xmin) / nx
        ny = int(np.clip(round((ymax - ymin) / cell), 2, 3 * nx))
        xs = xmin + (np.arange(nx) + 0.5) * cell
        ys = ymin + (np.arange(ny) + 0.5) * ((ymax - ymin) / ny)
        return xs, ys, cell

    # --- D ≥ 3: a 2-D slice -------------------------------------------------------------------------------------
    def set_slice(self, axes: tuple[int, int], point) -> bool:
        """Draw the field on the plane through `point` (D,) spanned by coordinates `axes` (the other coordinates
        held fixed, as in a pair plot's panel). Returns whether anything changed."""
        axes = (int(axes[0]), int(axes[1]))
        point = tuple(float(v) for v in point)
        if axes[0] == axes[1] or not all(map(math.isfinite, point)) or (axes, point) == (self.axes, self.slice_point):
            return False
        self.axes, self.slice_point = axes, point
        self._exact_cache = self._heat_cache = None
        return True

    def embed(self, plane: np.ndarray) -> np.ndarray:
        """Points (M, 2) of the slice's plane as points (M, D) of the data space (float64)."""
        out = np.tile(np.asarray(self.slice_point, dtype=np.float64), (plane.shape[0], 1))
        out[:, self.axes[0]], out[:, self.axes[1]] = plane[:, 0], plane[:, 1]
        return out

    def _sliced(self) -> bool:
        return self.dataset.dim > 2 and self.slice_point is not None and len(self.slice_point) == self.dataset.dim

    def _exact_2d(self, xs: np.ndarray, ys: np.ndarray, pts: np.ndarray, alpha: float = 1.0) -> torch.Tensor:
        """The exact VE score s̃(y, σ) at y = grid point / `alpha`, its two components along the view's axes
        (float64, cached). `alpha` 1: the grid is y itself (the score kinds); α(t): the grid is x_t."""
        key = (self.version, self.sigma, self.view, self.grid_n, self.axes, self.slice_point, alpha)
        if self._exact_cache is None or self._exact_cache[0] != key:
            if self._sliced():
                full = self.dataset.exact_score(torch.from_numpy(self.embed(pts) / alpha), self.sigma)
                score = full[:, list(self.axes)].numpy()
            else:
                score, _ = exact_on_grid(self.dataset, xs / alpha, ys / alpha, self.sigma)
            self._exact_cache = (key, torch.from_numpy(np.ascontiguousarray(score)))
        return self._exact_cache[1]

    def _learned_2d(self, learned_score: LearnedScore, pts: np.ndarray, sigma: float, alpha: float = 1.0):
        """The learned VE score at y = grid point / `alpha` along the view's axes, or None without a model."""
        if not self._sliced():
            return learned_score(torch.from_numpy(pts / alpha).float(), sigma)
        full = learned_score(torch.from_numpy(self.embed(pts) / alpha).float(), sigma)
        return None if full is None else full[:, list(self.axes)]

    def velocity_view(self) -> VelocityView:
        """t, α(t) and the colour's speed scale at the current σ (the velocity kinds need the process)."""
        if self.process is None:
            raise ValueError("the velocity field needs a noise process (set_process)")
        return velocity_view(self.process, self.sigma, self._second_moment)

    def _frame_2d(self, learned_score: LearnedScore) -> fr.FieldFrame:
        xs, ys, cell = self.grid()
        pts_np = grid_points(xs, ys)
        sigma, kind = self.sigma, self.kind
        view = self.velocity_view() if kind in VELOCITY_KINDS else None
        alpha = view.alpha if view is not None else 1.0
        exact = self._exact_2d(xs, ys, pts_np, alpha)
        learned = self._learned_2d(learned_score, pts_np, sigma, alpha)
        source = "learned" if learned is not None and kind not in ("exact", "exact_velocity") else "exact"
        if view is not None:
            vec, magnitude, rel_error = self._velocity(view, pts_np, exact, learned, source)
        else:
            if kind == "difference":
                vec = sigma * (learned - exact) if learned is not None else torch.zeros_like(exact)
            else:
                vec = sigma * (learned if source == "learned" else exact)
            magnitude = vec.norm(dim=1)
            if kind == "denoiser":
                vec = sigma * vec  # σ²·s: the displacement from x to the denoised estimate D(x) = x + σ² s
            rel_error = relative_error(learned, exact) if learned is not None else math.nan
        xmin, xmax, ymin, ymax = self.view
        return fr.FieldFrame(
            kind=kind, source=source, sigma=sigma, points=pts_np.astype(np.float32),
            vectors=vec.numpy().astype(np.float32), magnitude=magnitude.numpy().astype(np.float32), cell=cell,
            bounded=kind != "denoiser", heat=self.heat(alpha) if self.heat_on else None,
            heat_rect=(xmin, ymin, xmax - xmin, ymax - ymin), rel_error=rel_error, data_version=self.version,
            axes=self.axes if self._sliced() else (0, 1), t=view.t if view is not None else math.nan)

    def _velocity(self, view: VelocityView, pts: np.ndarray, exact: torch.Tensor, learned, source: str):
        """(dx/dt (M, 2), |dx/dt|/r(t) (M,), the learned velocity's median relative error) at the grid points
        x_t (M, 2); the VE scores s̃(x/α) become ∇log p_t(x) = s̃/α."""
        x = torch.from_numpy(pts)

        def velocity(ve_score: torch.Tensor) -> torch.Tensor:
            return ode_velocity(self.process, x, view.t, ve_score.double() / view.alpha)

        v_exact = velocity(exact)
        v_learned = velocity(learned) if learned is not None else None
        vec = v_learned if source == "learned" else v_exact
        rel_error = relative_error(v_learned, v_exact) if v_learned is not None else math.nan
        return vec, vec.norm(dim=1) / view.speed_scale, rel_error

    def heat(self, alpha: float = 1.0) -> np.ndarray:
        """log p_σ(y) − max at y = cell centre / `alpha` on HEAT_RESOLUTION cells across the view (row 0 = lowest
        y), clipped at HEAT_FLOOR: with α(t), log p_t(x_t) − max (the two differ by the constant D·log α)."""
        key = (self.version, self.sigma, self.view, self.axes, self.slice_point, alpha)
        if self._heat_cache is not None and self._heat_cache[0] == key:
            return self._heat_cache[1]
        xmin, xmax, ymin, ymax = self.view
        nx = HEAT_RESOLUTION
        ny = int(np.clip(round(nx * (ymax - ymin) / (xmax - xmin)), 2, HEAT_MAX_ROWS))
        xs = (xmin + (np.arange(nx) + 0.5) * (xmax - xmin) / nx) / alpha
        ys = (ymin + (np.arange(ny) + 0.5) * (ymax - ymin) / ny) / alpha
        if self._sliced():
            plane = grid_points(xs, ys)
            point = self.embed(plane)
            point[:, [i for i in range(point.shape[1]) if i not in self.axes]] /= alpha   # the whole point / α
            logp = self.dataset.exact_log_density(torch.from_numpy(point), self.sigma).numpy()
        else:
            _, logp = exact_on_grid(self.dataset, xs, ys, self.sigma, score=False, log_density=True)
        logp = logp.reshape(ny, nx)
        logp = np.where(np.isfinite(logp), logp, -np.inf)
        if np.isfinite(logp).any():
            heat = (logp - np.max(logp)).astype(np.float32)
        else:
            heat = np.full_like(logp, HEAT_FLOOR, np.float32)
        heat = fr.frozen_array(np.maximum(heat, HEAT_FLOOR))
        self._heat_cache = (key, heat)
        return heat

    def _frame_1d(self, learned_score: LearnedScore) -> fr.Field1DFrame:
        xmin, xmax = self.view[0], self.view[1]
        xs = torch.linspace(xmin, xmax, CURVE_POINTS_1D)[:, None]
        sigma = self.sigma
        exact = self.dataset.exact_score(xs, sigma).double()
        density = torch.exp(self.dataset.exact_log_density(xs, sigma).double())
        learned = learned_score(xs, sigma)
        return fr.Field1DFrame(
            sigma=sigma, xs=xs[:, 0].double().numpy(), density=density.numpy(), exact=(sigma * exact[:, 0]).numpy(),
            learned=None if learned is None else (sigma * learned[:, 0]).numpy(),
            rel_error=relative_error(learned, exact) if learned is not None else math.nan, data_version=self.version)
