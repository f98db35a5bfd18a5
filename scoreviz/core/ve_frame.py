"""The VE-equivalent frame the σ̃ solvers work in: y = x/α, the noise level σ̃ = s/α, and EDM's denoiser.

Every process perturbs x_t = α(t)x₀ + s(t)ε, so y = x_t/α(t) = x₀ + σ̃ε is data noised by the VE process at
σ̃ = s/α, whatever the process (EDM, Karras et al. 2022, §4, eq. 4 with s(t) = α, σ(t) = σ̃). In y the
probability-flow ODE of every process is the same,

    dy/dσ̃ = −σ̃ ∇_y log p(y; σ̃) = (y − D(y; σ̃))/σ̃,      D(y; σ̃) = y + σ̃² s̃(y, σ̃)   (Tweedie, EDM eq. 3)

so one solver serves VE, NCSN's ladder, VP, sub-VP and cosine; only the levels σ̃ it visits (core.sigma_steps)
and the conversion at both ends differ. A run converts the prior sample x (at t_max) to y = x/α(t_max) once,
and every step it yields back to x = α(σ̃)·y in the process's coordinates, so the window animates it as any
other sampler. At σ̃ = 0 (the last step's end) α = 1: x = y is the data estimate, as the other samplers' final
Tweedie step returns.
"""
from __future__ import annotations

from torch import Tensor

from scoreviz.core.process_base import NoiseProcess
from scoreviz.core.sampler_base import SamplerStep, ScoreFunction
from scoreviz.core.sigma_steps import sigma_steps


class VEFrame:
    """y = x/α(σ̃) and D(y; σ̃) for `score` (a ScoreFunction) under `process`; every σ̃ is a Python float."""

    def __init__(self, score: ScoreFunction, process: NoiseProcess):
        self.score = score
        self.process = process

    def time(self, sigma: float) -> float:
        """t with σ̃(t) = σ; t_min for σ = 0 (the end of a run)."""
        return float(self.process.t_min) if sigma == 0 else float(self.process.time_of(sigma))

    def alpha(self, sigma: float) -> float:
        """α at noise level σ̃ (1 at σ̃ = 0: the data)."""
        return 1.0 if sigma == 0 else float(self.process.alpha(self.process.time_of(sigma)))

    def to_y(self, x: Tensor, sigma: float) -> Tensor:
        """y = x/α: the process's x at level σ̃ as data noised by VE at σ̃."""
        return x / self.alpha(sigma)

    def to_x(self, y: Tensor, sigma: float) -> Tensor:
        """x = α·y, back in the process's coordinates."""
        return y * self.alpha(sigma)

    def denoise(self, y: Tensor, sigma: float) -> Tensor:
        """D(y; σ̃) = y + σ̃² s̃(y, σ̃) = E[x₀ | y] (one score evaluation) for y (N, *shape) → (N, *shape)."""
        return y + sigma**2 * self.score.at_level(y, sigma)

    def step(self, y: Tensor, sigma: float, index: int, total: int, denoised: Tensor | None = None) -> SamplerStep:
        """The SamplerStep of a solver at y, level σ̃: x = α(σ̃)y at t(σ̃), `index` of `total`."""
        return SamplerStep(self.to_x(y, sigma), self.time(sigma), float(sigma), index, total, denoised=denoised)


def steps_of(sigmas: list[float]) -> list[tuple[float, float]]:
    """The steps (σ_i, σ_{i+1}) of a run over `sigmas` (core.sigma_steps)."""
    return list(zip(sigmas[:-1], sigmas[1:]))


def begin(score: ScoreFunction, process: NoiseProcess | None, x: Tensor, steps: int, discretisation: str,
          rho: float, final_denoise: bool) -> tuple[VEFrame, list[float], Tensor]:
    """What every σ̃ solver starts with: its frame (the score's process unless `process` is given), its levels
    (sigma_steps; the step to σ̃ = 0 last when `final_denoise`) and the prior sample x as y = x/α(σ_max)."""
    frame = VEFrame(score, score.process if process is None else process)
    sigmas = sigma_steps(frame.process, steps, discretisation, rho, to_zero=final_denoise)
    return frame, sigmas, frame.to_y(x, sigmas[0])
