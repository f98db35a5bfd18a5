"""Gaussian mixtures with closed-form noised densities and scores.

A mixture p(x) = Σₖ wₖ N(x; μₖ, Σₖ) convolved with N(0, σ²I) is again a mixture, with
covariances Σₖ + σ²I. So its log-density, its score ∇ₓ log p_σ(x) and the posterior over components are exact at
every noise level σ: the oracle for the samplers' tests and the "exact field" the app draws. Everything here works in
any dimension D (tests check D = 1 to 8); a marginal over some coordinates is again a mixture (``marginal``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True)
class GaussianMixture:
    """weights (K,), means (K, D), covs (K, D, D); float64 inside, results in the dtype of the query."""

    weights: Tensor
    means: Tensor
    covs: Tensor

    def __post_init__(self):
        w = torch.as_tensor(self.weights, dtype=torch.float64)
        object.__setattr__(self, "weights", w / w.sum())
        object.__setattr__(self, "means", torch.as_tensor(self.means, dtype=torch.float64))
        object.__setattr__(self, "covs", torch.as_tensor(self.covs, dtype=torch.float64))

    @staticmethod
    def isotropic(weights, means, std) -> "GaussianMixture":
        """Components N(μₖ, stdₖ² I); std is a scalar or (K,)."""
        means = torch.as_tensor(means, dtype=torch.float64)
        k, d = means.shape
        std = torch.as_tensor(std, dtype=torch.float64).expand(k)
        covs = std[:, None, None] ** 2 * torch.eye(d, dtype=torch.float64)
        return GaussianMixture(torch.as_tensor(weights, dtype=torch.float64), means, covs)

    @property
    def dim(self) -> int:
        return self.means.shape[1]

    @property
    def n_components(self) -> int:
        return self.means.shape[0]

    def _precisions(self, sigma) -> tuple[Tensor, Tensor]:
        """(Σₖ + σ²I)⁻¹ (K, D, D) and log det(Σₖ + σ²I) (K,)."""
        cov = self.covs + float(sigma) ** 2 * torch.eye(self.dim, dtype=torch.float64)
        return torch.linalg.inv(cov), torch.logdet(cov)

    def _posterior_terms(self, x: Tensor, sigma):
        """log wₖN(x; μₖ, Σₖ+σ²I) (N, K) and (Σₖ+σ²I)⁻¹(μₖ − x) (N, K, D), in float64."""
        precision, log_det = self._precisions(sigma)
        diff = self.means[None] - x.to(torch.float64)[:, None, :]  # (N, K, D)
        pulled = torch.einsum("kde,nke->nkd", precision, diff)
        log_norm = -0.5 * (self.dim * math.log(2 * math.pi) + log_det)
        logp = torch.log(self.weights)[None] + log_norm[None] - 0.5 * (diff * pulled).sum(-1)
        return logp, pulled

    def log_prob(self, x: Tensor, sigma=0.0) -> Tensor:
        """log p_σ(x) for x (N, D) → (N,)."""
        logp, _ = self._posterior_terms(x, sigma)
        return torch.logsumexp(logp, dim=1).to(x.dtype)

    def responsibilities(self, x: Tensor, sigma=0.0) -> Tensor:
        """Posterior P(component k | x) under p_σ: (N, K)."""
        logp, _ = self._posterior_terms(x, sigma)
        return torch.softmax(logp, dim=1).to(x.dtype)

    def score(self, x: Tensor, sigma=0.0) -> Tensor:
        """∇ₓ log p_σ(x) = Σₖ rₖ(x) (Σₖ + σ²I)⁻¹ (μₖ − x) for x (N, D) → (N, D)."""
        logp, pulled = self._posterior_terms(x, sigma)
        return (torch.softmax(logp, dim=1)[..., None] * pulled).sum(1).to(x.dtype)

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """n draws (n, D) float32."""
        idx = torch.multinomial(self.weights, n, replacement=True, generator=generator)
        chol = torch.linalg.cholesky(self.covs)
        eps = torch.randn(n, self.dim, 1, dtype=torch.float64, generator=generator)
        return (self.means[idx] + (chol[idx] @ eps).squeeze(-1)).to(torch.float32)

    def marginal(self, axes) -> "GaussianMixture":
        """The mixture of the coordinates ``axes`` (a sequence of indices): weights unchanged, means[:, axes],
        covs[:, axes][:, :, axes] (a Gaussian's marginal is the Gaussian of the sub-vector). E.g. one panel of a
        pair plot: ``marginal((i, j))``."""
        idx = torch.as_tensor(list(axes), dtype=torch.long)
        if idx.ndim != 1 or len(idx) == 0 or int(idx.min()) < 0 or int(idx.max()) >= self.dim:
            raise ValueError(f"axes must be indices in [0, {self.dim}), got {list(axes)}")
        return GaussianMixture(self.weights, self.means[:, idx], self.covs[:, idx][:, :, idx])

    def separations(self) -> Tensor:
        """Distances between the component means in units of their spread (K, K): the Mahalanobis distance
        √(Δᵀ((Σₖ + Σₗ)/2)⁻¹Δ), Δ = μₖ − μₗ (exact for a shared covariance; 0 on the diagonal)."""
        diff = self.means[:, None] - self.means[None]                       # (K, K, D)
        pooled = 0.5 * (self.covs[:, None] + self.covs[None])               # (K, K, D, D)
        solved = torch.linalg.solve(pooled, diff[..., None])[..., 0]
        return (diff * solved).sum(-1).clamp(min=0).sqrt()

    def mean(self) -> Tensor:
        """E[x] (D,)."""
        return (self.weights[:, None] * self.means).sum(0)

    def covariance(self, sigma=0.0) -> Tensor:
        """Cov[x] of p_σ (D, D): Σₖ wₖ(Σₖ + μₖμₖᵀ) − m mᵀ + σ²I."""
        m = self.mean()
        second = (self.weights[:, None, None] * (self.covs + self.means[:, :, None] * self.means[:, None, :])).sum(0)
        return second - torch.outer(m, m) + float(sigma) ** 2 * torch.eye(self.dim, dtype=torch.float64)
