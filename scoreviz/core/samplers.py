"""Samplers as generators that yield every step, so a GUI can animate them and a CLI can just exhaust them.

Each sampler has the same shape (after k-diffusion): `sampler(score, x, *, process, steps, generator, ...)`,
where `score` is a `ScoreFunction` and x the starting points (N, *shape); each yields `SamplerStep`s, the last
one holding the samples. The same code serves (N, 2) particles and (N, 1, 28, 28) images.

    langevin   x ← x + ε s(x, σ̃) + √(2ε) z at one fixed noise level (Song's blog, eq. 6)
    annealed   Langevin over σ₁ > … > σ_L with ε_i = ε σ_i²/σ_L², T steps each, then x + σ_L² s (NCSN, Alg. 1)
    em         Euler–Maruyama on the reverse SDE dx = [f − g² s] dt + g dw̄ (score SDE, eq. 6)
    pc         predictor (EM) + Langevin corrector with step 2(r‖z‖/‖s‖)² (score SDE, Alg. 4/5)
    ode        probability-flow ODE dx/dt = f − ½ g² s with Heun's or RK4's fixed steps (score SDE, eq. 13)
    ddpm       ancestral sampling for VP: x ← (x + β s)/√(1−β) + √β z (score SDE, eq. 47)
All but `langevin` end with Tweedie's denoising step E[x₀|x_t] = (x + s(t)² ∇log p_t)/α(t).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Iterator

import torch
from torch import Tensor

from .processes import NoiseProcess, SubVPSDE, VPSDE

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


def model_score(model, labels: Tensor | None = None, guidance: float = 0.0, guide=None,
                autoguidance: float = 1.0) -> VEScore:
    """A VEScore from a Denoiser, without gradients.

    With labels and guidance w > 0, classifier-free guidance: (1 + w)·s(y, σ, c) − w·s(y, σ, ∅) (Ho & Salimans
    2022), ∅ being the label `num_classes`. With a `guide` model (an under-trained copy, Trainer.keep_guide)
    and autoguidance w ≠ 1, autoguidance: s_guide + w·(s − s_guide) (Karras et al. 2024); w = 1 is the model
    alone."""

    def one(net, y: Tensor, sigma: float, w: float) -> Tensor:
        if labels is None:
            return net.score(y, sigma)
        lab = labels[: y.shape[0]] if labels.shape[0] >= y.shape[0] else labels.expand(y.shape[0])
        cond = net.score(y, sigma, lab)
        if w == 0.0:
            return cond
        null = torch.full_like(lab, net.backbone.config.num_classes)
        return (1 + w) * cond - w * net.score(y, sigma, null)

    def score(y: Tensor, sigma: float) -> Tensor:
        with torch.inference_mode():
            s = one(model, y, sigma, guidance)
            if guide is None or autoguidance == 1.0:
                return s
            s_guide = one(guide, y, sigma, 0.0)
            return s_guide + autoguidance * (s - s_guide)

    return score


@dataclass(frozen=True)
class SamplerStep:
    """One step: x (N, *shape) positions, the current time and noise level, the denoised estimate if known."""

    x: Tensor
    t: float
    noise_level: float
    index: int        # 1-based step number
    total: int        # steps this run will yield
    denoised: Tensor | None = None


def _noise(x: Tensor, generator) -> Tensor:
    return torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)


def langevin_step(x: Tensor, score: Tensor, step: float, generator) -> Tensor:
    """x + ε s + √(2ε) z: one step of unadjusted Langevin dynamics."""
    return x + step * score + math.sqrt(2 * step) * _noise(x, generator)


def default_langevin_step(noise_level: float, scale: float = 0.05) -> float:
    """ε = scale·σ̃²: stable for any p_σ̃ (its local variance is at least σ̃²) and mixing in about 1/scale steps
    per σ̃ of distance."""
    return scale * noise_level**2


def ncsnv2_step_size(levels: Tensor, steps_per_level: int) -> float:
    """ε for annealed Langevin by NCSNv2's technique 4. With γ = σ₁/σ₂, T steps and u = ε/σ_L², the variance
    ratio a Gaussian reaches at the last level is
        r(u) = (1 − u)^{2T} (γ² − b) + b,   b = 2u/(1 − (1 − u)²),
    which NCSNv2 asks to be ≈ 1. Since r(u) > 1 for every u ∈ (0, 1), take the u that brings it closest."""
    levels = levels.double()
    gamma = float(levels[0] / levels[1]) if levels.numel() > 1 else 1.0
    u = torch.logspace(-6, -0.01, 4000, dtype=torch.float64)
    b = 2 * u / (1 - (1 - u) ** 2)
    ratio = (1 - u) ** (2 * steps_per_level) * (gamma**2 - b) + b
    return float(u[torch.argmin((ratio - 1).abs())]) * float(levels[-1]) ** 2


def default_annealed_step(levels: Tensor, steps_per_level: int, dim: int) -> float:
    """NCSNv2's rule in high dimension; for D ≤ 3 (where it was not made for and under-mixes between modes:
    0.77 of particles in the heavy mode of NCSN's toy with the exact score, instead of 0.80) ε = 0.1·σ_L², the
    ratio NCSN used for its toy (ε = 0.1 at σ_L = 1), which gives 0.797."""
    return ncsnv2_step_size(levels, steps_per_level) if dim > 3 else 0.1 * float(levels[-1]) ** 2


def langevin(score: ScoreFunction, x: Tensor, *, noise_level: float, steps: int = 500, step_size: float | None = None,
             generator=None, **_) -> Iterator[SamplerStep]:
    """Langevin dynamics on p_σ̃ (data noised at one level), in data coordinates."""
    eps = step_size if step_size is not None else default_langevin_step(noise_level)
    for i in range(steps):
        x = langevin_step(x, score.at_level(x, noise_level), eps, generator)
        yield SamplerStep(x, float(score.process.time_of(noise_level)), noise_level, i + 1, steps)


def annealed_langevin(score: ScoreFunction, x: Tensor, *, levels: Tensor | None = None, n_levels: int | None = None,
                      steps_per_level: int = 100, step_size: float | None = None, final_denoise: bool = True,
                      generator=None, **_) -> Iterator[SamplerStep]:
    """NCSN's annealed Langevin over `levels` (default: the process's ladder, `NoiseProcess.levels`), with
    ε_i = ε·σ_i²/σ_L² and ε from NCSNv2's rule unless `step_size` is given."""
    levels = score.process.levels(n_levels) if levels is None else torch.as_tensor(levels)
    eps = step_size if step_size is not None else default_annealed_step(levels, steps_per_level, x[0].numel())
    total = len(levels) * steps_per_level + int(final_denoise)
    sigma_last = float(levels[-1])
    k = 0
    for sigma in levels.tolist():
        step = eps * sigma**2 / sigma_last**2
        t = float(score.process.time_of(sigma))
        for _ in range(steps_per_level):
            x = langevin_step(x, score.at_level(x, sigma), step, generator)
            k += 1
            yield SamplerStep(x, t, sigma, k, total)
    if final_denoise:
        x = x + sigma_last**2 * score.at_level(x, sigma_last)
        yield SamplerStep(x, score.process.t_min, 0.0, total, total, denoised=x)


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
    return x + (drift - float(g) ** 2 * score(x, t)) * dt + float(g) * math.sqrt(-dt) * _noise(x, generator)


