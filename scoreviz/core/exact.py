"""The ideal denoiser: exact scores of a finite point set convolved with N(0, σ²I).

A set {yⱼ}ⱼ₌₁ᴹ smoothed by N(0, σ²I) is the mixture (1/M) Σⱼ N(x; yⱼ, σ²I), so
    ∇ₓ log p_σ(x) = (E[y | x] − x) / σ²,   E[y | x] = Σⱼ softmax_j(−|x − yⱼ|² / 2σ²) yⱼ   (Tweedie).
This is the score a perfectly trained network would match on that training set. Evaluated in chunks of
queries so memory stays bounded (N × M distances per chunk).
"""
from __future__ import annotations

import math

import torch
from torch import Tensor

_CHUNK_ELEMENTS = 4_000_000


def _chunks(n_queries: int, n_points: int):
    step = max(1, _CHUNK_ELEMENTS // max(1, n_points))
    for start in range(0, n_queries, step):
        yield slice(start, min(n_queries, start + step))


def _logits(x: Tensor, points: Tensor, sigma: float) -> Tensor:
    """−|x − yⱼ|² / 2σ² for x (n, D), points (M, D) → (n, M), in float64."""
    return -torch.cdist(x.double(), points.double()).pow(2) / (2.0 * sigma**2)


def pointset_denoiser(x: Tensor, points: Tensor, sigma: float) -> Tensor:
    """E[y | x] (N, D) for queries x (N, D) and data points (M, D)."""
    out = torch.empty(x.shape, dtype=torch.float64)
    pts = points.double()
    for sl in _chunks(x.shape[0], points.shape[0]):
        out[sl] = torch.softmax(_logits(x[sl], pts, sigma), dim=1) @ pts
    return out


def pointset_score(x: Tensor, points: Tensor, sigma: float) -> Tensor:
    """∇ₓ log p_σ(x) = (E[y|x] − x)/σ² for x (N, D) → (N, D), dtype of x."""
    sigma = float(sigma)
    return ((pointset_denoiser(x, points, sigma) - x.double()) / sigma**2).to(x.dtype)


def pointset_log_prob(x: Tensor, points: Tensor, sigma: float) -> Tensor:
    """log p_σ(x) = logsumexp_j log N(x; yⱼ, σ²I) − log M for x (N, D) → (N,)."""
    sigma = float(sigma)
    m, d = points.shape
    out = torch.empty(x.shape[0], dtype=torch.float64)
    pts = points.double()
    for sl in _chunks(x.shape[0], m):
        out[sl] = torch.logsumexp(_logits(x[sl], pts, sigma), dim=1)
    out = out - math.log(m) - 0.5 * d * math.log(2 * math.pi * sigma**2)
    return out.to(x.dtype)
