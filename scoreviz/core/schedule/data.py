"""What the data say about a noise schedule: NCSNv2's technique 1 (σ_max ≈ the largest pairwise distance), the
data's typical spacing (what σ_min blurs), and how far the sampler's prior is from the data noised at σ_max
(the Gelbrich bound on W₂). `schedule_rules.analyse` reads them."""
from __future__ import annotations

import math

import numpy as np
import torch

from scoreviz.core.processes import NoiseProcess, max_pairwise_distance


def flat_points(data) -> np.ndarray:
    """(N, D) float64 from a core Dataset (its training points), a tensor or an array (N, ...)."""
    pts = getattr(data, "train", data)
    pts = pts.detach().cpu().double().numpy() if isinstance(pts, torch.Tensor) else np.asarray(pts, np.float64)
    return pts.reshape(pts.shape[0], -1)


def sigma_max_rule(points) -> float:
    """Technique 1: the largest Euclidean distance between two data points (on ≤ 2000 of them), so that the
    first level connects every pair of modes. points: a Dataset, a tensor or an array (N, ...)."""
    return max_pairwise_distance(torch.from_numpy(flat_points(points)))


def nearest_neighbour_distance(points, max_points: int = 1000) -> float:
    """Median distance from a data point to its nearest neighbour, on a fixed subsample of ≤ max_points: the
    finest structure the data resolves (σ_min well below it keeps that structure in the samples)."""
    pts = flat_points(points)
    if pts.shape[0] < 2:
        return math.nan
    if pts.shape[0] > max_points:
        pts = pts[np.random.default_rng(0).choice(pts.shape[0], max_points, replace=False)]
    d = torch.cdist(torch.from_numpy(pts), torch.from_numpy(pts))
    d.fill_diagonal_(math.inf)
    return float(d.min(1).values.median())


def _moments(data) -> tuple[np.ndarray, np.ndarray, int]:
    """Mean (D,), the covariance's eigenvalues (≤ D,) and D: exact for a Dataset with a mixture, else the
    sample's (on ≤ 2000 points; through the Gram matrix when D > N, the other eigenvalues being 0)."""
    mixture = getattr(data, "mixture", None)
    if mixture is not None:
        cov = mixture.covariance().numpy()
        return mixture.mean().numpy(), np.linalg.eigvalsh(cov), cov.shape[0]
    pts = flat_points(data)
    n, dim = pts.shape
    if n > 2000:
        pts, n = pts[np.random.default_rng(0).choice(n, 2000, replace=False)], 2000
    centred = pts - pts.mean(0)
    small = centred @ centred.T if dim > n else centred.T @ centred
    return pts.mean(0), np.linalg.eigvalsh(small) / max(n - 1, 1), dim


def prior_w2(dataset_or_points, process: NoiseProcess) -> float:
    """W₂ between the exact p at t_max (the data noised to the process's largest level, in its own coordinates
    x = α x₀ + s ε) and the prior the sampler starts from (`prior_sample`: N(m_p, c²I), c = `prior_std()`,
    m_p the VE prior's `prior_mean` or 0).

    Gelbrich's bound (Gelbrich 1990): W₂ between two laws is at least W₂ between the Gaussians with their means
    and covariances, and equals it for Gaussian data. With an isotropic prior that Gaussian W₂ is closed-form,
        W₂² = ‖α m − m_p‖² + Σᵢ (√(α²λᵢ + s²) − c)²,   λᵢ the eigenvalues of the data covariance,
    so this is a lower bound, exact for Gaussian data. dataset_or_points: a Dataset (a mixture's exact moments)
    or points (N, ...).
    """
    mean, eig, dim = _moments(dataset_or_points)
    t_max = process.t_max
    a, s, c = float(process.alpha(t_max)), float(process.std(t_max)), float(process.prior_std())
    prior_mean = getattr(process, "prior_mean", None)
    m_p = np.zeros(dim) if prior_mean is None else np.asarray(prior_mean, np.float64)
    eig = np.clip(eig, 0.0, None)
    spread = np.sum((np.sqrt(a * a * eig + s * s) - c) ** 2) + (dim - eig.size) * (s - c) ** 2
    return float(math.sqrt(np.sum((a * mean - m_p) ** 2) + spread))


# ----- the report -----------------------------------------------------------------------------------------------
