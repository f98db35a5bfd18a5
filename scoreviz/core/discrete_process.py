"""A discrete VP schedule (diffusers' β's) as a continuous-time process the lab trains and samples with.

The discrete schedule (core.schedule.discrete) gives λ_i = ln SNR_i at the steps i = 1 … T. The process puts
step i at time t_i = i/T and interpolates λ(t) between the steps with a monotone cubic (Fritsch–Carlson PCHIP):

    λ(t) = Hermite(t; λ_i, m_i),  m_i = 2/(1/δ_{i−1} + 1/δ_i) (0 where the δ's differ in sign), δ_i = (λ_{i+1} − λ_i)T
    ᾱ(t) = sigmoid(λ),  α = √ᾱ,  s = √(1 − ᾱ) = √sigmoid(−λ),  σ̃ = s/α = e^{−λ/2}
    β(t) = −d ln ᾱ/dt = −sigmoid(−λ)·λ′(t),  f(x, t) = −½β(t)x,  g(t) = √β(t)

so ᾱ(t_i) = ᾱ_i exactly at every step. Rule: interpolate in log-SNR, not in ᾱ or β, because λ is what the
weighting and the samplers' step sizes depend on and it is smooth over the whole range; a monotone cubic
rather than straight lines because β(t) (the SDE's coefficient) must not jump at every step, and monotone so
that σ̃ ↦ t (time_of) is one-to-one. The process lives on [t_min, t_max] = [1/T, t_last]: training draws t
uniformly there (the continuous form of DDPM's i ~ U{1, …, T}).

**Zero terminal SNR** (rescale_zero_snr, Lin et al. 2024): then ᾱ_T = 0, λ_T = −∞ and σ̃_T = ∞, which the lab's
VE-equivalent coordinates cannot carry (the denoiser is conditioned on ln σ̃; ε-prediction is undefined there).
The process therefore ends one step early, t_max = (T − 1)/T, where σ̃ is large but finite (≈ 2.3e3 for Stable
Diffusion rescaled), and prior_sample draws N(0, I), the exact marginal at t = 1: samplers start just below T,
from the distribution the model's last step was trained towards. Without rescaling t_max = 1.

``timestep_spacing`` (leading / linspace / trailing, diffusers; None: uniform t or ``rho``) makes
sampling_times follow diffusers' set_timesteps (core.schedule.discrete.sampling_timesteps) with N + 1 timesteps,
the first clamped to t_max and the last moved to t_min, where the samplers' final denoising step evaluates.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import torch
from torch import Tensor

from scoreviz.core.process_base import NoiseProcess, append_dims, as_tensor, check_rho, require
from scoreviz.core.schedule.discrete import (BETA_SCHEDULES, TIMESTEP_SPACINGS, alphas_cumprod, betas_for,
                                             check_betas, log_snr, rescale_zero_terminal_snr, sampling_timesteps)

__all__ = ["DiscreteVP"]

_NEWTON_STEPS = 8   # time_of: Newton on one cubic segment from the linear guess (converges in 3–4)


@dataclass(frozen=True, eq=True)
class DiscreteVP(NoiseProcess):
    """diffusers' β schedule as a VP process (module docstring). ``trained_betas`` (T,) replaces the named
    schedule; beta_start/beta_end/num_train_timesteps then play no part."""

    beta_schedule: str = "linear"              # core.schedule.discrete.BETA_SCHEDULES, or "trained"
    beta_start: float = 1e-4
    beta_end: float = 0.02
    num_train_timesteps: int = 1000
    trained_betas: tuple[float, ...] | None = None
    rescale_zero_snr: bool = False
    timestep_spacing: str | None = None       # TIMESTEP_SPACINGS, or None: uniform t (or rho)
    rho: float | None = None
    name = "discrete"
    schedule_fields = ("beta_start", "beta_end", "num_train_timesteps", "rho")
    variance_preserving = True

    def __post_init__(self):
        require(self.beta_schedule in BETA_SCHEDULES + ("trained",),
                f"unsupported beta_schedule {self.beta_schedule!r}; choose one of {', '.join(BETA_SCHEDULES)}")
        require((self.beta_schedule == "trained") == (self.trained_betas is not None),
                "beta_schedule 'trained' goes with trained_betas, and trained_betas with it")
        require(0 < self.beta_start <= self.beta_end < 1,
                f"need 0 < beta_start ≤ beta_end < 1 (got {self.beta_start}, {self.beta_end})")
        require(self.timestep_spacing is None or self.timestep_spacing in TIMESTEP_SPACINGS,
                f"timestep_spacing must be one of {', '.join(TIMESTEP_SPACINGS)} (got {self.timestep_spacing!r})")
        check_rho(self.rho)
        self.betas   # noqa: B018 — computes (and checks) the schedule now: a bad one fails at construction

    # --- the discrete schedule -------------------------------------------------------------------------------
    @cached_property
    def betas(self) -> np.ndarray:
        """(T,) float64 β's, rescaled to zero terminal SNR when asked."""
        if self.trained_betas is not None:
            betas = check_betas(self.trained_betas)
        else:
            betas = betas_for(self.beta_schedule, self.beta_start, self.beta_end, self.num_train_timesteps)
        return rescale_zero_terminal_snr(betas) if self.rescale_zero_snr else betas

    @property
    def steps(self) -> int:
        """T."""
        return int(self.betas.size)

    @cached_property
    def _knots(self) -> tuple[Tensor, Tensor]:
        """(λ_i, m_i) float64 at t_i = i/T over the steps with finite SNR (all but a zero-SNR last one)."""
        lam = log_snr(alphas_cumprod(self.betas))
        lam = lam[np.isfinite(lam)]
        require(lam.size >= 2, "the schedule needs at least two steps with a finite signal-to-noise ratio")
        return torch.from_numpy(lam), torch.from_numpy(_pchip_slopes(lam, 1.0 / self.steps))

    @property
    def t_min(self) -> float:
        return 1.0 / self.steps

    @property
    def t_max(self) -> float:
        return self._knots[0].numel() / self.steps

    # --- marginals -------------------------------------------------------------------------------------------
    def log_snr(self, t) -> Tensor:
        """λ(t), same shape and dtype as t (float64 for a number); differentiable in t."""
        return self._hermite(t)[0]

    def alpha(self, t):
        return torch.sqrt(torch.sigmoid(self.log_snr(t)))

    def std(self, t):
        return torch.sqrt(torch.sigmoid(-self.log_snr(t)))

    def noise_level(self, t):
        return torch.exp(-0.5 * self.log_snr(t))

    def prior_std(self) -> float:
        """1: with zero terminal SNR the t = 1 marginal N(0, I) (module docstring), else s(1) ≈ 1."""
        return 1.0 if self.rescale_zero_snr else float(self.std(self.t_max))

    def beta(self, t) -> Tensor:
        lam, slope = self._hermite(t)
        return -torch.sigmoid(-lam) * slope

    def sde(self, x, t):
        beta = self.beta(t)
        return -0.5 * append_dims(beta, x.ndim) * x, torch.sqrt(beta)

    def time_of(self, noise_level):
        """t with σ̃(t) = noise_level: the segment by search in λ, then Newton on its cubic; clamped."""
        nl = as_tensor(noise_level)
        lam_k, m_k = (v.to(nl.device) for v in self._knots)
        target = (-2 * torch.log(nl.double())).clamp(float(lam_k[-1]), float(lam_k[0])).reshape(-1)
        k = (torch.searchsorted(-lam_k, -target, right=True) - 1).clamp(0, lam_k.numel() - 2)
        h = 1.0 / self.steps
        u = ((target - lam_k[k]) / (lam_k[k + 1] - lam_k[k])).clamp(0, 1)
        for _ in range(_NEWTON_STEPS):
            value, slope = _hermite_at(u, k, lam_k, m_k, h)
            u = (u - (value - target) / (slope * h)).clamp(0, 1)
        t = ((k + 1 + u) * h).reshape(nl.shape)
        return t.to(nl.dtype).clamp(self.t_min, self.t_max)

    def _hermite(self, t) -> tuple[Tensor, Tensor]:
        """(λ(t), λ′(t)) in t's dtype; outside [t_min, t_max] the end segments' cubics extend."""
        t = as_tensor(t)
        lam_k, m_k = (v.to(t.device) for v in self._knots)
        h = 1.0 / self.steps
        pos = t.double() / h - 1                       # knot i = 1 … at pos = 0 …
        k = pos.detach().floor().long().clamp(0, lam_k.numel() - 2)
        value, slope = _hermite_at(pos - k, k, lam_k, m_k, h)
        return value.to(t.dtype), slope.to(t.dtype)

    # --- sampling --------------------------------------------------------------------------------------------
    def sampling_times(self, steps: int) -> Tensor:
        """diffusers' timestep spacing when set (module docstring), else uniform t or EDM's ρ."""
        if self.timestep_spacing is None:
            return super().sampling_times(steps)
        spaced = sampling_timesteps(self.steps, min(steps + 1, self.steps), self.timestep_spacing).times
        times = np.clip(spaced, self.t_min, self.t_max)
        times[-1] = self.t_min
        return torch.from_numpy(times).float()

    def config(self) -> dict:
        d = super().config()
        if d["trained_betas"] is not None:
            d["trained_betas"] = list(d["trained_betas"])
        return d


