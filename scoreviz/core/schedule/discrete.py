"""Discrete noise schedules as the libraries ship them: β's, ᾱ, SNR, zero-terminal-SNR rescaling, sampling spacing.

A discrete VP schedule is T numbers β_1 … β_T (diffusers' ``betas``, indexed k = i − 1 = 0 … T − 1) with

    ᾱ_i = ∏_{j ≤ i} (1 − β_j),   SNR_i = ᾱ_i/(1 − ᾱ_i),   λ_i = ln SNR_i,   σ̃_i = √((1 − ᾱ_i)/ᾱ_i) = e^{−λ_i/2}

(σ̃ is the VE-equivalent noise level of processes.py: x_i/√ᾱ_i = x₀ + σ̃_i ε). diffusers' ``beta_schedule``:

    linear             β = linspace(β_start, β_end, T)                                (DDPM, Ho et al. 2020)
    scaled_linear      β = linspace(√β_start, √β_end, T)²                              (Stable Diffusion)
    squaredcos_cap_v2  β_i = min(1 − ᾱ(i/T)/ᾱ((i−1)/T), 0.999),  ᾱ(t) = f(t)/f(0),
                       f(t) = cos²((t + s)/(1 + s)·π/2),  s = 0.008               (improved DDPM, eq. 17)

Everything here is float64 NumPy: ᾱ_T of SD is 4.7e-3 and its complement must not lose digits.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from scoreviz import names

__all__ = ["BETA_SCHEDULES", "COSINE_S", "TIMESTEP_SPACINGS", "SamplingTimesteps", "alphas_cumprod", "betas_for",
           "betas_from_alphas_cumprod", "log_snr", "rescale_zero_terminal_snr", "sampling_timesteps", "sigmas",
           "snr"]

#: diffusers' beta_schedule names this module computes ("trained": explicit betas).
BETA_SCHEDULES = ("linear", "scaled_linear", "squaredcos_cap_v2")
#: diffusers' timestep_spacing names (Lin et al. 2024, Table 2).
TIMESTEP_SPACINGS = tuple(names.TIMESTEP_SPACINGS)
COSINE_S = 0.008          # improved DDPM's offset s: keeps β_1 from vanishing
COSINE_BETA_CAP = 0.999   # improved DDPM clips each β here (the last steps, where ᾱ → 0)


def betas_for(schedule: str, beta_start: float, beta_end: float, num_train_timesteps: int) -> np.ndarray:
    """(T,) float64 β's of a diffusers ``beta_schedule`` (module docstring); ValueError for any other name.
    The cosine schedule ignores beta_start and beta_end, as diffusers does."""
    t_steps = int(num_train_timesteps)
    if t_steps != num_train_timesteps or t_steps < 2:
        raise ValueError(f"num_train_timesteps must be an integer ≥ 2 (got {num_train_timesteps})")
    if schedule == "linear":
        betas = np.linspace(beta_start, beta_end, t_steps, dtype=np.float64)
    elif schedule == "scaled_linear":
        betas = np.linspace(math.sqrt(beta_start), math.sqrt(beta_end), t_steps, dtype=np.float64) ** 2
    elif schedule == "squaredcos_cap_v2":
        betas = _cosine_betas(t_steps)
    else:
        raise ValueError(f"unsupported beta_schedule {schedule!r}; choose one of {', '.join(BETA_SCHEDULES)} "
                         f"(or give trained_betas)")
    return check_betas(betas)


def _cosine_betas(t_steps: int) -> np.ndarray:
    """β_i = min(1 − ᾱ(i/T)/ᾱ((i−1)/T), 0.999), i = 1 … T, with improved DDPM's ᾱ(t) = f(t)/f(0)."""
    t = np.arange(t_steps + 1, dtype=np.float64) / t_steps
    f = np.cos((t + COSINE_S) / (1 + COSINE_S) * math.pi / 2) ** 2
    return np.minimum(1 - f[1:] / f[:-1], COSINE_BETA_CAP)


def check_betas(betas) -> np.ndarray:
    """(T,) float64 after checking 0 < β < 1 for all but the last, which may be 1 (zero terminal SNR)."""
    b = np.asarray(betas, dtype=np.float64).reshape(-1)
    if b.size < 2 or not np.all(np.isfinite(b)):
        raise ValueError(f"need at least 2 finite betas (got {b.size})")
    if not (np.all(b[:-1] > 0) and np.all(b[:-1] < 1) and 0 < b[-1] <= 1):
        raise ValueError("every beta must lie in (0, 1) (the last may be 1: zero terminal SNR)")
    return b


def alphas_cumprod(betas) -> np.ndarray:
    """ᾱ_i = ∏_{j ≤ i}(1 − β_j), (T,) float64 (a sum of logs: no drift over a thousand factors)."""
    b = check_betas(betas)
    with np.errstate(divide="ignore"):   # β_T = 1 gives ln 0 = −∞, hence ᾱ_T = 0 exactly
        return np.exp(np.cumsum(np.log1p(-b)))


