"""Sample quality: sliced Wasserstein-2, energy distance, mode weights, and a report against a noise floor.

A distance between samples and held-out data means little alone: two independent draws of the data already
differ by a finite-sample "floor" that shrinks with the sample size. ``quality_report`` therefore measures the
floor (train vs held-out at the same size) next to the samples' figure and reports their ratio.
All figures are computed in float64 and are deterministic for a given generator (seed 0 when none is given).
"""
from __future__ import annotations

import math

import torch
from torch import Tensor

from scoreviz.core.data import Dataset
from scoreviz.core.mixture import GaussianMixture


def _default(generator: torch.Generator | None) -> torch.Generator:
    return generator if generator is not None else torch.Generator().manual_seed(0)


def _subsample(x: Tensor, n: int, generator: torch.Generator) -> Tensor:
    """n rows of x (N, D) drawn without replacement (all of x, in order, if n ≥ N)."""
    if n >= x.shape[0]:
        return x
    return x[torch.randperm(x.shape[0], generator=generator)[:n]]


def _w2_squared_1d(a: Tensor, b: Tensor) -> Tensor:
    """Exact W₂² between the empirical measures of the rows of a (P, N) and b (P, M) → (P,).

    W₂² = ∫₀¹ |F_a⁻¹(q) − F_b⁻¹(q)|² dq, with the quantile functions step functions on the sorted samples;
    integrating piece by piece over the merged breakpoints {i/N} ∪ {j/M} resamples both to equal size
    (for N = M: the mean squared difference of the sorted samples).
    """
    n, m = a.shape[1], b.shape[1]
    sa, sb = a.sort(1).values, b.sort(1).values
    if n == m:
        return ((sa - sb) ** 2).mean(1)
    breaks = torch.cat([torch.arange(1, n + 1, dtype=torch.float64) / n, torch.arange(1, m + 1, dtype=torch.float64) / m])
    breaks = breaks.sort().values
    widths = torch.diff(breaks, prepend=breaks.new_zeros(1))
    mids = breaks - widths / 2
    ia = (mids * n).long().clamp(max=n - 1)
    ib = (mids * m).long().clamp(max=m - 1)
    return ((sa[:, ia] - sb[:, ib]) ** 2 @ widths)


def sliced_wasserstein(a: Tensor, b: Tensor, n_projections: int = 256, generator: torch.Generator | None = None) -> float:
    """Sliced Wasserstein-2 distance SW₂(a, b) = (E_θ W₂²(θᵀa, θᵀb))^½ for a (N, D), b (M, D).

    θ uniform on the unit sphere (n_projections random directions); in 1-D this is W₂ exactly. Each 1-D W₂²
    is exact for the empirical measures (the two sorted samples resampled to equal size via their quantile
    functions). For N(0, I) vs N(m, I) in D dimensions SW₂² = |m|²/D.
    """
    a, b = a.detach().to(torch.float64), b.detach().to(torch.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"sliced_wasserstein needs (N, D) and (M, D) point sets, got {tuple(a.shape)} and {tuple(b.shape)}")
    d = a.shape[1]
    if d == 1:
        theta = torch.ones(1, 1, dtype=torch.float64)
    else:
        theta = torch.randn(d, n_projections, generator=_default(generator), dtype=torch.float64)
        theta = theta / theta.norm(dim=0, keepdim=True)
    return math.sqrt(float(_w2_squared_1d(theta.T @ a.T, theta.T @ b.T).mean()))


def energy_distance(a: Tensor, b: Tensor, max_points: int = 2000, generator: torch.Generator | None = None) -> float:
    """Squared energy distance 2E|X − Y| − E|X − X'| − E|Y − Y'| for a (N, D), b (M, D).

    V-statistics (pairs with themselves included), so the value is ≥ 0 and 0 for identical sets; each set is
    first subsampled to at most ``max_points`` rows (cost O(max_points²)).
    """
    g = _default(generator)
    a = _subsample(a.detach().to(torch.float64), max_points, g)
    b = _subsample(b.detach().to(torch.float64), max_points, g)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"energy_distance needs (N, D) and (M, D) point sets, got {tuple(a.shape)} and {tuple(b.shape)}")
    dist = lambda u, v: torch.cdist(u, v, compute_mode="donot_use_mm_for_euclid_dist").mean()  # noqa: E731
    value = 2 * dist(a, b) - dist(a, a) - dist(b, b)
    return max(0.0, float(value))  # ≥ 0 in exact arithmetic; clip rounding


