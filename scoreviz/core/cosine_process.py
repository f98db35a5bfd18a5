"""The VP process with improved DDPM's cosine schedule (Nichol & Dhariwal 2021, eq. 17), in continuous time.

    ᾱ(t) = f(t)/f(0),  f(t) = cos²(φ(t)),  φ(t) = (t + s)/(1 + s)·π/2,  s = 0.008
    α(t) = √ᾱ = cos φ / cos φ₀,   s(t) = √(1 − ᾱ) = √(sin(φ − φ₀) sin(φ + φ₀)) / cos φ₀,   φ₀ = φ(0)
    β(t) = −d ln ᾱ/dt = π tan φ / (1 + s),   f(x, t) = −½β(t)x,   g(t) = √β(t)
    σ̃(t) = s/α = √(sin(φ − φ₀) sin(φ + φ₀)) / cos φ,   and back: tan φ = √(σ̃² + sin²φ₀) / cos φ₀

(The sin-product forms keep 1 − ᾱ accurate at small t, where ᾱ is within 1e-5 of 1.)

**The end of the schedule.** ᾱ(1) = 0: σ̃ and β are infinite at t = 1. Improved DDPM clips each discrete
β_t = 1 − ᾱ_t/ᾱ_{t−1} at 0.999 with T = 1000 steps. Here the continuous β(t)·Δt is clipped at 0.999 with Δt = 1/T,
i.e. β ≤ BETA_CAP = 999, and the process *ends* where the unclipped β reaches that cap: t_max = COSINE_T_MAX
≈ 0.998, where σ̃ ≈ 320 (VP's linear schedule ends at σ̃ ≈ 150). On [t_min, t_max] the clip never binds, so the
marginals above solve the SDE exactly; `beta` still clips beyond t_max. t_max may be lowered (a smaller σ̃ at the
end), not raised past COSINE_T_MAX.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from scoreviz.core.process_base import NoiseProcess, as_tensor, check_rho, require, append_dims

COSINE_OFFSET = 0.008                    # s of improved DDPM: keeps β(0) from vanishing
BETA_CAP = 999.0                         # β·Δt ≤ 0.999 with Δt = 1/1000 (improved DDPM's clip, T = 1000)
_PHI0 = COSINE_OFFSET / (1 + COSINE_OFFSET) * math.pi / 2
#: The t at which π tan φ/(1 + s) = BETA_CAP: the default (and largest) t_max.
COSINE_T_MAX = math.atan(BETA_CAP * (1 + COSINE_OFFSET) / math.pi) * 2 * (1 + COSINE_OFFSET) / math.pi - COSINE_OFFSET


def _phi(t):
    return (as_tensor(t) + COSINE_OFFSET) / (1 + COSINE_OFFSET) * (math.pi / 2)


@dataclass(frozen=True, eq=True)
class CosineVPSDE(NoiseProcess):
    """VP with ᾱ(t) = cos²(φ(t))/cos²(φ(0)) on [t_min, t_max] (module docstring; t_max ≤ COSINE_T_MAX)."""

    t_min: float = 1e-3
    t_max: float = COSINE_T_MAX
    rho: float | None = None
    name = "cosine"
    schedule_fields = ("t_min", "t_max", "rho")
    variance_preserving = True

    def __post_init__(self):
        require(0 < self.t_min < 0.5, f"t_min must be in (0, 0.5) (got {self.t_min})")
        require(0.5 < self.t_max <= COSINE_T_MAX + 1e-12,
                f"t_max must be in (0.5, {COSINE_T_MAX:.6f}], where β(t)·Δt reaches 0.999 (got {self.t_max})")
        check_rho(self.rho)

    def alpha(self, t):
        return torch.cos(_phi(t)) / math.cos(_PHI0)

    def std(self, t):
        phi = _phi(t)
        return torch.sqrt(torch.sin(phi - _PHI0) * torch.sin(phi + _PHI0)) / math.cos(_PHI0)

    def noise_level(self, t):
        phi = _phi(t)
        return torch.sqrt(torch.sin(phi - _PHI0) * torch.sin(phi + _PHI0)) / torch.cos(phi)

    def time_of(self, noise_level):
        nl = as_tensor(noise_level)
        phi = torch.atan(torch.sqrt(nl**2 + math.sin(_PHI0) ** 2) / math.cos(_PHI0))
        return (phi * (2 * (1 + COSINE_OFFSET) / math.pi) - COSINE_OFFSET).clamp(self.t_min, self.t_max)

    def beta(self, t):
        """β(t) = π tan φ/(1 + s), clipped at BETA_CAP (which it reaches only past COSINE_T_MAX)."""
        return (math.pi / (1 + COSINE_OFFSET) * torch.tan(_phi(t))).clamp(max=BETA_CAP)

    def sde(self, x, t):
        beta = self.beta(t)
        return -0.5 * append_dims(beta, x.ndim) * x, torch.sqrt(beta)
