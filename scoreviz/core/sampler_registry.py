"""The samplers, described once: name, labels, options, the processes each needs and how its length follows from
a budget of network evaluations (NFE). Torch-free, so the command line can list the choices at parse time.

Every consumer reads this table: the CLI's `--sampler` choices, the panels' combo boxes, the captions, the
recipes' defaults, the lessons' checks, the particles and the image session. The generators themselves live in
`core.samplers` (same keys; a test holds the two equal); a new sampler is one `SamplerEntry` here plus its
generator `sampler(score, x, *, process, generator, ...)` there.

The length of a run is its NFE, the number of score-network evaluations, because that is what a run costs and
the one figure that compares samplers (Karras et al. 2022, EDM, Table 1). A sampler's own step count n is
derived from a budget B by its `NFERule`:

    NFE(n) = L · n · e + f        L: levels walked (annealed Langevin; 1 for the others),
                                  e: evaluations per step, f: 1 with a final denoising step, else 0
    n(B)   = max(1, ⌊(B − f) / (L · e)⌋)

so a run never spends more than B (except the shortest run, n = 1, when B is below it), and the NFE it does
spend, NFE(n(B)), is what a summary reports.

The solvers in σ̃ (heun, dpmpp2m, dpmpp_sde, ddim, euler, euler_a; core.samplers_ode / samplers_sde) walk n steps
over the levels σ_max > … > σ_min of a named discretisation (DISCRETISATIONS, core.sigma_steps) and end with the
step to σ̃ = 0, which for each of them is the denoiser D(y; σ_min), one evaluation: their f is that final step,
so EDM's Heun with N levels including σ = 0, NFE = 2N − 1, is n = N − 1 here (2n + 1).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping

#: The default of an option that has none: the caller must give it (Langevin's noise level).
REQUIRED = object()

#: The σ̃ discretisations of the solvers in σ̃ (core.sigma_steps has their equations; a test holds the two equal).
DISCRETISATIONS = ("edm", "log_sigma", "uniform_t", "levels")


@dataclass(frozen=True)
class Bounds:
    """The interval a number option must lie in: [low, high], or (low, high] when `open_low`."""

    low: float = 0.0
    high: float = math.inf
    open_low: bool = False

    def __contains__(self, value) -> bool:
        above = value > self.low if self.open_low else value >= self.low
        return above and value <= self.high

    def __str__(self) -> str:
        high = "∞)" if self.high == math.inf else f"{self.high:g}]"
        return f"{'(' if self.open_low else '['}{self.low:g}, {high}"


@dataclass(frozen=True)
class Option:
    """One keyword option of a sampler: its default (REQUIRED if it has none), a line of help and, for a choice,
    the values it takes, for a number the interval it must lie in (`bounds`)."""

    name: str
    default: object
    help: str
    choices: tuple[str, ...] = ()
    bounds: Bounds | None = None


def _one_per_step(options: Mapping) -> int:
    return 1


@dataclass(frozen=True)
class NFERule:
    """How an NFE budget becomes the sampler's own length (see the module's docstring for the equations).

    `length_option` is the option that holds n; `per_level` says n counts per noise level (L = the levels walked,
    which only the process knows: the caller passes their number); `per_step(options)` is e; `final` says the
    sampler ends with a denoising evaluation unless its `final_denoise` option is False."""

    length_option: str = "steps"
    per_level: bool = False
    per_step: Callable[[Mapping], int] = _one_per_step
    final: bool = True

    def final_evaluations(self, options: Mapping) -> int:
        return int(self.final and bool(options.get("final_denoise", True)))

    def nfe(self, length: int, options: Mapping, levels: int = 1) -> int:
        """NFE(n): the evaluations a run of `length` steps (per level when `per_level`) makes."""
        repeats = levels if self.per_level else 1
        return repeats * int(length) * self.per_step(options) + self.final_evaluations(options)

    def length(self, budget: int, options: Mapping, levels: int = 1) -> int:
        """n(B): the longest run that spends at most `budget` evaluations (1 step at least)."""
        repeats = levels if self.per_level else 1
        return max(1, (int(budget) - self.final_evaluations(options)) // (repeats * self.per_step(options)))


def _any_process(process) -> bool:
    return True


def _variance_preserving(process) -> bool:
    return bool(process.variance_preserving)


def _decaying_mean(process) -> bool:
    # DDIM's update is written in α and s of x = α x₀ + s ε; where α ≡ 1 (VE, NCSN) it is Euler (ancestral) in σ̃
    return float(process.alpha(process.t_max)) < 1


@dataclass(frozen=True)
class SamplerEntry:
    """One sampler. `label`: what a panel's combo box shows; `caption`: what presentation mode and clips say;
    `method`: its update and where it comes from; `options`: its keyword options besides process and generator
    (the generator's signature, which a test compares); `length`: how its length follows from an NFE budget;
    `supports(process)` / `requirement`: the processes it runs on, checked when a run is created;
    `at_one_level`: it runs at one fixed noise level (the σ slider's), not down a schedule."""

    name: str
    label: str
    caption: str
    method: str
    options: tuple[Option, ...]
    length: NFERule = NFERule()
    requirement: str = ""
    supports: Callable[[object], bool] = _any_process
    at_one_level: bool = False

    def option(self, name: str) -> Option:
        return next(o for o in self.options if o.name == name)

    def defaults(self) -> dict:
        """The options that have a default, by name."""
        return {o.name: o.default for o in self.options if o.default is not REQUIRED}

    def check_process(self, process) -> None:
        """A ValueError, naming the sampler and the process, unless this sampler runs on `process`."""
        if not self.supports(process):
            raise ValueError(f"{self.caption} needs {self.requirement}, not "
                             f"{getattr(process, 'name', '') or type(process).__name__}")


_FINAL = Option("final_denoise", True, "end with Tweedie's denoising step E[x₀|x_t] (one more evaluation)")


def _pc_per_step(options: Mapping) -> int:
    # each corrector move evaluates the score once, and the Euler–Maruyama predictor once more
    return 1 + int(options.get("n_corrector", 1))


def _ode_per_step(options: Mapping) -> int:
    # Heun evaluates the velocity at both ends of a step, RK4 at four points
    return {"heun": 2, "rk4": 4}[options.get("method", "heun")]


def _two_per_step(options: Mapping) -> int:
    # EDM's Heun evaluates D at σ̂ (Euler) and at σ_{i+1} (the correction)
    return 2


def _sigma_options(steps: int) -> tuple[Option, ...]:
    """The length and the levels of a solver in σ̃: n steps from σ_max to σ_min, then the step to σ̃ = 0."""
    return (Option("steps", steps, "steps n from σ_max to σ_min (the step to σ̃ = 0 comes on top)"),
            Option("discretisation", "edm", "where the n + 1 levels lie (core.sigma_steps)",
                   choices=DISCRETISATIONS),
            Option("rho", 7.0, "ρ of the edm discretisation (EDM eq. 5)", bounds=Bounds(open_low=True)))


_TO_ZERO = Option("final_denoise", True, "end with the step from σ_min to σ̃ = 0, which is y ← D(y; σ_min), "
                                         "Tweedie's denoising step (one more evaluation); False stops at σ_min")
_ETA_ANCESTRAL = Option("eta", 1.0, "η: the share of fresh noise (0 is the ODE, 1 DDPM's ancestral step)",
                        bounds=Bounds(0.0, 1.0))
_S_NOISE = Option("s_noise", 1.0, "S_noise: the scale of the fresh noise", bounds=Bounds())


SAMPLERS: dict[str, SamplerEntry] = {e.name: e for e in (
    SamplerEntry(
        "langevin", "Langevin (at σ slider)", "Langevin dynamics",
        "x ← x + ε s(x, σ̃) + √(2ε) z at one fixed noise level (Song & Ermon 2019, NCSN, eq. 4). "
        "NFE = n: one evaluation a step, no final denoising.",
        (Option("noise_level", REQUIRED, "the noise level σ̃ it samples p_σ̃ at"),
         Option("steps", 500, "Langevin steps"),
         Option("step_size", None, "ε (default: 0.05·σ̃²)")),
        NFERule(final=False), at_one_level=True),
    SamplerEntry(
        "annealed", "Annealed Langevin", "Annealed Langevin",
        "Langevin over σ₁ > … > σ_L, n steps each with ε_i = ε σ_i²/σ_L², then x + σ_L² s (NCSN, Alg. 1). "
        "NFE = L·n + 1 (the final denoising step), so n = ⌊(B − 1)/L⌋.",
        (Option("levels", None, "the levels σ₁ > … > σ_L (default: the process's ladder)"),
         Option("n_levels", None, "L, the number of levels of the process's ladder (default: the process's)"),
         Option("steps_per_level", 100, "Langevin steps at each level"),
         Option("step_size", None, "ε at the last level (default: NCSNv2's rule in high dimension, 0.1·σ_L² below)"),
         _FINAL),
        NFERule(length_option="steps_per_level", per_level=True)),
    SamplerEntry(
        "em", "Reverse SDE (Euler–Maruyama)", "Reverse SDE (Euler–Maruyama)",
        "Euler–Maruyama on dx = [f − g² s] dt + g dw̄ (Song et al. 2021, score SDE, eq. 6). NFE = n + 1.",
        (Option("steps", 500, "time steps from t = 1 to t_min"), _FINAL)),
    SamplerEntry(
        "pc", "Predictor–corrector", "Predictor–corrector",
        "Langevin corrector with step 2(r‖z‖/‖s‖)², then an Euler–Maruyama predictor (score SDE, Alg. 4/5). "
        "NFE = n·(1 + c) + 1 with c corrector moves a step.",
        (Option("steps", 500, "time steps (predictor steps)"),
         Option("snr", 0.16, "r, the corrector's signal-to-noise ratio"),
         Option("n_corrector", 1, "corrector moves before each predictor step"), _FINAL),
        NFERule(per_step=_pc_per_step)),
    SamplerEntry(
        "ode", "Probability-flow ODE", "Probability-flow ODE",
        "dx/dt = f − ½ g² s with fixed Heun or RK4 steps (score SDE, eq. 13). NFE = 2n + 1 (Heun) or 4n + 1 (RK4).",
        (Option("steps", 100, "time steps"),
         Option("method", "heun", "the ODE solver", choices=("heun", "rk4")), _FINAL),
        NFERule(per_step=_ode_per_step)),
    SamplerEntry(
        "ddpm", "DDPM ancestral (VP)", "DDPM ancestral sampling",
        "x ← (x + β s)/√(1−β) + √β z for the VP process (score SDE, eq. 47; Ho et al. 2020). NFE = n + 1.",
        (Option("steps", 500, "ancestral steps"), _FINAL),
        requirement="a variance-preserving process (VP or VP cosine)", supports=_variance_preserving),
    SamplerEntry(
        "heun", "EDM Heun (2nd order)", "EDM's Heun sampler",
        "Heun's method in σ̃ on EDM's ρ = 7 levels, d = (y − D)/σ̃, y' = y + (σ' − σ)(d + d')/2, the last step "
        "to σ = 0 Euler's; with S_churn > 0 noise lifts σ to σ̂ = σ(1 + γ) first (Karras et al. 2022, EDM, "
        "Alg. 1 and 2). NFE = 2n + 1 (EDM's 2N − 1 with N = n + 1 levels).",
        (*_sigma_options(17),
         Option("s_churn", 0.0, "S_churn: stochasticity, γ = min(S_churn/N, √2 − 1) (0: Alg. 1, deterministic)",
                bounds=Bounds()),
         Option("s_tmin", 0.0, "S_tmin: churn only for σ ≥ S_tmin", bounds=Bounds()),
         Option("s_tmax", math.inf, "S_tmax: churn only for σ ≤ S_tmax", bounds=Bounds()),
         _S_NOISE, _TO_ZERO),
        NFERule(per_step=_two_per_step)),
    SamplerEntry(
        "dpmpp2m", "DPM-Solver++(2M)", "DPM-Solver++(2M)",
        "y' = (σ'/σ) y − (e^{−h} − 1) D̃ in λ = −log σ̃, D̃ = (1 + 1/2r) D_i − D_{i−1}/2r: second order with "
        "one evaluation a step (Lu et al. 2022). NFE = n + 1.",
        (*_sigma_options(24), _TO_ZERO)),
    SamplerEntry(
        "dpmpp_sde", "DPM-Solver++(2M) SDE", "DPM-Solver++(2M) SDE",
        "y' = (σ'/σ) e^{−ηh} y + (1 − e^{−(1+η)h}) D + (second-order correction) + σ'√(1 − e^{−2ηh}) z "
        "(k-diffusion's sample_dpmpp_2m_sde; Lu et al. 2022). NFE = n + 1.",
        (*_sigma_options(49),
         Option("eta", 1.0, "η: the share of fresh noise (0 is DPM-Solver++(2M))", bounds=Bounds()),
         _S_NOISE,
         Option("solver_type", "midpoint", "the second-order correction", choices=("midpoint", "heun")),
         _TO_ZERO)),
    SamplerEntry(
        "ddim", "DDIM", "DDIM",
        "x' = α' x̂₀ + √(s'² − c²) ε̂ + c z, c = η s'√(1 − σ̃'²/σ̃²) (Song et al. 2021, DDIM, eq. 12); η = 0 is "
        "Euler's ODE step in σ̃, η = 1 DDPM's ancestral step. NFE = n + 1.",
        (*_sigma_options(49),
         Option("eta", 0.0, "η: 0 deterministic, 1 DDPM's ancestral step", bounds=Bounds(0.0, 1.0)),
         _TO_ZERO),
        requirement="a process whose mean decays, x = α x₀ + s ε with α < 1 (VP, sub-VP or cosine; on VE "
                    "use euler or euler_a)", supports=_decaying_mean),
    SamplerEntry(
        "euler", "Euler (1st order ODE)", "Euler's method",
        "y' = y + (σ' − σ) d, d = (y − D)/σ̃: the probability-flow ODE's first-order solver in σ̃ (EDM, §3). "
        "NFE = n + 1.",
        (*_sigma_options(49), _TO_ZERO)),
    SamplerEntry(
        "euler_a", "Euler ancestral", "Euler ancestral",
        "an Euler step to σ_down, then fresh noise σ_up, σ_up = min(σ', ησ'√(σ² − σ'²)/σ), "
        "σ_down = √(σ'² − σ_up²) (k-diffusion's sample_euler_ancestral). NFE = n + 1.",
        (*_sigma_options(99), _ETA_ANCESTRAL, _S_NOISE, _TO_ZERO)),
)}


def sampler_entry(name: str) -> SamplerEntry:
    """The entry of sampler `name`; a ValueError naming it (and the choices) for an unknown one."""
    if name not in SAMPLERS:
        raise ValueError(f"unknown sampler {name!r}; choose one of {', '.join(SAMPLERS)}")
    return SAMPLERS[name]


def sampler_labels() -> dict[str, str]:
    """name → the label a panel shows, in the registry's order."""
    return {name: e.label for name, e in SAMPLERS.items()}
