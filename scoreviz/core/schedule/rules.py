"""NCSNv2's rules for a noise schedule as calculators, and the warnings a schedule deserves (Song & Ermon 2020,
"Improved techniques for training score-based generative models", §3 techniques 1, 2, 4, 5).

    technique 1  σ_max ≈ the largest pairwise distance of the data             `sigma_max_rule`
    technique 2  geometric levels with ratio γ solving eq. (3)                    `level_ratio`, `levels_for`
    technique 4  Langevin step ε solving eq. (4) for T steps per level           `step_size`
    technique 5  an exponential moving average of the weights, rate 0.999        `EMA_RATE`

`analyse` applies them to a process (and the data, when known) and returns a `ScheduleReport` whose warnings are
whole sentences: what goes wrong and what to change. Math and NumPy, apart from reading the process (torch).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from scoreviz.core.schedule.training_noise import TrainingNoise
from scoreviz.core.processes import VESDE, NCSNLadder, NoiseProcess, ladder_size
from scoreviz.core.schedule.data import flat_points, nearest_neighbour_distance, prior_w2, sigma_max_rule
from scoreviz.core.schedule.jsonable import json_ready

#: Technique 5 of NCSNv2: an EMA of the weights with this rate makes samples stable from step to step.
EMA_RATE = 0.999
#: The corrector's signal-to-noise ratio r of score_sde's Langevin step (ε = 2α(r‖z‖/‖s‖)²; CIFAR-10 VE config,
#: Song et al. 2021, `configs/ve/cifar10_ncsnpp_continuous.py`: sampling.snr = 0.16).
LANGEVIN_SNR = 0.16

# Thresholds of the warnings (each is explained where it is used).
SIGMA_MAX_SLACK = 0.9          # σ_max below 90 % of the largest pairwise distance
PRIOR_MISMATCH = 0.1           # W₂ above 10 % of the prior's radius c·√D
TERMINAL_SNR = 1e-3            # α²/s² at t_max above this (Lin et al. 2024: SD's 4.7e-3 already leaks)
BETA_CLIP = 0.999              # improved DDPM clips the discrete β at 0.999
BETA_CLIP_SHARE = 0.01         # ... warn when more than 1 % of a 1000-step discretisation is clipped
VARIANCE_SLACK = 0.2           # Langevin leaves the variance > 1.2 σ² after T steps at a level
UNTRAINED_SHARE = 1e-3         # a sampler level whose cell gets < 0.1 % of a fair share of the training draws
#: How the terminal-SNR warning starts (core.schedule.snr.merged_report replaces it by its own).
TERMINAL_WARNING = "the terminal signal-to-noise ratio"


# ----- technique 2: the level ratio -----------------------------------------------------------------------------
def _phi(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def _ratio_condition(gamma: float, dim: int) -> float:
    """Φ(√(2D)(γ−1)+3γ) − Φ(√(2D)(γ−1)−3γ): how likely a sample of N(0, σ_{i−1}²I) lies in the high-density
    shell of N(0, σ_i²I) (NCSNv2 eq. 3)."""
    k = math.sqrt(2.0 * dim) * (gamma - 1.0)
    return _phi(k + 3.0 * gamma) - _phi(k - 3.0 * gamma)


def level_ratio(dim: int) -> float | None:
    """γ = σ_{i−1}/σ_i with Φ(√(2D)(γ−1)+3γ) − Φ(√(2D)(γ−1)−3γ) = 0.5 (NCSNv2 technique 2, eq. 3), by
    bisection to 1e-12; None where no γ > 1 solves it.

    At γ = 1 the left side is Φ(3) − Φ(−3) = 0.997. For √(2D) ≤ 3, i.e. D ≤ 4, the second argument
    (√(2D) − 3)γ − √(2D) stays below −√(2D) while the first stays above 3, so the left side is above 0.99 for
    every γ: the rule imposes no constraint (None). For D ≥ 5 both arguments grow without bound, the left side
    falls to 0 and crosses 0.5 once. For large D the crossing is where the lower argument is 0,
    √(2D)(γ−1) = 3γ, i.e. γ ≈ 1/(1 − 3/√(2D)) → 1 (the upper term Φ(6γ) misses 1 by 1e-9); CIFAR-10,
    D = 3072: 1.0398, about 220 levels from 50 to 0.01. For D = 5, γ ≈ 19.5.
    """
    if dim < 1:
        raise ValueError(f"the dimension must be positive (got {dim})")
    if math.sqrt(2.0 * dim) <= 3.0:
        return None
    lo, hi = 1.0, 2.0
    while _ratio_condition(hi, dim) > 0.5:
        lo, hi = hi, 2.0 * hi
    while hi - lo > 1e-12:
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if _ratio_condition(mid, dim) > 0.5 else (lo, mid)
    return 0.5 * (lo + hi)


def levels_for(sigma_max: float, sigma_min: float, ratio: float) -> int:
    """Geometric levels from σ_max down to σ_min with neighbours at most `ratio` apart:
    ⌈ln(σ_max/σ_min)/ln γ⌉ + 1 (at least 2)."""
    _check_range(sigma_max, sigma_min)
    if not ratio > 1.0:
        raise ValueError(f"the level ratio must be above 1 (got {ratio})")
    return ladder_size(sigma_max, sigma_min, ratio)


# ----- technique 4: the Langevin step ---------------------------------------------------------------------------
def variance_ratio(u: float, gamma: float, steps_each: int) -> float:
    """NCSNv2 eq. (4) with u = ε/σ_L²: the variance, in units of σ_i², that T Langevin steps x ← x + α s + √(2α) z
    with α = u·σ_i² reach on N(0, σ_i²I) when started from N(0, (γσ_i)²I):
        r(u) = (1 − u)^{2T} (γ² − b) + b,   b = 2u/(1 − (1 − u)²) = 2/(2 − u),
    b being the stationary variance of the discretised chain (not 1: Langevin's bias)."""
    b = 2.0 / (2.0 - u)
    return (1.0 - u) ** (2 * steps_each) * (gamma**2 - b) + b


def _variance_ratio_slope(u: float, gamma: float, steps_each: int) -> float:
    """dr/du = −2T(1 − u)^{2T−1}(γ² − b) + b′(1 − (1 − u)^{2T}),  b′ = 2/(2 − u)²."""
    b, db = 2.0 / (2.0 - u), 2.0 / (2.0 - u) ** 2
    q = (1.0 - u) ** (2 * steps_each - 1)
    return -2 * steps_each * q * (gamma**2 - b) + db * (1.0 - q * (1.0 - u))


def step_size(sigma_max: float, sigma_min: float, n_levels: int, steps_each: int) -> float:
    """ε of NCSNv2 technique 4 for L geometric levels σ_max → σ_min (γ = (σ_max/σ_min)^{1/(L−1)}) and T steps
    per level; annealed Langevin then steps α_i = ε·σ_i²/σ_L² at level i.

    Eq. (4) asks r(u) ≈ 1 (`variance_ratio`, u = ε/σ_L²), but r never reaches 1 for γ > 1: r > min(γ², b) > 1
    on 0 < u < 1 (r is b plus (1−u)^{2T} times γ² − b, between b and γ²). So, as the paper says ("maximally
    close to 1"), ε is the minimiser: r′(0) = −2T(γ² − 1) < 0 and r′(1) = 2 > 0, and r′ = 0 is solved by
    bisection to machine precision. CIFAR-10 (50 → 0.01, L = 232, T = 5): ε = 6.18e-6 (NCSNv2 ships 6.2e-6),
    r = 1.055.
    """
    _check_range(sigma_max, sigma_min)
    if n_levels < 2:
        raise ValueError(f"a ladder needs at least 2 levels (got {n_levels})")
    if steps_each < 1:
        raise ValueError(f"Langevin needs at least one step per level (got {steps_each})")
    gamma = (sigma_max / sigma_min) ** (1.0 / (n_levels - 1))
    return _best_u(gamma, int(steps_each)) * sigma_min**2


def _best_u(gamma: float, steps_each: int) -> float:
    lo, hi = 0.0, 1.0
    for _ in range(200):                 # bisection on the sign of r′ down to adjacent floats
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        lo, hi = (mid, hi) if _variance_ratio_slope(mid, gamma, steps_each) < 0 else (lo, mid)
    return 0.5 * (lo + hi)


def ncsnv2_step_size(levels, steps_per_level: int) -> float:
    """ε of technique 4 for a decreasing ladder `levels` (L,) (a tensor or an array): γ = σ₁/σ₂, σ_L = levels[−1]."""
    if len(levels) < 2:
        return 0.1 * float(levels[-1]) ** 2
    gamma = float(levels[0]) / float(levels[1])
    return _best_u(gamma, int(steps_per_level)) * float(levels[-1]) ** 2


def langevin_snr(u: float) -> float:
    """The realised signal-to-noise ratio ‖α s‖/‖√(2α) z‖ = √(u/2) of a Langevin step α = u·σ² on p_σ, whose
    score has ‖s‖ ≈ √D/σ (compare with score_sde's r = LANGEVIN_SNR)."""
    return math.sqrt(u / 2.0)


# ----- technique 1, the data's scales and the prior -------------------------------------------------------------
@dataclass(frozen=True)
class ScheduleReport:
    """NCSNv2's rules applied to one schedule, and what to change. σ values are the VE-equivalent σ̃."""

    process: str
    dim: int
    sigma_min: float                   # σ̃ at t_min
    sigma_max: float                   # σ̃ at t_max
    n_levels: int                      # L of the sampler's ladder
    ratio: float                       # γ = (σ_max/σ_min)^{1/(L−1)} of that ladder
    level_ratio: float | None          # technique 2's γ for D (None: no constraint, D ≤ 4)
    suggested_levels: int              # levels at that γ (at the toy spacing 1.5 where the rule does not bind)
    steps_each: int                    # T
    step_size: float                   # technique 4's ε for this ladder and T
    variance_ratio: float              # r(ε/σ_L²): variance after T steps at a level, in σ² (1 = ideal)
    langevin_snr: float                # √(ε/2σ_L²), to compare with snr_target
    snr_target: float                  # score_sde's r
    ema_rate: float                    # technique 5
    terminal_snr: float                # α²/s² at t_max
    beta_clipped: float                # share of a 1000-step DDPM discretisation with β ≥ 0.999
    sigma_max_rule: float | None       # technique 1 (None without data)
    spacing: float | None              # median nearest-neighbour distance of the data
    prior_w2: float | None             # Gelbrich lower bound on W₂(p_{t_max}, prior) (None without data)
    prior_scale: float                 # c·√D, the prior's radius
    untrained_levels: int              # the sampler's levels that training (almost) never visits
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """JSON-ready (jsonable.json_ready)."""
        return json_ready(self)

    def summary(self) -> list[str]:
        """The report as lines of text (the command line and the PNG print them)."""
        rule = "none for D ≤ 4" if self.level_ratio is None else f"{self.level_ratio:.4f}"
        lines = [
            f"{self.process}, D = {self.dim}: σ̃ from {self.sigma_max:.4g} down to {self.sigma_min:.4g}, "
            f"L = {self.n_levels} levels (ratio {self.ratio:.4f}), T = {self.steps_each} steps each",
            f"level ratio γ (technique 2): {rule}; suggested levels: {self.suggested_levels}",
            f"Langevin step ε (technique 4): {self.step_size:.4g} (variance after T steps {self.variance_ratio:.4f} σ²,"
            f" snr {self.langevin_snr:.3f} vs score_sde's {self.snr_target})",
            f"EMA rate (technique 5): {self.ema_rate}; terminal SNR α²/s²: {self.terminal_snr:.3g}",
        ]
        if self.sigma_max_rule is not None:
            lines.append(f"largest pairwise distance (technique 1): {self.sigma_max_rule:.4g}; "
                         f"nearest-neighbour spacing {self.spacing:.4g}; prior W₂ ≥ {self.prior_w2:.4g} "
                         f"(prior radius {self.prior_scale:.4g})")
        return lines + [f"note: {n}" for n in self.notes] + [f"warning: {w}" for w in self.warnings]


def analyse(process: NoiseProcess, *, points=None, dim: int | None = None, steps_each: int = 100,
            n_levels: int | None = None, training_noise=None, langevin_step: float | None = None) -> ScheduleReport:
    """NCSNv2's rules and the warnings for `process` (and the data `points`: a Dataset or (N, ...) points).

    D comes from the points, else `dim`, else the VE prior's mean. L: `n_levels`, else NCSN's ladder, else
    `process.levels()`. `langevin_step` is the ε the sampler really uses at σ_L (default: the rule's).
    `training_noise` (core.schedule.training_noise.TrainingNoise) decides where training spends its noise levels.
    """
    if steps_each < 1:
        raise ValueError(f"Langevin needs at least one step per level (got {steps_each})")
    if points is not None:
        dim = int(np.prod(flat_points(points).shape[1:]))
    elif dim is None and getattr(process, "prior_mean", None) is not None:
        dim = len(process.prior_mean)
    if dim is None or dim < 1:
        raise ValueError("analyse needs the data's points or its dimension")
    lo, hi = process.noise_range()
    if not (math.isfinite(hi) and hi > lo > 0):
        raise ValueError(f"the {process.name} process's noise levels run from {lo:.3g} to {hi:.3g}: α(t_max) "
                         f"underflows to 0; lower β_max")
    if n_levels is None:
        n_levels = process.n_levels if isinstance(process, NCSNLadder) else len(process.levels())
    if n_levels < 2:
        raise ValueError(f"a ladder needs at least 2 levels (got {n_levels})")
    ratio = (hi / lo) ** (1.0 / (n_levels - 1))
    gamma = level_ratio(dim)
    eps = step_size(hi, lo, n_levels, steps_each)
    u = (eps if langevin_step is None else langevin_step) / lo**2
    t_max = process.t_max
    alpha, std = float(process.alpha(t_max)), float(process.std(t_max))
    figures = dict(
        process=process.name, dim=dim, sigma_min=lo, sigma_max=hi, n_levels=int(n_levels), ratio=ratio,
        level_ratio=gamma, suggested_levels=levels_for(hi, lo, gamma if gamma is not None else 1.5),
        steps_each=int(steps_each), step_size=eps, variance_ratio=variance_ratio(eps / lo**2, ratio, steps_each),
        langevin_snr=langevin_snr(eps / lo**2), snr_target=LANGEVIN_SNR, ema_rate=EMA_RATE,
        terminal_snr=alpha**2 / std**2, beta_clipped=beta_clipped(process),
        sigma_max_rule=None, spacing=None, prior_w2=None, prior_scale=float(process.prior_std()) * math.sqrt(dim),
        untrained_levels=_untrained_levels(process, training_noise, process.levels(n_levels)),
    )
    if points is not None:
        figures.update(sigma_max_rule=sigma_max_rule(points), spacing=nearest_neighbour_distance(points),
                       prior_w2=prior_w2(points, process))
    notes = () if gamma is not None else (
        "for D ≤ 4 NCSNv2's level-ratio rule imposes no constraint; the suggested levels keep neighbours a "
        "ratio 1.5 apart, the spacing of NCSN's toy",)
    warnings = _warnings(figures, u, ve=isinstance(process, VESDE))
    return ScheduleReport(**figures, warnings=tuple(warnings), notes=notes)


def beta_clipped(process: NoiseProcess, steps: int = 1000) -> float:
    """Share of the steps of a `steps`-step DDPM discretisation of [t_min, t_max] (improved DDPM's T = 1000)
    whose β_i = 1 − α(t_i)²/α(t_{i−1})² reaches BETA_CLIP, where improved DDPM clips it: 0 for VE (α = 1), for
    the cosine process (its t_max stops where the clip would start) and for a linear VP whose α(t_max) is
    representable (β_i ≥ 0.999 needs β ≳ 6900 over Δt = 1e-3, and then α(1)² ≈ e^{−3450} underflows)."""
    t = torch.linspace(process.t_min, process.t_max, steps + 1, dtype=torch.float64)
    log_a = torch.log(process.alpha(t).double())
    beta = -torch.expm1(2 * (log_a[1:] - log_a[:-1]))
    return float((beta >= BETA_CLIP - 1e-9).double().mean())


def _untrained_levels(process: NoiseProcess, training_noise, levels, draws: int = 50_000) -> int:
    """How many of the sampler's `levels` (L,) get under UNTRAINED_SHARE of a fair share 1/L of the training
    draws in their cell (ln σ̃ within half a spacing of the level): NCSN sampled at levels it was not trained at,
    or a training distribution that never reaches part of the sampler's range."""
    noise = training_noise if training_noise is not None else TrainingNoise()
    drawn = noise.sample_sigma(process, draws, torch.Generator().manual_seed(0), "cpu")
    ln = np.log(np.asarray(levels, dtype=np.float64))[::-1]                 # increasing
    if ln.size < 2:
        return 0
    mids = (ln[1:] + ln[:-1]) / 2
    edges = np.concatenate([[2 * ln[0] - mids[0]], mids, [2 * ln[-1] - mids[-1]]])
    counts, _ = np.histogram(np.log(drawn.double().numpy()), bins=edges)
    return int(np.sum(counts < UNTRAINED_SHARE * draws / ln.size))


#: What to turn to move the top / the bottom of the σ̃ range, for VE-like (True) and VP-like (False) processes.
_TOP = {True: "σ_max", False: "β_max (or t_max for the cosine schedule)"}
_BOTTOM = {True: "σ_min", False: "t_min"}


def _warnings(f: dict, u: float, ve: bool) -> list[str]:
    out = []
    rule = f["sigma_max_rule"]
    if rule is not None and f["sigma_max"] < SIGMA_MAX_SLACK * rule:
        out.append(f"σ_max = {f['sigma_max']:.3g} is below the largest distance between data points "
                   f"({rule:.3g}): annealed samplers cannot move mass between modes, so mode weights come out "
                   f"wrong; raise {_TOP[ve]} so that σ̃ reaches about {rule:.3g} (NCSNv2 technique 1).")
    if f["spacing"] is not None and f["sigma_min"] > f["spacing"]:
        out.append(f"σ_min = {f['sigma_min']:.3g} is larger than the data's typical nearest-neighbour spacing "
                   f"({f['spacing']:.3g}): samples are blurred by about σ_min per axis; lower {_BOTTOM[ve]} so "
                   f"that σ̃ starts below {f['spacing']:.3g}.")
    if f["prior_w2"] is not None and f["prior_w2"] > PRIOR_MISMATCH * f["prior_scale"]:
        out.append(f"the prior the sampler starts from is W₂ ≥ {f['prior_w2']:.3g} away from the noised data at "
                   f"t_max ({100 * f['prior_w2'] / f['prior_scale']:.0f} % of the prior's radius "
                   f"{f['prior_scale']:.3g}): samples inherit the mismatch; raise {_TOP[ve]}"
                   f"{', or centre the data' if ve else ''}.")
    # For VE the SNR 1/σ_max² depends on the data's units; the prior mismatch above covers it.
    if not ve and f["terminal_snr"] > TERMINAL_SNR:
        out.append(f"{TERMINAL_WARNING} α²/s² = {f['terminal_snr']:.3g} at t_max is not small "
                   f"(above {TERMINAL_SNR:g}): the data still shows through the prior, which the sampler ignores; "
                   f"raise {_TOP[ve]}.")
    if f["beta_clipped"] > BETA_CLIP_SHARE:
        out.append(f"{100 * f['beta_clipped']:.0f} % of a 1000-step discretisation has β clipped at {BETA_CLIP}: "
                   f"those steps jump straight to noise and the schedule is not the one the formula says; "
                   f"lower β_max.")
    gamma = f["level_ratio"]
    if gamma is not None and f["n_levels"] < f["suggested_levels"]:
        out.append(f"{f['n_levels']} levels are too few for D = {f['dim']}: neighbouring levels are a ratio "
                   f"{f['ratio']:.4f} apart but NCSNv2's rule asks for at most {gamma:.4f}, so a sample of one "
                   f"level rarely lies where the next level's score was trained; use at least "
                   f"{f['suggested_levels']} levels (technique 2).")
    if f["untrained_levels"]:
        out.append(f"{f['untrained_levels']} of the sampler's {f['n_levels']} levels get almost no training (under "
                   f"{100 * UNTRAINED_SHARE:g} % of a fair share of the training noise levels): the score there is "
                   f"untrained; sample with the levels training visits, or train where the sampler goes.")
    out.extend(_step_warnings(f, u))
    return out


def _step_warnings(f: dict, u: float) -> list[str]:
    """The recursion v ← (1 − u)²v + 2u of technique 4 is stable for |1 − u| < 1 and its fixed point 2/(2 − u)
    is within a factor 2 of σ² only for u < 1; after T steps at ratio γ the variance is r(u)."""
    eps, sl = u * f["sigma_min"] ** 2, f["sigma_min"]
    if u >= 2:
        return [f"the Langevin step ε = {eps:.3g} is at least 2σ_L² = {2 * sl**2:.3g}: every step overshoots "
                f"the mode and the samples diverge; use ε = {f['step_size']:.3g} (NCSNv2 technique 4)."]
    if u >= 1:
        return [f"the Langevin step ε = {eps:.3g} is at least σ_L² = {sl**2:.3g}: the chain oscillates and "
                f"settles at {2 / (2 - u):.2f}× the right variance; use ε = {f['step_size']:.3g} "
                f"(NCSNv2 technique 4)."]
    r = variance_ratio(u, f["ratio"], f["steps_each"])
    if r - 1 > VARIANCE_SLACK:
        return [f"with ε = {eps:.3g}, {f['steps_each']} Langevin steps per level and levels a ratio "
                f"{f['ratio']:.3g} apart, samples end each level with {r:.2f}× the right variance: use more "
                f"steps per level or more levels (NCSNv2 technique 4)."]
    return []


def _check_range(sigma_max: float, sigma_min: float) -> None:
    if not 0 < sigma_min < sigma_max:
        raise ValueError(f"need 0 < σ_min < σ_max (got σ_min = {sigma_min}, σ_max = {sigma_max})")