def mode_weights(samples: Tensor, mixture: GaussianMixture) -> Tensor:
    """Fraction of the finite samples (N, D) whose most responsible component (σ = 0) is k → (K,) float64."""
    x = samples.detach().to(torch.float64)
    x = x[torch.isfinite(x).all(1)]
    if x.shape[0] == 0:
        return torch.full((mixture.n_components,), float("nan"), dtype=torch.float64)
    nearest = mixture.responsibilities(x, 0.0).argmax(1)
    return torch.bincount(nearest, minlength=mixture.n_components).to(torch.float64) / x.shape[0]


def quality_report(samples: Tensor, dataset: Dataset, generator: torch.Generator | None = None) -> dict:
    """Sample quality against ``dataset`` with its finite-sample floor.

    With k = min(#finite samples, #train, #held-out) (each subsampled to k):
      sliced_wasserstein / energy_distance: samples vs held-out;
      sw_floor / energy_floor: train vs held-out, two independent draws of the data at the same size
        (when held-out is the training set itself, two disjoint halves of it at size k/2, the samples at k/2);
      sw_ratio, energy_ratio: figure / floor (≈ 1 for a perfect sampler, ≫ 1 for a bad one);
      n: number of samples given; n_used: k; nonfinite: fraction of samples with NaN/inf (dropped);
      where ``dataset.mixture``: mode_weights (argmax responsibility) and true_weights, lists of K floats.
    """
    g = _default(generator)
    x = samples.detach().to(torch.float64)
    if x.ndim != 2 or x.shape[1] != dataset.dim:
        raise ValueError(f"samples must be (N, {dataset.dim}) for {dataset.name}, got {tuple(x.shape)}")
    finite = torch.isfinite(x).all(1)
    report: dict = {"n": int(x.shape[0]), "nonfinite": float(1 - finite.double().mean()) if len(x) else 0.0}
    x = x[finite]
    reference, floor_draw, k = _reference_pair(dataset, x.shape[0], g)
    report["n_used"] = k
    if k == 0:
        nan = float("nan")
        report.update(sliced_wasserstein=nan, energy_distance=nan, sw_floor=nan, energy_floor=nan, sw_ratio=nan, energy_ratio=nan)
    else:
        x = _subsample(x, k, g)
        for key, floor_key, ratio_key, fn in _FIGURES:
            seed = int(torch.randint(1 << 62, (1,), generator=g))  # same projections / subsets for both
            value = fn(x, reference, generator=torch.Generator().manual_seed(seed))
            floor = fn(floor_draw, reference, generator=torch.Generator().manual_seed(seed))
            report[key], report[floor_key] = value, floor
            report[ratio_key] = value / floor if floor > 0 else (float("inf") if value > 0 else 1.0)
    if dataset.mixture is not None:
        report["mode_weights"] = mode_weights(x, dataset.mixture).tolist()
        report["true_weights"] = dataset.mixture.weights.tolist()
    return report


_FIGURES = (
    ("sliced_wasserstein", "sw_floor", "sw_ratio", sliced_wasserstein),
    ("energy_distance", "energy_floor", "energy_ratio", energy_distance),
)


def _reference_pair(dataset: Dataset, n_samples: int, g: torch.Generator) -> tuple[Tensor, Tensor, int]:
    """(reference, independent draw for the floor, k): held-out and train subsampled to k each, or two
    disjoint halves of the data when the held-out set is the training set itself."""
    train, held = dataset.train.to(torch.float64), dataset.heldout.to(torch.float64)
    if train.shape == held.shape and torch.equal(train, held):
        perm = torch.randperm(train.shape[0], generator=g)
        k = min(n_samples, train.shape[0] // 2)
        return train[perm[:k]], train[perm[k : 2 * k]], k
    k = min(n_samples, train.shape[0], held.shape[0])
    return _subsample(held, k, g), _subsample(train, k, g), k
