"""Rectified flow / flow matching (Liu et al. 2023; Lipman et al. 2023; SD3, Esser et al. 2024) as a noise process.

    x_t = (1 − t)·x₀ + t·ε:   α = 1 − t,  s = t,  σ̃ = t/(1 − t),  t = σ̃/(1 + σ̃),  ln σ̃ = logit t
    f(x, t) = −x/(1 − t),  g(t)² = d(s²)/dt − 2f s² = 2t/(1 − t)

The conditional flow-matching target is the velocity v = dx_t/dt = ε − x₀; its regression E[ε − x₀ | x_t] is the
probability-flow velocity. The conversions, with D(y, σ̃) ≈ E[x₀ | y] the lab's denoiser at y = x_t/(1 − t)
(core.model) and ε̂ = E[ε | x_t]:

    ε̂ = (x_t − (1 − t)x̂₀)/t                     (invert x_t = (1 − t)x̂₀ + tε̂)
    v = ε̂ − x̂₀ = (x_t − D)/t                      (velocity from the denoiser)
    ε̂ = x_t + (1 − t)v,   ∇log p_t = −ε̂/t = −(x_t + (1 − t)v)/t          (score from the velocity)
    v = −(x_t + t·∇log p_t)/(1 − t)               (velocity from the score)

and the probability-flow ODE f − ½g²∇log p_t = (ε̂ − x_t)/(1 − t) = v: the score SDE's ODE sampler integrates
exactly dx/dt = v (straight paths when the data are a point mass). The flow-matching loss on the denoiser is
‖v − (ε − x₀)‖² = ‖D − x₀‖²/t² = (1 + σ̃)²·‖σ̃s + ε‖², a DSM loss weighted by (1 + σ̃)² (core.losses.fm_loss).

t stays inside [t_min, t_max] ⊂ (0, 1): σ̃ is 0 at t = 0 and ∞ at t = 1, which the denoiser's ln σ̃ conditioning
cannot take. The default 0.01 … 0.995 spans σ̃ ≈ 0.01 … 199, as the VP and cosine processes do.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from scoreviz.core.process_base import NoiseProcess, append_dims, as_tensor, check_rho, require

__all__ = ["FlowProcess", "score_from_velocity", "velocity_from_denoised", "velocity_from_score"]


@dataclass(frozen=True, eq=True)
class FlowProcess(NoiseProcess):
    """x_t = (1 − t)x₀ + tε on [t_min, t_max] (module docstring)."""

    t_min: float = 0.01
    t_max: float = 0.995
    rho: float | None = None
    name = "flow"
    schedule_fields = ("t_min", "t_max", "rho")

    def __post_init__(self):
        require(0 < self.t_min < 0.5, f"t_min must be in (0, 0.5) (got {self.t_min})")
        require(0.5 < self.t_max < 1, f"t_max must be in (0.5, 1) (got {self.t_max})")
        check_rho(self.rho)

    def alpha(self, t):
        return 1 - as_tensor(t)

    def std(self, t):
        return torch.clone(as_tensor(t))

    def noise_level(self, t):
        t = as_tensor(t)
        return t / (1 - t)

    def time_of(self, noise_level):
        nl = as_tensor(noise_level)
        return (nl / (1 + nl)).clamp(self.t_min, self.t_max)

    def sde(self, x, t):
        t = as_tensor(t)
        return -x / append_dims(1 - t, x.ndim), torch.sqrt(2 * t / (1 - t))


def _t(t, x: Tensor) -> Tensor:
    return append_dims(torch.as_tensor(t, dtype=x.dtype, device=x.device), x.ndim)


def velocity_from_denoised(x: Tensor, t, denoised: Tensor) -> Tensor:
    """v = (x_t − D)/t for x (N, *shape), t a number or (N,), D = E[x₀ | x_t] (N, *shape)."""
    return (x - denoised) / _t(t, x)


def score_from_velocity(x: Tensor, t, v: Tensor) -> Tensor:
    """∇log p_t(x) = −(x_t + (1 − t)v)/t."""
    t = _t(t, x)
    return -(x + (1 - t) * v) / t


def velocity_from_score(x: Tensor, t, score: Tensor) -> Tensor:
    """v = −(x_t + t·∇log p_t)/(1 − t)."""
    t = _t(t, x)
    return -(x + t * score) / (1 - t)
