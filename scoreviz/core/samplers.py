"""Samplers as generators that yield every step, so a GUI can animate them and a CLI can just exhaust them.

Each sampler has the same shape (after k-diffusion): `sampler(score, x, *, process, generator, steps, ...)`,
where `score` is a `ScoreFunction` and x the starting points (N, *shape); each yields `SamplerStep`s, the last
one holding the samples. The same code serves (N, 2) particles and (N, 1, 28, 28) images. Every sampler lists
exactly the options it takes (no catch-all); its name, options, the processes it runs on and how its length
follows from an NFE budget are in `core.sampler_registry`, and `core.sampler_runs` creates checked runs
(a misspelt option or DDPM on a non-VP process is a ValueError before the first step). Call the generators
through `sampler_runs.run_sampler`: they do not check their options themselves. Guided scores: `guidance.py`.

    langevin   x ← x + ε s(x, σ̃) + √(2ε) z at one fixed noise level (Song's blog, eq. 6)
    annealed   Langevin over σ₁ > … > σ_L with ε_i = ε σ_i²/σ_L², T steps each, then x + σ_L² s (NCSN, Alg. 1)
    em         Euler–Maruyama on the reverse SDE dx = [f − g² s] dt + g dw̄ (score SDE, eq. 6)
    pc         predictor (EM) + Langevin corrector with step 2(r‖z‖/‖s‖)² (score SDE, Alg. 4/5)
    ode        probability-flow ODE dx/dt = f − ½ g² s with Heun's or RK4's fixed steps (score SDE, eq. 13)
    ddpm       ancestral sampling for VP: x ← (x + β s)/√(1−β) + √β z (score SDE, eq. 47)
All but `langevin` end with Tweedie's denoising step E[x₀|x_t] = (x + s(t)² ∇log p_t)/α(t).

The field's solvers in the VE-equivalent noise level σ̃ (Karras et al. 2022; Lu et al. 2022; Song et al. 2021,
DDIM), on a named σ̃ discretisation (core.sigma_steps), are in their own modules, one concept each:

    euler, heun, dpmpp2m         deterministic: core.samplers_ode
    euler_a, dpmpp_sde, ddim     stochastic (DDIM with η = 0 is Euler's ODE step): core.samplers_sde
The pieces all samplers share (ScoreFunction, SamplerStep, LangevinStats, noise_like) are in core.sampler_base
and re-exported here.
"""
from __future__ import annotations

import math
from typing import Iterator

import torch
from torch import Tensor

from scoreviz.core.processes import NoiseProcess
from scoreviz.core.sampler_base import LangevinStats, SamplerStep, ScoreFunction, VEScore, noise_like
from scoreviz.core.samplers_ode import dpmpp_2m, edm_heun, euler
from scoreviz.core.samplers_sde import ddim, dpmpp_2m_sde, euler_ancestral
from scoreviz.core.schedule.rules import ncsnv2_step_size  # NCSNv2 technique 4 (one home: schedule_rules)

__all__ = ["GENERATORS", "LangevinStats", "SamplerStep", "ScoreFunction", "VEScore", "annealed_langevin",
           "ddpm_ancestral", "default_annealed_step", "default_langevin_step", "langevin", "langevin_step",
           "ncsnv2_step_size", "noise_like", "predictor_corrector", "probability_flow_ode",
           "probability_flow_velocity", "reverse_sde"]


def _mean_norm(v: Tensor) -> float:
    return float(v.reshape(v.shape[0], -1).norm(dim=1).mean())


def langevin_step(x: Tensor, score: Tensor, step: float, generator) -> tuple[Tensor, LangevinStats]:
    """x + ε s + √(2ε) z: one step of unadjusted Langevin dynamics, and its statistics."""
    z = noise_like(x, generator)
    return x + step * score + math.sqrt(2 * step) * z, LangevinStats(step, _mean_norm(score), _mean_norm(z))


def default_langevin_step(noise_level: float, scale: float = 0.05) -> float:
    """ε = scale·σ̃²: stable for any p_σ̃ (its local variance is at least σ̃²) and mixing in about 1/scale steps
    per σ̃ of distance."""
    return scale * noise_level**2


