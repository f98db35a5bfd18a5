"""Stochastic solvers in the VE-equivalent noise level σ̃ (core.ve_frame: y = x/α, D(y; σ̃) = y + σ̃² s̃):

    euler_a     Euler ancestral: an Euler step down to σ_down, then fresh noise σ_up (k-diffusion)
    dpmpp_sde   DPM-Solver++(2M) SDE: the data-prediction SDE solver, second order in its drift (k-diffusion)
    ddim        DDIM (Song et al. 2021) for processes with a decaying mean (VP, sub-VP, cosine); η = 0 is
                deterministic and equals Euler's ODE step in σ̃, η = 1 is DDPM's ancestral step

Run shape, levels, the final step to σ̃ = 0 (y ← D(y; σ_min), one evaluation) and the yielded x = α(σ̃)·y are those
of core.samplers_ode. Each takes one evaluation a step: NFE = n + 1 (n without the final step).
"""
from __future__ import annotations

import math
from typing import Iterator

from torch import Tensor

from scoreviz.core.process_base import NoiseProcess
from scoreviz.core.sampler_base import SamplerStep, ScoreFunction, noise_like
from scoreviz.core.samplers_ode import dpmpp_2m_steps
from scoreviz.core.ve_frame import begin, steps_of


def ancestral_step(sigma: float, sigma_next: float, eta: float = 1.0) -> tuple[float, float]:
    """(σ_down, σ_up) of a step σ → σ' (k-diffusion `get_ancestral_step`):

        σ_up = min(σ', η σ'√(σ² − σ'²)/σ),   σ_down = √(σ'² − σ_up²)

    so that a deterministic move to σ_down plus fresh noise of σ_up lands at variance σ'² again; with η = 1 the
    pair is DDPM's posterior q(y' | y, x₀) in VE variables, with η = 0 it is the ODE step (σ_up = 0)."""
    if sigma_next == 0 or eta == 0:
        return sigma_next, 0.0
    sigma_up = min(sigma_next, eta * sigma_next * math.sqrt(sigma**2 - sigma_next**2) / sigma)
    return math.sqrt(sigma_next**2 - sigma_up**2), sigma_up


def euler_ancestral(score: ScoreFunction, x: Tensor, *, process: NoiseProcess | None = None, generator=None,
                    steps: int = 99, discretisation: str = "edm", rho: float = 7.0, eta: float = 1.0,
                    s_noise: float = 1.0, final_denoise: bool = True) -> Iterator[SamplerStep]:
    """Euler ancestral (k-diffusion `sample_euler_ancestral`): with (σ_down, σ_up) = ancestral_step(σ_i, σ_{i+1}, η),

        d = (y − D(y; σ_i))/σ_i,   y' = y + (σ_down − σ_i) d + S_noise σ_up z

    First order (weakly). The step to σ = 0 adds no noise: y' = D. NFE = n + 1."""
    frame, sigmas, y = begin(score, process, x, steps, discretisation, rho, final_denoise)
    total = len(sigmas) - 1
    for i, (sigma, sigma_next) in enumerate(steps_of(sigmas)):
        denoised = frame.denoise(y, sigma)
        sigma_down, sigma_up = ancestral_step(sigma, sigma_next, eta)
        y = y + (sigma_down - sigma) * (y - denoised) / sigma
        if sigma_up > 0:
            y = y + s_noise * sigma_up * noise_like(y, generator)
        yield frame.step(y, sigma_next, i + 1, total, denoised)


def dpmpp_2m_sde(score: ScoreFunction, x: Tensor, *, process: NoiseProcess | None = None, generator=None,
                 steps: int = 49, discretisation: str = "edm", rho: float = 7.0, eta: float = 1.0,
                 s_noise: float = 1.0, solver_type: str = "midpoint",
                 final_denoise: bool = True) -> Iterator[SamplerStep]:
    """DPM-Solver++(2M) SDE (k-diffusion `sample_dpmpp_2m_sde`; Lu et al. 2022, §5 and App. B): with λ = −log σ̃,
    h = λ_{i+1} − λ_i and the weight w = 1 − e^{−(1+η)h},

        y' = (σ'/σ) e^{−ηh} y + w D_i + S_noise σ' √(1 − e^{−2ηh}) z        (first order; η = 1: DDPM's step)

    plus, from the second step on (r = h_{i−1}/h_i), the second-order correction of the data prediction
        midpoint:  w/(2r) · (D_i − D_{i−1})
        heun:      (w/(−(1+η)h) + 1)/r · (D_i − D_{i−1})

    The noise is drawn independently each step (k-diffusion draws it from a Brownian tree so that runs of
    different lengths share one path; in distribution the same). η = 0 is DPM-Solver++(2M) itself (the midpoint
    correction is its D̃). The step to σ = 0: y' = D. NFE = n + 1."""
    frame, sigmas, y = begin(score, process, x, steps, discretisation, rho, final_denoise)
    yield from dpmpp_2m_steps(frame, sigmas, y, eta, solver_type, s_noise, generator)


def ddim(score: ScoreFunction, x: Tensor, *, process: NoiseProcess | None = None, generator=None,
         steps: int = 49, discretisation: str = "edm", rho: float = 7.0, eta: float = 0.0,
         final_denoise: bool = True) -> Iterator[SamplerStep]:
    """DDIM (Song, Meng & Ermon 2021, eq. 12) in the process's coordinates x = α x₀ + s ε, step t → t' (ᾱ = α²):

        x̂₀ = D(x/α; σ̃),   ε̂ = (x − α x̂₀)/s
        x' = α' x̂₀ + √(s'² − c²) ε̂ + c z,   c = η s' √(1 − σ̃'²/σ̃²)

    For VP (s² = 1 − ᾱ) c is the paper's η√((1 − ᾱ')/(1 − ᾱ))√(1 − ᾱ/ᾱ'). The derivation needs only the
    marginals N(α x₀, s² I) (DDIM §4.1), so sub-VP (s = 1 − α²) is allowed too; VE (α ≡ 1) is refused by the
    registry: there DDIM in σ̃ is Euler (η = 0) or Euler ancestral (η = 1). Dividing by α' shows η = 0 is Euler's
    ODE step y' = y + (σ̃' − σ̃)(y − x̂₀)/σ̃, and η = 1 the ancestral step with σ_up = c/α'. The step to σ̃ = 0
    (α' = 1, s' = 0) is x' = x̂₀. NFE = n + 1."""
    frame, sigmas, y = begin(score, process, x, steps, discretisation, rho, final_denoise)
    x = frame.to_x(y, sigmas[0])
    total = len(sigmas) - 1
    for i, (sigma, sigma_next) in enumerate(steps_of(sigmas)):
        alpha, alpha_next = frame.alpha(sigma), frame.alpha(sigma_next)
        std, std_next = alpha * sigma, alpha_next * sigma_next          # s = α σ̃
        x0 = frame.denoise(x / alpha, sigma)
        eps = (x - alpha * x0) / std
        c = eta * std_next * math.sqrt(1 - (sigma_next / sigma) ** 2)
        x = alpha_next * x0 + math.sqrt(max(std_next**2 - c**2, 0.0)) * eps
        if c > 0:
            x = x + c * noise_like(x, generator)
        yield frame.step(x / alpha_next, sigma_next, i + 1, total, x0)