def reverse_sde(score: ScoreFunction, x: Tensor, *, process: NoiseProcess, steps: int = 500, generator=None,
                final_denoise: bool = True, **_) -> Iterator[SamplerStep]:
    """Euler–Maruyama on the reverse-time SDE from t = 1 to t_min (dt < 0)."""
    total = steps + int(final_denoise)
    for i, (t, t_next) in enumerate(_time_grid(process, steps)):
        x = _reverse_euler_maruyama(score, process, x, t, t_next, generator)
        yield SamplerStep(x, t_next, float(process.noise_level(t_next)), i + 1, total)
    if final_denoise:
        yield _final_denoise(score, x, total)


def predictor_corrector(score: ScoreFunction, x: Tensor, *, process: NoiseProcess, steps: int = 500, snr: float = 0.16,
                        n_corrector: int = 1, generator=None, final_denoise: bool = True, **_) -> Iterator[SamplerStep]:
    """Langevin corrector (step 2α(r‖z‖/‖s‖)², batch-mean norms, α = 1) then an EM predictor, at every time."""
    total = steps + int(final_denoise)
    for i, (t, t_next) in enumerate(_time_grid(process, steps)):
        for _ in range(n_corrector):
            s = score(x, t)
            z = _noise(x, generator)
            s_norm = s.reshape(s.shape[0], -1).norm(dim=1).mean()
            z_norm = z.reshape(z.shape[0], -1).norm(dim=1).mean()
            eps = float(2 * (snr * z_norm / s_norm.clamp_min(1e-12)) ** 2)
            x = x + eps * s + math.sqrt(2 * eps) * z
        x = _reverse_euler_maruyama(score, process, x, t, t_next, generator)
        yield SamplerStep(x, t_next, float(process.noise_level(t_next)), i + 1, total)
    if final_denoise:
        yield _final_denoise(score, x, total)