def default_annealed_step(levels: Tensor, steps_per_level: int, dim: int) -> float:
    """NCSNv2's rule in high dimension (images); for point data, D ≤ 8 (where it was not made for and under-mixes
    between modes: 0.77 of particles in the heavy mode of NCSN's toy with the exact score, instead of 0.80; in
    5-D / 8-D, mixture5d / mixture8d, ε ≈ 0.03·σ_L² leaves the mode weights 0.02 off and the samples 2× the
    sliced-Wasserstein floor) ε = 0.1·σ_L², the ratio NCSN used for its toy (ε = 0.1 at σ_L = 1), which gives
    0.797, and in 5-D / 8-D weights within 0.01 at 1.1–1.3× the floor (exact score, 20,000 particles)."""
    return ncsnv2_step_size(levels, steps_per_level) if dim > 8 else 0.1 * float(levels[-1]) ** 2


def langevin(score: ScoreFunction, x: Tensor, *, process: NoiseProcess | None = None, generator=None,
             noise_level: float, steps: int = 500, step_size: float | None = None) -> Iterator[SamplerStep]:
    """Langevin dynamics on p_σ̃ (data noised at one level σ̃ = `noise_level`), in data coordinates; ε from
    `default_langevin_step` unless `step_size` is given."""
    process = score.process if process is None else process
    eps = step_size if step_size is not None else default_langevin_step(noise_level)
    t = float(process.time_of(noise_level))
    for i in range(steps):
        x, stats = langevin_step(x, score.at_level(x, noise_level), eps, generator)
        yield SamplerStep(x, t, noise_level, i + 1, steps, langevin=stats)


def annealed_langevin(score: ScoreFunction, x: Tensor, *, process: NoiseProcess | None = None, generator=None,
                      levels: Tensor | None = None, n_levels: int | None = None, steps_per_level: int = 100,
                      step_size: float | None = None, final_denoise: bool = True) -> Iterator[SamplerStep]:
    """NCSN's annealed Langevin over `levels` (default: the process's ladder of `n_levels`, `NoiseProcess.levels`),
    `steps_per_level` steps each with ε_i = ε·σ_i²/σ_L², ε from NCSNv2's rule unless `step_size` is given."""
    process = score.process if process is None else process
    levels = process.levels(n_levels) if levels is None else torch.as_tensor(levels)
    eps = step_size if step_size is not None else default_annealed_step(levels, steps_per_level, x[0].numel())
    total = len(levels) * steps_per_level + int(final_denoise)
    sigma_last = float(levels[-1])
    k = 0
    for sigma in levels.tolist():
        step = eps * sigma**2 / sigma_last**2
        t = float(process.time_of(sigma))
        for _ in range(steps_per_level):
            x, stats = langevin_step(x, score.at_level(x, sigma), step, generator)
            k += 1
            yield SamplerStep(x, t, sigma, k, total, langevin=stats)
    if final_denoise:
        x = x + sigma_last**2 * score.at_level(x, sigma_last)
        yield SamplerStep(x, process.t_min, 0.0, total, total, denoised=x)


def _final_denoise(score: ScoreFunction, x: Tensor, total: int) -> SamplerStep:
    t = score.process.t_min
    x0 = score.denoised(x, t)
    return SamplerStep(x0, t, 0.0, total, total, denoised=x0)


def _time_grid(process: NoiseProcess, steps: int) -> list[tuple[float, float]]:
    times = process.sampling_times(steps).tolist()
    return list(zip(times[:-1], times[1:]))


def _reverse_euler_maruyama(score: ScoreFunction, process: NoiseProcess, x: Tensor, t: float, t_next: float,
                            generator) -> Tensor:
    """One step of the reverse SDE from t to t_next < t: x + (f − g²s)dt + g√|dt| z."""
    dt = t_next - t
    drift, g = process.sde(x, t)
    return x + (drift - float(g) ** 2 * score(x, t)) * dt + float(g) * math.sqrt(-dt) * noise_like(x, generator)


def reverse_sde(score: ScoreFunction, x: Tensor, *, process: NoiseProcess | None = None, generator=None,
                steps: int = 500, final_denoise: bool = True) -> Iterator[SamplerStep]:
    """Euler–Maruyama on the reverse-time SDE from t = 1 to t_min (dt < 0)."""
    process = score.process if process is None else process
    total = steps + int(final_denoise)
    for i, (t, t_next) in enumerate(_time_grid(process, steps)):
        x = _reverse_euler_maruyama(score, process, x, t, t_next, generator)
        yield SamplerStep(x, t_next, float(process.noise_level(t_next)), i + 1, total)
    if final_denoise:
        yield _final_denoise(score, x, total)