def _pchip_slopes(lam: np.ndarray, h: float) -> np.ndarray:
    """Fritsch–Carlson slopes of the monotone cubic through (i·h, λ_i): the harmonic mean of the neighbouring
    secants inside (0 where they differ in sign), the end secant at the ends. (K,) float64."""
    delta = np.diff(lam) / h
    m = np.empty_like(lam)
    m[0], m[-1] = delta[0], delta[-1]
    left, right = delta[:-1], delta[1:]
    same = left * right > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        m[1:-1] = np.where(same, 2.0 / (1.0 / left + 1.0 / right), 0.0)
    return m


def _hermite_at(u: Tensor, k: Tensor, lam: Tensor, m: Tensor, h: float) -> tuple[Tensor, Tensor]:
    """The cubic Hermite segment k at u ∈ [0, 1]: (value, d value/dt) with t = (k + 1 + u)·h."""
    u2, u3 = u * u, u * u * u
    p0, p1, d0, d1 = lam[k], lam[k + 1], m[k] * h, m[k + 1] * h
    value = (2 * u3 - 3 * u2 + 1) * p0 + (u3 - 2 * u2 + u) * d0 + (-2 * u3 + 3 * u2) * p1 + (u3 - u2) * d1
    slope = ((6 * u2 - 6 * u) * p0 + (3 * u2 - 4 * u + 1) * d0 + (6 * u - 6 * u2) * p1 + (3 * u2 - 2 * u) * d1) / h
    return value, slope
