"""Deterministic solvers of the probability-flow ODE in the VE-equivalent noise level σ̃ (core.ve_frame):

    dy/dσ̃ = d(y, σ̃) = (y − D(y; σ̃))/σ̃,     y = x/α,  D(y; σ̃) = y + σ̃² s̃(y, σ̃)

    euler     first order:  y' = y + (σ' − σ) d                                   (EDM, Karras et al. 2022, §3)
    heun      second order: Euler, then the trapezoid (d + d')/2; with S_churn > 0 EDM's stochastic sampler
              (Alg. 2): noise added before each step takes y from σ up to σ̂ = σ(1 + γ)
    dpmpp2m   second order multistep in λ = −log σ̃ on the data prediction D (DPM-Solver++(2M), Lu et al. 2022)

Each is a generator `sampler(score, x, *, process, generator, steps, discretisation, rho, ..., final_denoise)`
as in core.samplers: x (N, *shape) the prior sample at t_max, `steps` = n steps over the levels σ₀ = σ_max > … >
σ_n = σ_min of `discretisation` (core.sigma_steps), then, with `final_denoise`, the step to σ̃ = 0. For every
solver here that last step is y ← D(y; σ_min) (Euler to σ̃ = 0: y + (0 − σ)(y − D)/σ = D; EDM's last step of
Alg. 1, k-diffusion's `x = denoised`), one evaluation, Tweedie's denoising step of the other samplers. Without
it the run stops at σ_min (the convergence tests compare with the exact ODE there). Each step yields x = α(σ̃)·y.

NFE (score evaluations): euler n + 1; heun 2n + 1 (EDM's 2N − 1 with N = n + 1 levels including σ = 0);
dpmpp2m n + 1 (EDM's N); one less each without the final step.
"""
from __future__ import annotations

import math
from typing import Iterator

from torch import Tensor

from scoreviz.core.process_base import NoiseProcess
from scoreviz.core.sampler_base import SamplerStep, ScoreFunction, noise_like
from scoreviz.core.ve_frame import begin, steps_of


def euler(score: ScoreFunction, x: Tensor, *, process: NoiseProcess | None = None, generator=None,
          steps: int = 49, discretisation: str = "edm", rho: float = 7.0,
          final_denoise: bool = True) -> Iterator[SamplerStep]:
    """Euler's method on dy/dσ̃ = (y − D)/σ̃: y_{i+1} = y_i + (σ_{i+1} − σ_i) d_i (EDM, Alg. 1 without the
    correction; k-diffusion `sample_euler`). First order: the error at the end halves when n doubles.
    `generator` is taken for a uniform call and not used."""
    frame, sigmas, y = begin(score, process, x, steps, discretisation, rho, final_denoise)
    total = len(sigmas) - 1
    for i, (sigma, sigma_next) in enumerate(steps_of(sigmas)):
        denoised = frame.denoise(y, sigma)
        y = y + (sigma_next - sigma) * (y - denoised) / sigma
        yield frame.step(y, sigma_next, i + 1, total, denoised)


def churn(s_churn: float, s_tmin: float, s_tmax: float, sigma: float, steps: int) -> float:
    """EDM's γ_i = min(S_churn/N, √2 − 1) for σ_i in [S_tmin, S_tmax], else 0 (Alg. 2, line 4). The cap √2 − 1
    keeps σ̂ = σ(1 + γ) ≤ √2 σ: the noise added, √(σ̂² − σ²) ≤ σ, never exceeds what is already there."""
    return min(s_churn / steps, math.sqrt(2) - 1) if s_tmin <= sigma <= s_tmax else 0.0


def edm_heun(score: ScoreFunction, x: Tensor, *, process: NoiseProcess | None = None, generator=None,
             steps: int = 17, discretisation: str = "edm", rho: float = 7.0, s_churn: float = 0.0,
             s_tmin: float = 0.0, s_tmax: float = math.inf, s_noise: float = 1.0,
             final_denoise: bool = True) -> Iterator[SamplerStep]:
    """EDM's sampler (Karras et al. 2022): Alg. 1 (deterministic, S_churn = 0) and Alg. 2 (stochastic). Each step
    σ_i → σ_{i+1}, with N = the run's steps (including the one to σ = 0):

        γ_i = min(S_churn/N, √2 − 1) if σ_i ∈ [S_tmin, S_tmax] else 0,   σ̂ = σ_i(1 + γ_i)
        ŷ = y_i + √(σ̂² − σ_i²)·S_noise·z                    (z ~ N(0, I): back up the ODE to σ̂)
        d = (ŷ − D(ŷ; σ̂))/σ̂,   y_{i+1} = ŷ + (σ_{i+1} − σ̂) d                       (Euler)
        if σ_{i+1} > 0:  d' = (y_{i+1} − D(y_{i+1}; σ_{i+1}))/σ_{i+1},  y_{i+1} = ŷ + (σ_{i+1} − σ̂)(d + d')/2

    Second order (the error at σ_min quarters when n doubles); the step to σ = 0 is Euler's, y ← D(ŷ; σ̂).
    NFE = 2n + 1 (2n without the final step). EDM's defaults: ρ = 7, no churn (S_tmax = ∞, S_noise = 1)."""
    frame, sigmas, y = begin(score, process, x, steps, discretisation, rho, final_denoise)
    total = len(sigmas) - 1
    for i, (sigma, sigma_next) in enumerate(steps_of(sigmas)):
        gamma = churn(s_churn, s_tmin, s_tmax, sigma, total)
        sigma_hat = sigma * (1 + gamma)
        if gamma > 0:
            y = y + math.sqrt(sigma_hat**2 - sigma**2) * s_noise * noise_like(y, generator)
        denoised = frame.denoise(y, sigma_hat)
        d = (y - denoised) / sigma_hat
        y_next = y + (sigma_next - sigma_hat) * d
        if sigma_next > 0:
            d_next = (y_next - frame.denoise(y_next, sigma_next)) / sigma_next
            y_next = y + (sigma_next - sigma_hat) * 0.5 * (d + d_next)
        y = y_next
        yield frame.step(y, sigma_next, i + 1, total, denoised)