def predictor_corrector(score: ScoreFunction, x: Tensor, *, process: NoiseProcess | None = None, generator=None,
                        steps: int = 500, snr: float = 0.16, n_corrector: int = 1,
                        final_denoise: bool = True) -> Iterator[SamplerStep]:
    """Langevin corrector (step 2α(r‖z‖/‖s‖)², batch-mean norms, α = 1) then an EM predictor, at every time."""
    process = score.process if process is None else process
    total = steps + int(final_denoise)
    for i, (t, t_next) in enumerate(_time_grid(process, steps)):
        stats = None
        for _ in range(n_corrector):
            s = score(x, t)
            z = noise_like(x, generator)
            s_norm, z_norm = _mean_norm(s), _mean_norm(z)
            eps = 2 * (snr * z_norm / max(s_norm, 1e-12)) ** 2
            x = x + eps * s + math.sqrt(2 * eps) * z
            stats = LangevinStats(eps, s_norm, z_norm)
        x = _reverse_euler_maruyama(score, process, x, t, t_next, generator)
        yield SamplerStep(x, t_next, float(process.noise_level(t_next)), i + 1, total, langevin=stats)
    if final_denoise:
        yield _final_denoise(score, x, total)


def probability_flow_velocity(score: ScoreFunction, process: NoiseProcess, x: Tensor, t: float) -> Tensor:
    """dx/dt = f(x, t) − ½ g(t)² ∇log p_t(x)."""
    drift, g = process.sde(x, t)
    return drift - 0.5 * float(g) ** 2 * score(x, t)


def probability_flow_ode(score: ScoreFunction, x: Tensor, *, process: NoiseProcess | None = None, generator=None,
                         steps: int = 100, method: str = "heun", final_denoise: bool = True) -> Iterator[SamplerStep]:
    """Deterministic sampling along the probability-flow ODE with fixed Heun (2 evals) or RK4 (4 evals) steps.
    `generator` is taken for a uniform call and not used; `method` is checked by run_sampler (its choices)."""
    process = score.process if process is None else process
    total = steps + int(final_denoise)

    def v(y, t):
        return probability_flow_velocity(score, process, y, t)

    for i, (t, t_next) in enumerate(_time_grid(process, steps)):
        dt = t_next - t
        if method == "heun":
            d1 = v(x, t)
            d2 = v(x + dt * d1, t_next)
            x = x + 0.5 * dt * (d1 + d2)
        else:
            th = t + 0.5 * dt
            k1 = v(x, t)
            k2 = v(x + 0.5 * dt * k1, th)
            k3 = v(x + 0.5 * dt * k2, th)
            k4 = v(x + dt * k3, t_next)
            x = x + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        yield SamplerStep(x, t_next, float(process.noise_level(t_next)), i + 1, total)
    if final_denoise:
        yield _final_denoise(score, x, total)


def ddpm_ancestral(score: ScoreFunction, x: Tensor, *, process: NoiseProcess | None = None, generator=None,
                   steps: int = 500, final_denoise: bool = True) -> Iterator[SamplerStep]:
    """DDPM ancestral sampling for the VP process, β_i = 1 − α(t_{i+1})²/α(t_i)² from its continuous schedule.
    run_sampler refuses any other process (the registry's `supports`) before the first step."""
    process = score.process if process is None else process
    total = steps + int(final_denoise)
    grid = _time_grid(process, steps)
    for i, (t, t_next) in enumerate(grid):
        beta = 1.0 - float(process.alpha(t)) ** 2 / float(process.alpha(t_next)) ** 2
        x = (x + beta * score(x, t)) / math.sqrt(1 - beta)
        if i < len(grid) - 1:
            x = x + math.sqrt(beta) * noise_like(x, generator)
        yield SamplerStep(x, t_next, float(process.noise_level(t_next)), i + 1, total)
    if final_denoise:
        yield _final_denoise(score, x, total)


#: The generator of each sampler of the registry (core.sampler_registry.SAMPLERS: the same keys, in order, which a
#: test holds; core.sampler_runs creates runs from both).
GENERATORS = {
    "langevin": langevin,
    "annealed": annealed_langevin,
    "em": reverse_sde,
    "pc": predictor_corrector,
    "ode": probability_flow_ode,
    "ddpm": ddpm_ancestral,
    "heun": edm_heun,
    "dpmpp2m": dpmpp_2m,
    "dpmpp_sde": dpmpp_2m_sde,
    "ddim": ddim,
    "euler": euler,
    "euler_a": euler_ancestral,
}
