"""The σ̃ steps of a solver that works in the VE-equivalent noise level σ̃ = s(t)/α(t), by a named discretisation.

A run of n steps visits n + 1 levels from the process's largest to its smallest (`noise_range()`), and, when it
ends with the step to σ̃ = 0, that 0 as well (EDM, Karras et al. 2022, Alg. 1: σ_N = 0):

    σ₀ = σ_max > σ₁ > … > σ_n = σ_min  [> σ_{n+1} = 0]

    edm        σ_i = (σ_max^{1/ρ} + i/n (σ_min^{1/ρ} − σ_max^{1/ρ}))^ρ          EDM eq. 5; ρ = 7 by default
    log_sigma  σ_i = σ_max (σ_min/σ_max)^{i/n}, uniform in log σ̃                (the limit ρ → ∞)
    uniform_t  σ_i = σ̃(t_i), t_i = t_max − i/n (t_max − t_min), uniform in the process's own t
    levels     n + 1 of the process's own levels `levels()` (NCSN's trained ladder; for the others annealed
               Langevin's geometric ladder), evenly spaced in index, the first and the last always among them;
               a ladder of L levels allows at most n = L − 1 steps (more is a ValueError: a level cannot repeat)

The names are the registry's (sampler_registry.DISCRETISATIONS, which a test holds equal to DISCRETISE's keys),
so the command line can list them without torch.
"""
from __future__ import annotations

import math

import torch

from scoreviz.core.process_base import NoiseProcess, edm_sigmas


def _edm(process: NoiseProcess, steps: int, rho: float) -> torch.Tensor:
    lo, hi = process.noise_range()
    return edm_sigmas(lo, hi, steps, rho)


def _log_sigma(process: NoiseProcess, steps: int, rho: float) -> torch.Tensor:
    lo, hi = process.noise_range()
    return torch.exp(torch.linspace(math.log(hi), math.log(lo), steps + 1, dtype=torch.float64))


def _uniform_t(process: NoiseProcess, steps: int, rho: float) -> torch.Tensor:
    times = torch.linspace(process.t_max, process.t_min, steps + 1, dtype=torch.float64)
    return process.noise_level(times)


def ladder_limit(process: NoiseProcess) -> int:
    """The most steps the `levels` discretisation allows on `process`: L − 1 for a ladder of L levels."""
    return len(process.levels()) - 1


def _levels(process: NoiseProcess, steps: int, rho: float) -> torch.Tensor:
    ladder = process.levels().to(torch.float64)
    pick = torch.linspace(0, len(ladder) - 1, steps + 1, dtype=torch.float64).round().long()
    return ladder[pick]


#: discretisation name → (process, n, ρ) ↦ (n + 1,) float64 levels from σ_max to σ_min.
DISCRETISE = {"edm": _edm, "log_sigma": _log_sigma, "uniform_t": _uniform_t, "levels": _levels}


def check_discretisation(process: NoiseProcess, steps: int, discretisation: str) -> None:
    """A ValueError unless `discretisation` gives `steps` distinct steps on `process` (only `levels` can fail:
    its ladder may be shorter than the run)."""
    if discretisation not in DISCRETISE:
        raise ValueError(f"unknown discretisation {discretisation!r}; choose one of {', '.join(DISCRETISE)}")
    if discretisation == "levels" and steps > ladder_limit(process):
        raise ValueError(f"the levels discretisation has {ladder_limit(process) + 1} levels of the "
                         f"{process.name or type(process).__name__} process: at most {ladder_limit(process)} "
                         f"steps (asked for {steps})")


def sigma_steps(process: NoiseProcess, steps: int, discretisation: str = "edm", rho: float = 7.0,
                to_zero: bool = True) -> list[float]:
    """The levels σ₀ = σ_max > … > σ_n = σ_min of a run of n = `steps` steps (module docstring), as Python floats
    (float64: the solvers' coefficients are scalars), with σ = 0 appended when `to_zero`."""
    check_discretisation(process, steps, discretisation)
    sigmas = [float(s) for s in DISCRETISE[discretisation](process, int(steps), rho)]
    return sigmas + [0.0] if to_zero else sigmas
