"""A painted or image density: piecewise constant on a grid of cells, with its exact blur, log-density and score.

Convention (unlike an image!): ``values[r, c]`` is the mass of the cell centred at
    (xmin + (c + ½)·dx,  ymin + (r + ½)·dy),   dx = (xmax − xmin)/W,  dy = (ymax − ymin)/H,
so **row 0 is the lowest y** and column 0 the lowest x. Flip an image (row 0 = top) with ``np.flipud`` first.
The density is uniform inside each cell: p(x, y) = w_rc / (dx·dy) with w = values / Σ values.

Blurring is separable and exact. One cell [a, b] along an axis, convolved with N(0, σ²), is the 1-D density
    k(t) = (Φ((t − a)/σ) − Φ((t − b)/σ)) / (b − a),                                        (1)
so the data density convolved with N(0, σ²I) is
    p_σ(x, y) = Σ_rc w_rc · k_r(y) · k_c(x) = k_y(y)ᵀ W k_x(x),                              (2)
a product of two small matrices with W: exact for the cells at every σ (no FFT, so no wrap-around) and
normalised. Its score is ∇ log p_σ, with ∂ₜ k from φ (the Gaussian density) in closed form (eq. 3 below).

For speed, log p_σ and its exact first derivatives (and ∂²/∂x∂y) are evaluated once per σ on a lattice over
the grid plus 4σ on each side, spacing σ/3 (coarser if needed to keep ≤ _MAX_NODES nodes per axis), and
interpolated at the queries by bicubic Hermite patches (a few ms for 4,096 points; the lattice costs
2–150 ms per new σ on a 128² grid and is cached). ``score`` is the exact gradient of the interpolated
``log_density``, so the two always agree. Queries beyond the lattice get eq. (2) directly. Far from all mass
(≳ 37σ) float64 cannot hold p_σ; there the dominant cell of (2) is used (the Laplace limit: score ≈
−(x − nearest mass)/σ²), so the score is finite everywhere and points back to the mass. When the node budget
makes the spacing coarser than σ/3 (σ below ~cell/3 on a 128-cell axis), the sharp cell edges are smoothed
over about one lattice spacing.
"""
from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor

SIGMA_FLOOR = 1e-4  # smaller σ are raised to this (the exact σ → 0 limit is piecewise constant)
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_UNDERFLOW = 1e-250  # below this (after per-node rescaling) the lattice sum (2) is no longer trusted
_CHUNK = 4_000_000  # elements per temporary tensor in the far-field search
_CACHE_SIZE = 16
_MAX_NODES = 384  # lattice nodes per axis


@dataclass(frozen=True)
class _Field:
    """log p_σ and its derivatives on a uniform lattice: x = x0 + j·hx (j < nx), y = y0 + i·hy (i < ny)."""

    sigma: float
    origin: tuple[float, float]  # (x0, y0)
    step: tuple[float, float]  # (hx, hy)
    table: Tensor  # (ny, nx, 4) float64: log p, ∂x log p, ∂y log p, ∂x∂y log p