def dpmpp_2m_update(y: Tensor, sigma: float, sigma_next: float, denoised: Tensor, previous: Tensor | None,
                    h_last: float | None, eta: float = 0.0, solver_type: str = "midpoint") -> Tensor:
    """The deterministic part of one DPM-Solver++(2M) step σ → σ' > 0 (k-diffusion's form, which the SDE variant
    shares): h = log(σ/σ'), w = 1 − e^{−(1+η)h},

        y' = (σ'/σ) e^{−ηh} y + w D_i   [+ w/(2r) (D_i − D_{i−1})  (midpoint)  or  (w/(−(1+η)h) + 1)/r (D_i − D_{i−1})
                                          (heun), r = h_{i−1}/h_i, when D_{i−1} = `previous` is known]

    With η = 0 and midpoint this is y' = (σ'/σ) y − (e^{−h} − 1) D̃, D̃ = (1 + 1/(2r)) D_i − D_{i−1}/(2r)."""
    h = math.log(sigma / sigma_next)
    eta_h = eta * h
    weight = -math.expm1(-h - eta_h)
    y = (sigma_next / sigma) * math.exp(-eta_h) * y + weight * denoised
    if previous is None:
        return y
    r = h_last / h
    if solver_type == "heun":
        return y + (weight / (-h - eta_h) + 1) / r * (denoised - previous)
    return y + weight / (2 * r) * (denoised - previous)


def dpmpp_2m(score: ScoreFunction, x: Tensor, *, process: NoiseProcess | None = None, generator=None,
             steps: int = 24, discretisation: str = "edm", rho: float = 7.0,
             final_denoise: bool = True) -> Iterator[SamplerStep]:
    """DPM-Solver++(2M) (Lu et al. 2022, Alg. 2; k-diffusion `sample_dpmpp_2m`): the ODE's exact solution in
    λ = −log σ̃ for a data prediction held fixed over the step, y' = (σ'/σ) y − (e^{−h} − 1) D̃, with
    h = λ_{i+1} − λ_i and the data prediction extrapolated linearly from the last two steps,

        D̃ = D_i                                        on the first step (DPM-Solver++ 1 = DDIM's step)
        D̃ = (1 + 1/(2r)) D_i − D_{i−1}/(2r),  r = h_{i−1}/h_i     after (second order, one evaluation a step)

    and the step to σ = 0 (h = ∞): y' = D_i. NFE = n + 1 (n without the final step). `generator` is not used."""
    yield from dpmpp_2m_steps(*begin(score, process, x, steps, discretisation, rho, final_denoise))


def dpmpp_2m_steps(frame, sigmas, y: Tensor, eta: float = 0.0, solver_type: str = "midpoint",
                   s_noise: float = 1.0, generator=None) -> Iterator[SamplerStep]:
    """The (2M) multistep loop over `sigmas` from y in `frame` (ve_frame.begin's), for DPM-Solver++(2M) (η = 0)
    and its SDE (η > 0 adds the noise that keeps the marginal at σ': S_noise σ'√(1 − e^{−2ηh}) z)."""
    total = len(sigmas) - 1
    previous, h_last = None, None
    for i, (sigma, sigma_next) in enumerate(steps_of(sigmas)):
        denoised = frame.denoise(y, sigma)
        if sigma_next == 0:
            y = denoised
        else:
            y = dpmpp_2m_update(y, sigma, sigma_next, denoised, previous, h_last, eta, solver_type)
            h = math.log(sigma / sigma_next)
            if eta > 0:
                y = y + s_noise * sigma_next * math.sqrt(-math.expm1(-2 * eta * h)) * noise_like(y, generator)
            previous, h_last = denoised, h
        yield frame.step(y, sigma_next, i + 1, total, denoised)