def snr(alphas_bar) -> np.ndarray:
    """SNR = ᾱ/(1 − ᾱ), (T,); 0 where ᾱ = 0."""
    a = np.asarray(alphas_bar, dtype=np.float64)
    return a / (1 - a)


def log_snr(alphas_bar) -> np.ndarray:
    """λ = ln ᾱ − ln(1 − ᾱ), (T,); −∞ where ᾱ = 0."""
    a = np.asarray(alphas_bar, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.log(a) - np.log1p(-a)


def sigmas(alphas_bar) -> np.ndarray:
    """The VE-equivalent σ̃ = √((1 − ᾱ)/ᾱ), (T,); +∞ where ᾱ = 0 (k-diffusion's ``sigmas`` of a VP schedule)."""
    a = np.asarray(alphas_bar, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.sqrt((1 - a) / a)


def betas_from_alphas_cumprod(alphas_bar) -> np.ndarray:
    """The β's whose cumulative product is ᾱ: β_1 = 1 − ᾱ_1, β_i = 1 − ᾱ_i/ᾱ_{i−1}."""
    a = np.asarray(alphas_bar, dtype=np.float64)
    return 1 - np.concatenate([a[:1], a[1:] / a[:-1]])


def rescale_zero_terminal_snr(betas) -> np.ndarray:
    """Lin et al. 2024, Algorithm 1: shift and scale a = √ᾱ so that a_T = 0 and a_1 is unchanged,

        a ← (a − a_T)·a_1/(a_1 − a_T),   ᾱ = a²,   β_i = 1 − ᾱ_i/ᾱ_{i−1}  (β_1 = 1 − ᾱ_1),

    which leaves the first step (β_1) as it was and makes β_T = 1, SNR_T = 0 exactly: the last step is pure
    noise, as the sampler's N(0, I) start assumes. (T,) float64."""
    a = np.sqrt(alphas_cumprod(betas))
    a_first, a_last = a[0], a[-1]
    a = (a - a_last) * a_first / (a_first - a_last)
    out = betas_from_alphas_cumprod(a**2)
    out[-1] = 1.0   # the formula gives 1 − 0/ᾱ_{T−1} = 1; set it so no rounding leaves ᾱ_T at 1e-300
    return out


@dataclass(frozen=True)
class SamplingTimesteps:
    """A sampler's timesteps for N steps: diffusers' 0-based indices k (i = k + 1 is the step, t = i/T its
    continuous time) in decreasing order, and whether the first is the last training step T (k = T − 1)."""

    timesteps: np.ndarray      # (N,) int64, decreasing
    num_train_timesteps: int
    spacing: str

    @property
    def starts_at_terminal(self) -> bool:
        return int(self.timesteps[0]) == self.num_train_timesteps - 1

    @property
    def times(self) -> np.ndarray:
        """(N,) continuous times t = (k + 1)/T in (0, 1] (the discrete process's clock)."""
        return (self.timesteps + 1) / self.num_train_timesteps


def sampling_timesteps(num_train_timesteps: int, steps: int, spacing: str = "leading",
                       steps_offset: int = 0) -> SamplingTimesteps:
    """diffusers' ``set_timesteps`` for N = `steps` of T = `num_train_timesteps` (Lin et al. 2024, Table 2):

        linspace   round(linspace(0, T − 1, N)) reversed               starts at T (k = T − 1), ends at k = 0
        leading    (0, c, 2c, …, (N − 1)c) + offset reversed, c = ⌊T/N⌋  never starts at T: with T = 1000,
                                                                       N = 10 the first step is k = 900
        trailing   round(T, T − c, …, c) − 1, c = T/N                  starts at T, ends at k = c − 1

    Rule (Lin et al. §3.3): a sampler must start where the model was trained on pure noise, so with a
    zero-terminal-SNR schedule use trailing (or linspace); leading starts up to T/N steps early."""
    t_steps, n = int(num_train_timesteps), int(steps)
    if not 1 <= n <= t_steps:
        raise ValueError(f"steps must be in [1, {t_steps}] (got {steps})")
    if spacing == "linspace":
        k = np.round(np.linspace(0, t_steps - 1, n))[::-1]
    elif spacing == "leading":
        k = (np.arange(n) * (t_steps // n))[::-1] + int(steps_offset)
    elif spacing == "trailing":
        k = np.round(np.arange(t_steps, 0, -t_steps / n)) - 1
    else:
        raise ValueError(f"unknown timestep_spacing {spacing!r}; choose one of {', '.join(TIMESTEP_SPACINGS)}")
    return SamplingTimesteps(np.clip(k, 0, t_steps - 1).astype(np.int64), t_steps, spacing)