@dataclass(frozen=True, eq=False)
class DensityGrid:
    """A nonnegative (H, W) grid of cell masses over ``bounds = (xmin, xmax, ymin, ymax)``; row 0 = lowest y.

    Immutable: ``values`` is copied to a read-only float64 array. Raises ValueError on a malformed grid
    (``data.from_density`` turns that into a user-facing DataError).
    """

    values: np.ndarray
    bounds: tuple[float, float, float, float] = (-4.0, 4.0, -4.0, 4.0)
    _cache: OrderedDict = field(default_factory=OrderedDict, init=False, repr=False, compare=False)
    _support: tuple = field(default=(), init=False, repr=False, compare=False)  # (rows, cols, w (H', W'))

    def __post_init__(self):
        values = np.array(self.values, dtype=np.float64)
        if values.ndim != 2 or values.size == 0:
            raise ValueError(f"a density grid must be a non-empty 2-D array, got shape {values.shape}")
        if not np.isfinite(values).all():
            raise ValueError("the density contains non-finite values (NaN or inf)")
        if (values < 0).any():
            raise ValueError("the density contains negative values")
        if values.sum() <= 0:
            raise ValueError("the canvas is empty (all values are zero)")
        values.flags.writeable = False
        bounds = tuple(float(b) for b in self.bounds)
        if len(bounds) != 4 or not all(map(math.isfinite, bounds)) or bounds[0] >= bounds[1] or bounds[2] >= bounds[3]:
            raise ValueError(f"bounds must be finite (xmin, xmax, ymin, ymax) with xmin < xmax and ymin < ymax, got {self.bounds}")
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "bounds", bounds)
        w = torch.as_tensor(values / values.sum())
        rows = torch.nonzero(w.sum(1) > 0).squeeze(1)  # support rows / columns only: empty ones add nothing
        cols = torch.nonzero(w.sum(0) > 0).squeeze(1)
        object.__setattr__(self, "_support", (rows, cols, w[rows][:, cols]))

    # ----- geometry -------------------------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        return self.values.shape

    @property
    def cell(self) -> tuple[float, float]:
        """(dx, dy), the cell size."""
        xmin, xmax, ymin, ymax = self.bounds
        h, w = self.values.shape
        return (xmax - xmin) / w, (ymax - ymin) / h

    def cell_centres(self) -> tuple[np.ndarray, np.ndarray]:
        """x centres (W,) and y centres (H,), ascending."""
        xmin, _, ymin, _ = self.bounds
        dx, dy = self.cell
        h, w = self.values.shape
        return xmin + (np.arange(w) + 0.5) * dx, ymin + (np.arange(h) + 0.5) * dy

    @property
    def weights(self) -> np.ndarray:
        """w = values / Σ values (H, W): the probability of each cell."""
        return self.values / self.values.sum()

    # ----- sampling -------------------------------------------------------------------------------------------
    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """n draws (n, 2) float32: a cell with probability w_rc, then a uniform point inside it."""
        h, w = self.values.shape
        dx, dy = self.cell
        flat = torch.as_tensor(self.weights.reshape(-1))
        idx = torch.multinomial(flat, n, replacement=True, generator=generator)
        u = torch.rand(n, 2, dtype=torch.float64, generator=generator)
        x = self.bounds[0] + (idx % w + u[:, 0]) * dx
        y = self.bounds[2] + (idx // w + u[:, 1]) * dy
        return torch.stack([x, y], dim=1).to(torch.float32)

    # ----- blurred density ------------------------------------------------------------------------------------
    def blurred(self, sigma: float) -> np.ndarray:
        """p_σ at the cell centres (H, W), eq. (2) (row 0 = lowest y); integrates to 1 over the plane.

        σ = 0 gives the piecewise-constant density itself. Values far from the mass may underflow to 0.
        """
        dx, dy = self.cell
        if sigma <= 0:
            return self.weights / (dx * dy)
        xc, yc = self.cell_centres()
        h, w = self.values.shape
        kx, _ = _axis_kernels(torch.as_tensor(xc), self.bounds[0], dx, torch.arange(w), float(sigma))
        ky, _ = _axis_kernels(torch.as_tensor(yc), self.bounds[2], dy, torch.arange(h), float(sigma))
        dens = torch.exp(ky) @ torch.as_tensor(self.weights) @ torch.exp(kx).T
        return dens.numpy()

    def log_density(self, x: Tensor, sigma: float) -> Tensor:
        """log p_σ(x) (N,) for x (N, 2), normalised (eq. 2), in the dtype of x."""
        log_p, _ = self._interpolate(x, sigma)
        return log_p.to(x.dtype)

    def score(self, x: Tensor, sigma: float) -> Tensor:
        """∇ₓ log p_σ(x) (N, 2) for x (N, 2), finite everywhere, in the dtype of x."""
        _, score = self._interpolate(x, sigma)
        return score.to(x.dtype)

    def evaluate_exact(self, x: Tensor, sigma: float) -> tuple[Tensor, Tensor]:
        """log p_σ (N,) and ∇ log p_σ (N, 2) at x (N, 2) straight from eq. (2), float64, no lattice.

        Costs N·H·W (tens of ms for 4,096 points on 128²): the reference the lattice is tested against, and
        the path for queries outside the lattice.
        """
        sigma = max(float(sigma), SIGMA_FLOOR)
        q = x.detach().to(torch.float64).reshape(-1, 2)
        table = self._evaluate(q[:, 0], q[:, 1], sigma, paired=True)
        return table[:, 0], table[:, 1:3]

    # ----- internals ------------------------------------------------------------------------------------------
    def _interpolate(self, x: Tensor, sigma: float) -> tuple[Tensor, Tensor]:
        """log p_σ (N,) and its gradient (N, 2) at x (N, 2), both float64.

        On the lattice: a bicubic Hermite patch per lattice cell (C¹; its gradient is the score).
        Off the lattice (beyond 4σ of the grid): eq. (2) directly.
        """
        f = self._field(sigma)
        q = x.detach().to(torch.float64).reshape(-1, 2)
        origin = torch.tensor(f.origin, dtype=torch.float64)
        step = torch.tensor(f.step, dtype=torch.float64)
        upper = origin + step * (torch.tensor(f.table.shape[1::-1], dtype=torch.float64) - 1)
        log_p, score = _hermite(f.table, ((q - origin) / step).clamp(min=0), f.step)
        outside = ((q < origin) | (q > upper)).any(1)
        if outside.any():
            table = self._evaluate(q[outside, 0], q[outside, 1], f.sigma, paired=True)
            log_p[outside], score[outside] = table[:, 0], table[:, 1:3]
        return log_p, score

    def _evaluate(self, xs: Tensor, ys: Tensor, sigma: float, paired: bool) -> Tensor:
        """Eq. (2) at the points (xs[n], ys[n]) (paired, → (n, 4)) or the lattice ys × xs (→ (ny, nx, 4)).

        Columns: log p, ∂x log p, ∂y log p, ∂x∂y log p (the last is 0 where the far-field term is used).
        """
        xmin, _, ymin, _ = self.bounds
        dx, dy = self.cell
        rows, cols, w = self._support
        kx = _axis_kernels(xs, xmin, dx, cols, sigma)
        ky = _axis_kernels(ys, ymin, dy, rows, sigma)
        table, ok = _separable_eval(w, kx, ky, paired)
        if not ok.all():
            bad = torch.nonzero(~ok, as_tuple=True)
            iy, ix = (bad[0], bad[0]) if paired else bad
            table[bad] = _dominant_cell_eval(w, kx, ky, iy, ix, paired)
        return table

    def _field(self, sigma: float) -> _Field:
        """The lattice for σ (cached per σ rounded to 6 significant digits)."""
        key = float(f"{max(float(sigma), SIGMA_FLOOR):.6g}")
        f = self._cache.get(key)
        if f is None:
            f = self._build_field(key)
            self._cache[key] = f
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return f

    def _build_field(self, sigma: float) -> _Field:
        xmin, xmax, ymin, ymax = self.bounds
        xs, hx = _lattice(xmin, xmax, sigma)
        ys, hy = _lattice(ymin, ymax, sigma)
        table = self._evaluate(xs, ys, sigma, paired=False)
        return _Field(sigma, (float(xs[0]), float(ys[0])), (hx, hy), table)


def _lattice(lo: float, hi: float, sigma: float) -> tuple[Tensor, float]:
    """Uniform nodes (n,) over [lo − 4σ, hi + 4σ], spacing σ/3 or coarser to keep n ≤ _MAX_NODES."""
    span = hi - lo + 8 * sigma
    step = max(sigma / 3, span / (_MAX_NODES - 1))
    n = int(math.ceil(span / step)) + 1
    start = 0.5 * (lo + hi) - 0.5 * (n - 1) * step
    return start + step * torch.arange(n, dtype=torch.float64), step


def _axis_kernels(t: Tensor, lo: float, width: float, cells: Tensor, sigma: float) -> tuple[Tensor, Tensor]:
    """log k_c(t) and ∂ₜ log k_c(t), both (n, m), for positions t (n,) and cell indices (m,) of eq. (1).

    With u₁ = (t − a)/σ > u₂ = (t − b)/σ, the mass Φ(u₁) − Φ(u₂) is taken from the two lower tails
    (Φ(−u₂) − Φ(−u₁) when u₂ > 0) in log space, so it stays exact far out in the tails, and
        ∂ₜ log k = (φ(u₁) − φ(u₂)) / (σ (Φ(u₁) − Φ(u₂)))                                         (3)
    is formed from ratios φ/mass that never overflow.
    """
    a = lo + cells.to(torch.float64) * width
    u1 = (t.to(torch.float64)[:, None] - a[None]) / sigma
    u2 = u1 - width / sigma
    flip = u2 > 0
    hi = torch.where(flip, -u2, u1)
    low = torch.where(flip, -u1, u2)
    log_hi = torch.special.log_ndtr(hi)
    log_mass = log_hi + torch.log(-torch.expm1(torch.special.log_ndtr(low) - log_hi))
    phi_ratio = lambda u: torch.exp(-0.5 * u**2 - _LOG_SQRT_2PI - log_mass)  # noqa: E731  φ(u)/mass
    dlog = (phi_ratio(u1) - phi_ratio(u2)) / sigma
    return log_mass - math.log(width), dlog


def _separable_eval(w: Tensor, kx: tuple, ky: tuple, paired: bool) -> tuple[Tensor, Tensor]:
    """Eq. (2) and its derivatives: table (..., 4) of log p, ∂x, ∂y, ∂x∂y log p, and a trusted mask (...).

    w (H', W') support weights; kx = (log k, ∂ log k) each (nx, W'); ky likewise (ny, H'). With
    P = k_yᵀ W k_x and P_x, P_y, P_xy (kernels replaced by their derivatives k·∂log k):
    ∂x log p = P_x/P, ∂y log p = P_y/P, ∂x∂y log p = P_xy/P − P_x P_y/P². Lattice: all (y, x) pairs
    (ny, nx); paired: the points (ys[n], xs[n]) (n,). Each point's kernels are rescaled by their largest
    entry before the products, so only points far from every cell underflow (mask False there).
    """
    (lkx, dlkx), (lky, dlky) = kx, ky
    mx, my = lkx.max(1).values, lky.max(1).values
    ex, ey = torch.exp(lkx - mx[:, None]), torch.exp(lky - my[:, None])
    exd = ex * dlkx
    a, ad = ey @ w, (ey * dlky) @ w  # (ny, W')
    contract = (lambda u, v: (u * v).sum(1)) if paired else (lambda u, v: u @ v.T)  # noqa: E731
    p, px, py, pxy = contract(a, ex), contract(a, exd), contract(ad, ex), contract(ad, exd)
    shift = my + mx if paired else my[:, None] + mx[None, :]
    ok = p > _UNDERFLOW
    p = torch.where(ok, p, torch.ones_like(p))
    gx, gy = px / p, py / p
    return torch.stack([shift + torch.log(p), gx, gy, pxy / p - gx * gy], dim=-1), ok


def _dominant_cell_eval(w: Tensor, kx: tuple, ky: tuple, iy: Tensor, ix: Tensor, paired: bool) -> Tensor:
    """Largest term of eq. (2) for the kernel rows (iy, ix) (n,): rows (n, 4) of the table.

    max_rc (log w_rc + log k_r(y) + log k_c(x)) = max_r (log k_r(y) + max_c (log w_rc + log k_c(x))),
    evaluated separably (the inner max once per distinct x; on the lattice the outer one over the block of
    distinct y × distinct x). Used only where the full sum underflows, i.e. ≳ 37σ from all mass, where it is
    the Laplace limit. One separable term has ∂x∂y log = 0.
    """
    (lkx, dlkx), (lky, dlky) = kx, ky
    xs, x_of = torch.unique(ix, return_inverse=True)
    best, arg = _max_plus(lkx[xs], torch.log(w))  # (|xs|, H'): max over c, and which c
    if paired:
        value, r = (lky[iy] + best[x_of]).max(1)
    else:
        ys, y_of = torch.unique(iy, return_inverse=True)
        block, r_block = _max_plus(lky[ys], best)  # (|ys|, |xs|)
        value, r = block[y_of, x_of], r_block[y_of, x_of]
    c = arg[x_of, r]
    return torch.stack([value, dlkx[ix, c], dlky[iy, r], torch.zeros_like(value)], 1)


def _max_plus(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    """out[i, j] = max_k (a[i, k] + b[j, k]) and its argmax k, for a (m, K), b (n, K) → (m, n) each."""
    value = torch.empty(a.shape[0], b.shape[0], dtype=a.dtype)
    index = torch.empty(a.shape[0], b.shape[0], dtype=torch.long)
    step = max(1, _CHUNK // b.numel())
    for s in range(0, a.shape[0], step):
        value[s : s + step], index[s : s + step] = (a[s : s + step, None, :] + b[None]).max(-1)
    return value, index


def _spread(axis_of: str) -> Tensor:
    """0/1 matrix (4, 16) sending a basis row (H₀, H₁, G₀, G₁) of one axis to the 16 slots of a patch.

    Slot 4·(2j + i) + (2b + a): corner (j = y corner, i = x corner), derivative order (b in y, a in x).
    Basis column 2a + i for x, 2b + j for y.
    """
    slot = torch.arange(16)
    j, i, b, a = slot // 8, slot // 4 % 2, slot // 2 % 2, slot % 2
    column = 2 * a + i if axis_of == "x" else 2 * b + j
    return torch.nn.functional.one_hot(column, 4).T.to(torch.float64)


_SPREAD_X, _SPREAD_Y = _spread("x"), _spread("y")


def _hermite(table: Tensor, pos: Tensor, step: tuple[float, float]) -> tuple[Tensor, Tensor]:
    """Bicubic Hermite interpolation of f = table[..., 0] from (f, f_x, f_y, f_xy) at the four corners.

    table (ny, nx, 4); pos (N, 2) fractional (column, row) positions inside the lattice; step (hx, hy).
    Returns f (N,) and its exact gradient (N, 2). The patch is the tensor product of the cubic Hermite basis
    H₀ = 2s³ − 3s² + 1, H₁ = 3s² − 2s³, G₀ = h(s³ − 2s² + s), G₁ = h(s³ − s²), so it is C¹ across cells.
    """
    ny, nx, _ = table.shape
    n = pos.shape[0]
    c0 = pos[:, 0].floor().long().clamp(0, nx - 2)
    r0 = pos[:, 1].floor().long().clamp(0, ny - 2)
    flat = r0 * nx + c0
    corners = torch.cat([flat, flat + 1, flat + nx, flat + nx + 1])  # (j, i) = (0,0), (0,1), (1,0), (1,1)
    vals = table.reshape(-1, 4)[corners].view(4, n, 4).transpose(0, 1).reshape(n, 16)
    hx, dhx = _hermite_basis(pos[:, 0] - c0, step[0])
    hy, dhy = _hermite_basis(pos[:, 1] - r0, step[1])
    wx, wdx = hx @ _SPREAD_X, dhx @ _SPREAD_X  # (n, 16)
    wy, wdy = hy @ _SPREAD_Y, dhy @ _SPREAD_Y
    vy = vals * wy
    return (vy * wx).sum(1), torch.stack([(vy * wdx).sum(1), (vals * wx * wdy).sum(1)], 1)


def _hermite_basis(s: Tensor, h: float) -> tuple[Tensor, Tensor]:
    """Cubic Hermite basis (H₀, H₁, G₀, G₁) at s (N,) in [0, 1] for a cell of width h, and its d/dx: (N, 4) each."""
    s2, s3 = s * s, s * s * s
    values = torch.stack([2 * s3 - 3 * s2 + 1, 3 * s2 - 2 * s3, h * (s3 - 2 * s2 + s), h * (s3 - s2)], 1)
    slopes = torch.stack([(6 * s2 - 6 * s) / h, (6 * s - 6 * s2) / h, 3 * s2 - 4 * s + 1, 3 * s2 - 2 * s], 1)
    return values, slopes
