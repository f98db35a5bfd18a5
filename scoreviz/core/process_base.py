"""The interface every noise process implements (processes.py has the processes and the module doc).

x_t = α(t)·x₀ + s(t)·ε for t ∈ [t_min, t_max], with the VE-equivalent noise level σ̃(t) = s(t)/α(t); helpers
shared by the processes (tensor coercion, parameter checks, EDM's σ sequence, the ladder size).
"""
from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import asdict

import torch
from torch import Tensor


def as_tensor(t) -> Tensor:
    """A tensor keeps its dtype; a Python number becomes a float64 scalar (exact schedules, and a 0-dim tensor
    does not promote the dtype of the batch it multiplies)."""
    return t if isinstance(t, Tensor) and t.is_floating_point() else torch.as_tensor(t, dtype=torch.float64)


def append_dims(v: Tensor, ndim: int) -> Tensor:
    """Reshape a per-sample (N,) or scalar tensor to broadcast against an (N, ...) tensor of ndim dims."""
    v = torch.as_tensor(v)
    return v.reshape(v.shape + (1,) * (ndim - v.ndim)) if v.ndim else v


def require(ok: bool, message: str) -> None:
    """A process's parameter check: `message` as a ValueError unless `ok`."""
    if not ok:
        raise ValueError(message)


def check_rho(rho) -> None:
    require(rho is None or (math.isfinite(rho) and rho > 0),
            f"rho must be positive, or None for uniform t (got {rho})")


def edm_sigmas(sigma_min: float, sigma_max: float, steps: int, rho: float) -> Tensor:
    """(steps + 1,) float64: σ_i = (σ_max^{1/ρ} + i/N (σ_min^{1/ρ} − σ_max^{1/ρ}))^ρ, i = 0 … N = steps (EDM, eq. 5):
    σ_max first, σ_min last; ρ = 1 is uniform in σ, ρ → ∞ geometric, EDM uses ρ = 7."""
    i = torch.arange(steps + 1, dtype=torch.float64) / max(1, steps)
    lo, hi = sigma_min ** (1 / rho), sigma_max ** (1 / rho)
    return (hi + i * (lo - hi)) ** rho


class NoiseProcess(ABC):
    """x_t = α(t) x₀ + s(t) ε with t ∈ [t_min, t_max]; see the module docstring for each process."""

    name: str = ""
    t_min: float = 0.0
    t_max: float = 1.0
    rho: float | None = None             # EDM's sampling discretisation (sampling_times); a field of each process
    schedule_fields: tuple[str, ...] = ()   # the parameters a user may edit (schedule_parameters)
    variance_preserving = False          # α² + s² = 1 (VP, cosine): DDPM's ancestral sampler applies

    # --- marginals -------------------------------------------------------------------------------------------
    @abstractmethod
    def alpha(self, t) -> Tensor:
        """Mean scale α(t), same shape as t."""

    @abstractmethod
    def std(self, t) -> Tensor:
        """Marginal std s(t), same shape as t."""

    def noise_level(self, t) -> Tensor:
        """σ̃(t) = s(t)/α(t), the VE-equivalent noise level."""
        return self.std(t) / self.alpha(t)

    @abstractmethod
    def time_of(self, noise_level) -> Tensor:
        """Inverse of noise_level: the t with σ̃(t) = noise_level (clamped to [t_min, t_max])."""

    def noise_range(self) -> tuple[float, float]:
        """(σ̃ at t_min, σ̃ at t_max): the range the σ slider spans."""
        return float(self.noise_level(self.t_min)), float(self.noise_level(self.t_max))

    # --- dynamics --------------------------------------------------------------------------------------------
    @abstractmethod
    def sde(self, x: Tensor, t) -> tuple[Tensor, Tensor]:
        """Forward SDE coefficients: drift f(x, t) (shape of x) and diffusion g(t) (scalar tensor)."""

    def prior_std(self) -> float:
        return float(self.std(self.t_max))

    def prior_sample(self, shape, generator: torch.Generator | None = None, device="cpu") -> Tensor:
        """Draws from the prior p_1 ≈ N(0, s(1)² I) (the data part α(1)x₀ is negligible by design)."""
        return self.prior_std() * torch.randn(shape, generator=generator, device=device)

    # --- schedules -------------------------------------------------------------------------------------------
    def train_times(self, n: int, generator: torch.Generator | None = None, device="cpu") -> Tensor:
        """Times visited by the training loss, (n,): uniform on [t_min, t_max] (continuous processes)."""
        u = torch.rand(n, generator=generator, device=device)
        return self.t_min + (self.t_max - self.t_min) * u

    def sampling_times(self, steps: int) -> Tensor:
        """(steps + 1,) float32 decreasing times from t_max to t_min, for a reverse-time integrator: uniform in t,
        or with ``rho`` set, at EDM's σ̃ sequence over noise_range() (edm_sigmas) mapped back by time_of."""
        if self.rho is None:
            return torch.linspace(self.t_max, self.t_min, steps + 1)
        lo, hi = self.noise_range()
        return self.time_of(edm_sigmas(lo, hi, steps, self.rho)).float()

    @property
    def training_levels(self) -> Tensor | None:
        """The discrete σ̃ levels the process's own training visits (NCSN's ladder), None for a continuum."""
        return None

    def levels(self, n: int | None = None) -> Tensor:
        """n noise levels σ̃, geometric from the largest to the smallest (annealed Langevin's ladder); by
        default as many as keep neighbouring levels within a ratio of 1.5 (`ladder_size`)."""
        lo, hi = self.noise_range()
        n = ladder_size(hi, lo) if n is None else n
        return torch.exp(torch.linspace(math.log(hi), math.log(lo), n))

    # --- (de)serialisation -----------------------------------------------------------------------------------
    def config(self) -> dict:
        return {"name": self.name, **asdict(self)}


def ladder_size(sigma_max: float, sigma_min: float, ratio: float = 1.5) -> int:
    """Levels so that neighbouring σ differ by at most `ratio`. (NCSNv2 technique 2 derives the ratio from D;
    for D ≤ 3 it allows any ratio, so we keep the spacing that NCSN's toy used, about 1.4–1.5.)"""
    return max(2, int(math.ceil(math.log(sigma_max / sigma_min) / math.log(ratio))) + 1)
