"""What every sampler shares: the score it follows (`ScoreFunction`), the step it yields (`SamplerStep`, with a
Langevin move's `LangevinStats`) and its Gaussian draws (`noise_like`).

The samplers themselves are in `core.samplers` (Langevin, annealed Langevin, the reverse SDE, PC, the
probability-flow ODE in t, DDPM), `core.samplers_ode` (Euler, EDM's Heun, DPM-Solver++(2M) in σ̃) and
`core.samplers_sde` (Euler ancestral, DPM-Solver++(2M) SDE, DDIM); `core.samplers` re-exports these names.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch
from torch import Tensor

from scoreviz.core.processes import NoiseProcess

VEScore = Callable[[Tensor, float], Tensor]


class ScoreFunction:
    """The score in a process's coordinates, from a score s̃(y, σ̃) of data noised as y = x₀ + σ̃ε:

        ∇ₓ log p_t(x) = s̃(x/α(t), σ̃(t)) / α(t)      (x_t = α x₀ + s ε, σ̃ = s/α; processes.py)

    `ve_score` may be a trained model's `score` or an exact oracle (Dataset.exact_score, GaussianMixture.score).
    Queries are evaluated in chunks of `chunk` rows: small batches stay in cache (about 2× faster on a CPU).
    """

    def __init__(self, ve_score: VEScore, process: NoiseProcess, chunk: int = 4096):
        self.ve_score = ve_score
        self.process = process
        self.chunk = chunk

    def at_level(self, y: Tensor, noise_level: float) -> Tensor:
        """s̃(y, σ̃) for y (N, *shape) → (N, *shape)."""
        if y.shape[0] <= self.chunk:
            return self.ve_score(y, noise_level)
        return torch.cat([self.ve_score(part, noise_level) for part in y.split(self.chunk)])

    def __call__(self, x: Tensor, t: float) -> Tensor:
        alpha = float(self.process.alpha(t))
        return self.at_level(x / alpha, float(self.process.noise_level(t))) / alpha

    def denoised(self, x: Tensor, t: float) -> Tensor:
        """Tweedie: E[x₀ | x_t = x] = (x + s(t)² ∇log p_t(x)) / α(t)."""
        alpha, std = float(self.process.alpha(t)), float(self.process.std(t))
        return (x + std**2 * self(x, t)) / alpha


@dataclass(frozen=True)
class SamplerStep:
    """One step: x (N, *shape) positions, the current time and noise level, the denoised estimate if known."""

    x: Tensor
    t: float
    noise_level: float
    index: int        # 1-based step number
    total: int        # steps this run will yield
    denoised: Tensor | None = None
    langevin: LangevinStats | None = None   # for a Langevin move (annealed, langevin, PC's corrector)


@dataclass(frozen=True)
class LangevinStats:
    """What one Langevin move x ← x + ε s + √(2ε) z looked like, as batch means over the particles.

    The realised signal-to-noise ratio ‖ε s‖ / ‖√(2ε) z‖ = √(ε/2)·‖s‖/‖z‖ is what score_sde's corrector sets to r
    (its step is 2(r‖z‖/‖s‖)²) and what NCSNv2 logs per level: far above r the move is all drift (particles
    collapse onto modes), far below it is all noise (nothing converges)."""

    step: float           # ε
    score_norm: float     # mean ‖s‖
    noise_norm: float     # mean ‖z‖

    @property
    def snr(self) -> float:
        return math.sqrt(self.step / 2) * self.score_norm / max(self.noise_norm, 1e-30)


def noise_like(x: Tensor, generator) -> Tensor:
    """z ~ N(0, I) of the shape, device and dtype of x, drawn from `generator` (None: torch's global one)."""
    return torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
