"""The toy distributions behind the data presets (core.data): point samplers, exact Gaussian mixtures and a
painted density grid. Samplers map (n, torch.Generator) to (n, D) float64 points; the others build their
distribution. Coordinates are sized for the window's default view [−4, 4]² (the 5-D and 8-D mixtures reach a
little further: their wide directions have std 1.25).
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor

from scoreviz.core.density_grid import DensityGrid
from scoreviz.core.mixture import GaussianMixture

__all__ = ["HIDDEN_WEIGHTS", "bimodal1d", "checkerboard", "circle_of_gaussians", "gaussian", "gaussian3d",
           "grid_of_gaussians", "helix3d", "hidden_direction", "hidden_mixture", "mixture3d", "mixture5d", "mixture8d",
           "moons", "ncsn", "pinwheel", "rings", "smiley", "spirals", "swissroll", "swissroll3d"]


# ----- point samplers (n, generator) -> (n, D) float64 --------------------------------------------------------
def _randn(n: int, d: int, g: torch.Generator) -> Tensor:
    return torch.randn(n, d, generator=g, dtype=torch.float64)


def _rand(n: int, g: torch.Generator) -> Tensor:
    return torch.rand(n, generator=g, dtype=torch.float64)


def moons(n: int, g: torch.Generator) -> Tensor:
    """Two interleaved half circles (as sklearn's make_moons), centred and scaled ×2.4: x ∈ ≈[−3.8, 3.8]."""
    t = math.pi * _rand(n, g)
    upper = torch.arange(n) % 2 == 0
    x = torch.where(upper, torch.cos(t), 1 - torch.cos(t))
    y = torch.where(upper, torch.sin(t), 0.5 - torch.sin(t))
    pts = torch.stack([x - 0.5, y - 0.25], 1) + 0.08 * _randn(n, 2, g)
    return 2.4 * pts


def rings(n: int, g: torch.Generator) -> Tensor:
    """Three concentric rings, radii 1.2, 2.4, 3.6, points ∝ circumference, radial noise std 0.08."""
    radii = torch.tensor([1.2, 2.4, 3.6], dtype=torch.float64)
    ring = torch.multinomial(radii / radii.sum(), n, replacement=True, generator=g)
    t = 2 * math.pi * _rand(n, g)
    r = radii[ring] + 0.08 * _randn(n, 1, g)[:, 0]
    return torch.stack([r * torch.cos(t), r * torch.sin(t)], 1)


def swissroll(n: int, g: torch.Generator) -> Tensor:
    """2-D swiss roll t(cos t, sin t), t ∈ [1.5π, 4.5π], scaled to radius 3.6, noise std 0.1."""
    t = 1.5 * math.pi * (1 + 2 * _rand(n, g))
    scale = 3.6 / (4.5 * math.pi)
    return scale * torch.stack([t * torch.cos(t), t * torch.sin(t)], 1) + 0.1 * _randn(n, 2, g)


def spirals(n: int, g: torch.Generator) -> Tensor:
    """Two interleaved spirals (540° each, as in FFJORD's 2spirals) scaled to radius ≈ 3.1, noise std 0.1."""
    t = torch.sqrt(_rand(n, g)) * 3 * math.pi
    arm = torch.where(torch.arange(n) % 2 == 0, 1.0, -1.0).to(torch.float64)[:, None]
    pts = arm * torch.stack([-t * torch.cos(t), t * torch.sin(t)], 1) / 3
    return pts + 0.1 * _randn(n, 2, g)


def checkerboard(n: int, g: torch.Generator) -> Tensor:
    """Uniform on the 8 dark squares of a 4×4 checkerboard over [−4, 4]²."""
    x = 4 * _rand(n, g) - 2
    y = _rand(n, g) - 2 * torch.randint(0, 2, (n,), generator=g).to(torch.float64) + torch.floor(x) % 2
    return 2 * torch.stack([x, y], 1)


def pinwheel(n: int, g: torch.Generator) -> Tensor:
    """Five curved blades (FFJORD's pinwheel: radial std 0.3, tangential std 0.1, rate 0.25), ×2."""
    blades, rate = 5, 0.25
    feats = _randn(n, 2, g) * torch.tensor([0.3, 0.1], dtype=torch.float64) + torch.tensor([1.0, 0.0], dtype=torch.float64)
    angle = 2 * math.pi * torch.randint(0, blades, (n,), generator=g).to(torch.float64) / blades
    angle = angle + rate * torch.exp(feats[:, 0])
    c, s = torch.cos(angle), torch.sin(angle)
    return 2 * torch.stack([c * feats[:, 0] - s * feats[:, 1], s * feats[:, 0] + c * feats[:, 1]], 1)


def helix3d(n: int, g: torch.Generator) -> Tensor:
    """A 3-D helix: radius 2.5, two turns, z ∈ [−3, 3], noise std 0.1."""
    t = 4 * math.pi * _rand(n, g)
    pts = torch.stack([2.5 * torch.cos(t), 2.5 * torch.sin(t), 3 * (t / (2 * math.pi) - 1)], 1)
    return pts + 0.1 * _randn(n, 3, g)


def swissroll3d(n: int, g: torch.Generator) -> Tensor:
    """A 3-D Swiss roll as sklearn's make_swiss_roll, (t cos t, h, t sin t) with t ∈ [1.5π, 4.5π]: the roll scaled
    to radius 3.6 as the 2-D swissroll, the height h uniform in [−3, 3], noise std 0.1 → (n, 3)."""
    t = 1.5 * math.pi * (1 + 2 * _rand(n, g))
    height = 6 * _rand(n, g) - 3
    scale = 3.6 / (4.5 * math.pi)
    pts = torch.stack([scale * t * torch.cos(t), height, scale * t * torch.sin(t)], 1)
    return pts + 0.1 * _randn(n, 3, g)


# ----- exact mixtures ---------------------------------------------------------------------------------
def circle_of_gaussians() -> GaussianMixture:
    """8 equal isotropic Gaussians, std 0.2, means on the circle of radius 3 at angles 2πk/8."""
    angles = 2 * math.pi * torch.arange(8, dtype=torch.float64) / 8
    means = 3.0 * torch.stack([torch.cos(angles), torch.sin(angles)], 1)
    return GaussianMixture.isotropic(torch.full((8,), 1 / 8), means, 0.2)


def grid_of_gaussians() -> GaussianMixture:
    """25 equal isotropic Gaussians, std 0.2, means on the grid {−3, −1.5, 0, 1.5, 3}²."""
    ticks = torch.linspace(-3, 3, 5, dtype=torch.float64)
    means = torch.cartesian_prod(ticks, ticks)
    return GaussianMixture.isotropic(torch.full((25,), 1 / 25), means, 0.2)


def bimodal1d() -> GaussianMixture:
    """1-D: 0.3·N(−2, 0.5²) + 0.7·N(1.5, 0.7²)."""
    return GaussianMixture([0.3, 0.7], [[-2.0], [1.5]], [[[0.25]], [[0.49]]])


def ncsn() -> GaussianMixture:
    """NCSN's toy (Song & Ermon 2019, §3.2): 0.8·N((5, 5), I) + 0.2·N((−5, −5), I)."""
    return GaussianMixture.isotropic([0.8, 0.2], [[5.0, 5.0], [-5.0, -5.0]], 1.0)


def gaussian() -> GaussianMixture:
    """One 2-D Gaussian N((1, −0.5), diag(1, 0.36)) as a mixture of one."""
    return GaussianMixture([1.0], [[1.0, -0.5]], torch.diag(torch.tensor([1.0, 0.36]))[None])


def gaussian3d() -> GaussianMixture:
    """One 3-D Gaussian N((0.5, −0.5, 1), diag(1, 0.49, 0.64)) as a mixture of one."""
    return GaussianMixture([1.0], [[0.5, -0.5, 1.0]], torch.diag(torch.tensor([1.0, 0.49, 0.64]))[None])


def mixture3d() -> GaussianMixture:
    """3-D, unequal weights 0.5 / 0.3 / 0.2: three anisotropic Gaussians, well apart (≥ 6 std between means),
    0.5·N((−2, −1.5, −1), diag(0.6, 0.4, 0.5)²) + 0.3·N((2, −1, 1), diag(0.4, 0.7, 0.4)²)
    + 0.2·N((0, 2, −0.5), diag(0.5, 0.4, 0.7)²)."""
    means = [[-2.0, -1.5, -1.0], [2.0, -1.0, 1.0], [0.0, 2.0, -0.5]]
    stds = torch.tensor([[0.6, 0.4, 0.5], [0.4, 0.7, 0.4], [0.5, 0.4, 0.7]], dtype=torch.float64)
    return GaussianMixture([0.5, 0.3, 0.2], means, torch.diag_embed(stds**2))


#: The weights of the hidden-mode mixtures, in the order of their means along the hidden direction.
HIDDEN_WEIGHTS = (0.4, 0.3, 0.2, 0.1)


def hidden_direction(dim: int) -> Tensor:
    """u (D,) = (1, −1, 1, −1, …)/√D: a unit vector with equal weight 1/D on every axis. Among unit vectors it
    shows least in the worst axis pair: |u_P|² = 2/D for every pair P (the mean over pairs is 2/D for any u)."""
    return torch.tensor([(-1.0) ** i for i in range(dim)], dtype=torch.float64) / math.sqrt(dim)


def hidden_mixture(dim: int, weights=HIDDEN_WEIGHTS, spacing: float = 1.2, thin: float = 0.2,
                   wide: float = 1.25) -> GaussianMixture:
    """K Gaussians whose modes no axis pair shows: means μₖ = (k − (K−1)/2)·spacing·u on the hidden direction u
    (``hidden_direction``), one shared covariance Σ = wide²(I − uuᵀ) + thin²uuᵀ, thin along u and wide across.

    An axis-aligned mixture (modes spaced along x₁, thin in x₁) turned by the reflection that maps e₁ onto u. In
    full D neighbouring modes are spacing/thin = 6 std apart (Mahalanobis); in an axis pair P the means differ
    along u_P (|u_P|² = 2/D), where the projected std is √(wide²(1 − 2/D) + thin²·2/D), so neighbours sit
    0.78 (D = 5) and 0.55 (D = 8) projected std apart and every pair panel is one unimodal blob (tests check
    both). Mode k of ``mode_weights`` is the k-th along u. Cf. the "hidden cluster" examples of projection
    pursuit (Friedman & Tukey 1974): structure in a direction that no coordinate projection reveals.
    """
    if dim < 3:
        raise ValueError(f"a hidden-mode mixture needs D ≥ 3 (got {dim})")
    u = hidden_direction(dim)
    k = len(weights)
    offsets = spacing * (torch.arange(k, dtype=torch.float64) - (k - 1) / 2)
    uu = torch.outer(u, u)
    cov = wide**2 * (torch.eye(dim, dtype=torch.float64) - uu) + thin**2 * uu
    return GaussianMixture(list(weights), offsets[:, None] * u[None], cov.expand(k, dim, dim).clone())


def mixture5d() -> GaussianMixture:
    """5-D: 0.4 / 0.3 / 0.2 / 0.1, modes 6 std apart in 5-D, hidden in every axis pair (``hidden_mixture``)."""
    return hidden_mixture(5)


def mixture8d() -> GaussianMixture:
    """8-D: 0.4 / 0.3 / 0.2 / 0.1, modes 6 std apart in 8-D, hidden in every axis pair (``hidden_mixture``)."""
    return hidden_mixture(8)


# ----- densities on a grid ----------------------------------------------------------------------------
def smiley() -> DensityGrid:
    """A smiley face painted on a 64×64 grid over [−4, 4]²: a ring, two eyes and a smile (row 0 = lowest y)."""
    c = np.linspace(-4, 4, 65)[:-1] + 4 / 64
    x, y = np.meshgrid(c, c)  # y grows with the row index
    r = np.hypot(x, y)
    ring = np.abs(r - 3.0) < 0.35
    eyes = (np.hypot(np.abs(x) - 1.1, y - 1.0) < 0.45)
    smile = (np.abs(np.hypot(x, y + 0.2) - 1.7) < 0.3) & (y < -0.7)
    return DensityGrid((ring | eyes | smile).astype(np.float64), (-4.0, 4.0, -4.0, 4.0))