def probability_flow_velocity(score: ScoreFunction, process: NoiseProcess, x: Tensor, t: float) -> Tensor:
    """dx/dt = f(x, t) − ½ g(t)² ∇log p_t(x)."""
    drift, g = process.sde(x, t)
    return drift - 0.5 * float(g) ** 2 * score(x, t)


def probability_flow_ode(score: ScoreFunction, x: Tensor, *, process: NoiseProcess, steps: int = 100,
                         method: str = "heun", final_denoise: bool = True, **_) -> Iterator[SamplerStep]:
    """Deterministic sampling along the probability-flow ODE with fixed Heun (2 evals) or RK4 (4 evals) steps."""
    if method not in ("heun", "rk4"):
        raise ValueError(f"unknown ODE method {method!r}; choose heun or rk4")
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


def ddpm_ancestral(score: ScoreFunction, x: Tensor, *, process: NoiseProcess, steps: int = 500, generator=None,
                   final_denoise: bool = True, **_) -> Iterator[SamplerStep]:
    """DDPM ancestral sampling for the VP process, β_i = 1 − α(t_{i+1})²/α(t_i)² from its continuous schedule."""
    if not isinstance(process, VPSDE) or isinstance(process, SubVPSDE):
        raise ValueError("DDPM ancestral sampling needs the VP process")
    total = steps + int(final_denoise)
    grid = _time_grid(process, steps)
    for i, (t, t_next) in enumerate(grid):
        beta = 1.0 - float(process.alpha(t)) ** 2 / float(process.alpha(t_next)) ** 2
        x = (x + beta * score(x, t)) / math.sqrt(1 - beta)
        if i < len(grid) - 1:
            x = x + math.sqrt(beta) * _noise(x, generator)
        yield SamplerStep(x, t_next, float(process.noise_level(t_next)), i + 1, total)
    if final_denoise:
        yield _final_denoise(score, x, total)


SAMPLERS = {
    "langevin": langevin,
    "annealed": annealed_langevin,
    "em": reverse_sde,
    "pc": predictor_corrector,
    "ode": probability_flow_ode,
    "ddpm": ddpm_ancestral,
}


def run_sampler(name: str, score: ScoreFunction, x: Tensor, **options) -> Iterator[SamplerStep]:
    """The named sampler's generator; options are passed through (process, steps, generator, ...)."""
    if name not in SAMPLERS:
        raise ValueError(f"unknown sampler {name!r}; choose one of {', '.join(SAMPLERS)}")
    options.setdefault("process", score.process)
    return SAMPLERS[name](score, x, **options)


def sample(name: str, score: ScoreFunction, x: Tensor, **options) -> Tensor:
    """Run a sampler to the end and return the final positions (N, *shape)."""
    last = None
    for last in run_sampler(name, score, x, **options):
        pass
    return x if last is None else last.x
