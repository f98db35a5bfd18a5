"""A schedule read in log-SNR: where it starts and ends, where its steps are coarse, how each training target
weights it, what is wrong with it (terminal SNR, spacing) and what the fixes change (Lin et al. 2024;
Kingma & Gao 2023). Plain numbers and arrays; the window and `scoreviz schedule` draw and print them.

    SNR = α²/s² = 1/σ̃²,  λ = ln SNR = −2 ln σ̃

**Terminal SNR** is that of the schedule's last training step: step T of a discrete schedule, t = 1 of a
continuous process (flow and cosine reach 0 there; the lab's samplers start at t_max just below). Above 0 the model
never sees pure noise while sampling starts from N(0, I) (Lin et al. 2024, §3.1).

**Weightings** (Kingma & Gao 2023, §3–4): every loss below equals ∫ w(λ)·E‖ε̂ − ε‖² dλ, w = p(λ)·factor(λ):

    ε-prediction  factor 1                        p: the process's uniform t, p(λ) = 1/((t_max − t_min)|dλ/dt|)
    v-prediction  factor 1 + e^{−λ}               (‖v̂ − v‖² = ‖ε̂ − ε‖²/α² for VP)
    x-prediction  factor e^{−λ}                   (‖x̂₀ − x₀‖² = σ̃²‖ε̂ − ε‖²)
    EDM           factor (e^{−λ} + σ_d²)/σ_d²     p: ln σ̃ ~ N(−1.2, 1.2²) (EDM's P_mean, P_std)
    flow          factor (1 + e^{−λ/2})²          p: rectified flow's uniform t, p(λ) = ½t(1 − t), t = sigmoid(−λ/2)

Each curve is normalised to integrate to 1 over the process's λ range, so their shapes compare.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import torch

from scoreviz.core.discrete_process import DiscreteVP
from scoreviz.core.flow_process import FlowProcess
from scoreviz.core.process_base import NoiseProcess
from scoreviz.core.schedule.discrete import alphas_cumprod, log_snr, sampling_timesteps
from scoreviz.core.schedule.rules import TERMINAL_WARNING, ScheduleReport
from scoreviz.core.schedule.training_noise import TrainingNoise
from scoreviz.core.schedule.jsonable import json_ready

__all__ = ["Diagnosis", "merged_report", "SNRReport", "ScheduleCurves", "TARGETS", "diagnose", "schedule_curves", "snr_report",
           "training_log_snr", "with_fixes"]

TARGETS = ("epsilon", "v", "x", "edm", "flow")
EDM_P_MEAN, EDM_P_STD = -1.2, 1.2
#: Without a discrete schedule, λ is read on this many uniform t (as fine as T = 1000 training steps).
GRID_STEPS = 1000
ZERO_ALPHA = 1e-10


def with_fixes(process: NoiseProcess, *, rescale_zero_snr: bool = False,
               timestep_spacing: str | None = None) -> NoiseProcess:
    """`process` with Lin et al.'s fixes: zero-terminal-SNR rescaling and diffusers' timestep spacing. Both
    belong to discrete β schedules (a ValueError for any other process when asked)."""
    if not (rescale_zero_snr or timestep_spacing):
        return process
    if not isinstance(process, DiscreteVP):
        raise ValueError(f"zero-terminal-SNR rescaling and timestep spacing apply to discrete β schedules, "
                         f"not to the {process.name} process")
    changes = {"rescale_zero_snr": True} if rescale_zero_snr else {}
    if timestep_spacing:
        changes["timestep_spacing"] = timestep_spacing
    return replace(process, **changes)


def training_log_snr(process: NoiseProcess) -> tuple[np.ndarray, np.ndarray, float]:
    """(t (K,), λ (K,) at the training steps, λ at the last training step): the discrete steps of a DiscreteVP
    (−∞ last with zero terminal SNR), else GRID_STEPS uniform t over [t_min, t_max] and λ at t = 1."""
    if isinstance(process, DiscreteVP):
        lam = log_snr(alphas_cumprod(process.betas))
        return np.arange(1, lam.size + 1) / lam.size, lam, float(lam[-1])
    t = np.linspace(process.t_min, process.t_max, GRID_STEPS)
    a, s = (f(torch.from_numpy(t)).double().numpy() for f in (process.alpha, process.std))
    a1, s1 = float(process.alpha(1.0)), float(process.std(1.0))
    # cos(π/2) of the cosine schedule rounds to 6e-17, not 0: a signal share below ZERO_ALPHA is none
    last = 2 * (math.log(a1) - math.log(s1)) if a1 > ZERO_ALPHA else -math.inf
    with np.errstate(divide="ignore"):
        return t, 2 * (np.log(a) - np.log(s)), last


@dataclass(frozen=True)
class SNRReport:
    """A schedule's log-SNR facts and warnings (module docstring). In to_dict(), ±∞ becomes None (the SNR that
    goes with it, 0 or ∞, says which)."""

    process: str
    steps: int | None                  # T of a discrete schedule
    terminal_snr: float                # at the last training step (module docstring)
    terminal_log_snr: float
    initial_snr: float                 # at the first training step (t_min)
    initial_log_snr: float
    sigma_max_equivalent: float        # σ̃ = e^{−λ/2} at the last step (∞ at zero terminal SNR)
    sigma_min_equivalent: float        # σ̃ at the first step
    sampler_sigma_max: float           # σ̃ at t_max, where the lab's samplers start
    coarsest_step: float               # the largest finite |Δλ| between neighbouring training steps
    coarsest_at: float                 # its t (the later step of the pair)
    prediction_type: str
    sampling: dict | None              # discrete: the sampler's timesteps (sampling_timesteps) in brief
    weighting_peak_log_snr: dict       # target → the λ where its w(λ) peaks
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict:
        """JSON-ready (jsonable.json_ready)."""
        return json_ready(self)

    def summary(self) -> list[str]:
        steps = f"T = {self.steps}, " if self.steps else ""
        lines = [f"{self.process}: {steps}log-SNR from {self.initial_log_snr:.3g} (σ̃ {self.sigma_min_equivalent:.3g})"
                 f" to {self.terminal_log_snr:.3g} (σ̃ {self.sigma_max_equivalent:.4g}); terminal SNR "
                 f"{self.terminal_snr:.3g}",
                 f"coarsest step: Δλ = {self.coarsest_step:.3g} at t = {self.coarsest_at:.4g}; samplers start at "
                 f"σ̃ = {self.sampler_sigma_max:.4g}; prediction: {self.prediction_type}",
                 "w(λ) peaks at λ = " + ", ".join(f"{k} {v:.2f}" for k, v in self.weighting_peak_log_snr.items())]
        if self.sampling:
            s = self.sampling
            lines.append(f"{s['spacing']} spacing, {s['steps']} steps: first timestep {s['first_timestep']} of "
                         f"{self.steps - 1}{'' if s['starts_at_terminal'] else ' (not the last)'}, "
                         f"largest sampler Δλ {s['largest_step']:.3g}")
        return lines + [f"note: {n}" for n in self.notes] + [f"warning: {w}" for w in self.warnings]


def snr_report(process: NoiseProcess, *, prediction_type: str = "epsilon", sampling_steps: int = 50,
               sigma_data: float = 0.5) -> SNRReport:
    """The report of `process` (sampling_steps: the sampler's N for the spacing check of a discrete schedule)."""
    t, lam, lam_last = training_log_snr(process)
    finite = np.isfinite(lam)
    dlam = np.abs(np.diff(lam[finite]))
    i = int(np.argmax(dlam))
    curves = schedule_curves(process, sigma_data=sigma_data)
    peaks = {k: float(curves.log_snr[int(np.argmax(w))]) for k, w in curves.weights.items()}
    sampling = _sampling(process, sampling_steps) if isinstance(process, DiscreteVP) else None
    f = dict(terminal_snr=math.exp(lam_last), terminal_log_snr=lam_last, initial_snr=math.exp(lam[0]),
             initial_log_snr=float(lam[0]), sigma_max_equivalent=math.exp(-lam_last / 2),
             sigma_min_equivalent=math.exp(-lam[0] / 2))
    warnings, notes = _warnings(process, f, prediction_type, sampling)
    return SNRReport(process.name, process.steps if isinstance(process, DiscreteVP) else None,
                     sampler_sigma_max=float(process.noise_level(process.t_max)), coarsest_step=float(dlam[i]),
                     coarsest_at=float(t[finite][i + 1]), prediction_type=prediction_type, sampling=sampling,
                     weighting_peak_log_snr=peaks, warnings=tuple(warnings), notes=tuple(notes), **f)


def _sampling(process: DiscreteVP, steps: int) -> dict:
    """The sampler's N timesteps under the process's spacing (diffusers' default, leading, when unset)."""
    spacing = process.timestep_spacing or "leading"
    ts = sampling_timesteps(process.steps, min(steps, process.steps), spacing)
    lam = log_snr(alphas_cumprod(process.betas))[ts.timesteps]
    finite = lam[np.isfinite(lam)]
    return dict(spacing=spacing, steps=int(ts.timesteps.size), first_timestep=int(ts.timesteps[0]),
                starts_at_terminal=ts.starts_at_terminal, first_log_snr=float(lam[0]) if np.isfinite(lam[0]) else None,
                largest_step=float(np.max(np.abs(np.diff(finite)))) if finite.size > 1 else 0.0)


def _warnings(process: NoiseProcess, f: dict, prediction_type: str, sampling: dict | None):
    warnings, notes = [], []
    ve_like = not (process.variance_preserving or isinstance(process, FlowProcess))
    if f["terminal_snr"] > 0 and not ve_like:
        warnings.append(
            f"the terminal SNR is {f['terminal_snr']:.3g}, not zero: at the last step x_T still holds "
            f"{100 * math.sqrt(f['terminal_snr'] / (1 + f['terminal_snr'])):.2g} % of x₀, so the model never sees "
            f"pure noise, while sampling starts from N(0, I), off the training distribution (it cannot make very "
            f"bright or dark images, Lin et al. 2024); {_terminal_fix(process)}.")
    elif ve_like:
        notes.append("a VE schedule: its terminal SNR 1/σ_max² depends on the data's units (see the prior W₂).")
    if f["terminal_snr"] == 0 and prediction_type == "epsilon" and isinstance(process, DiscreteVP):
        warnings.append("with zero terminal SNR ε-prediction is undefined at the last step (x_T = ε carries no "
                        "x₀ to predict from): train with v-prediction, v = α·ε − s·x₀ (Lin et al. 2024, §3.2); the "
                        "lab's process ends one step early, at σ̃ = "
                        f"{float(process.noise_level(process.t_max)):.3g}, and starts samplers from N(0, I).")
    if sampling is not None and not sampling["starts_at_terminal"]:
        warnings.append(f"{sampling['spacing']} timestep spacing with {sampling['steps']} steps starts at timestep "
                        f"{sampling['first_timestep']}, not at the last ({process.steps - 1}): the sampler skips the "
                        f"noisiest steps; use trailing spacing (Lin et al. 2024, Table 2).")
    return warnings, notes


def _terminal_fix(process: NoiseProcess) -> str:
    if isinstance(process, DiscreteVP):
        return ("rescale it to zero terminal SNR (Lin et al. 2024, Alg. 1: the Schedule tab's fix, --rescale-zero-snr "
                "on the command line) and train with v-prediction")
    return "use a schedule that ends at SNR 0 (the cosine or flow process, or a discrete one rescaled)"


@dataclass(frozen=True)
class ScheduleCurves:
    """A schedule's curves on a log-SNR grid over its range: λ (K,) decreasing with t (K,), σ̃ (K,), and each
    target's normalised w(λ) (K,) (module docstring)."""

    t: np.ndarray
    log_snr: np.ndarray
    sigma: np.ndarray
    weights: dict


def schedule_curves(process: NoiseProcess, *, sigma_data: float = 0.5, n: int = 400) -> ScheduleCurves:
    """The curves of `process` on n points of its [t_min, t_max] mapped to λ (sigma_data: EDM's σ_d)."""
    lo, hi = process.noise_range()
    sigma = np.exp(np.linspace(math.log(lo), math.log(hi), n))
    lam = -2 * np.log(sigma)
    t = process.time_of(torch.from_numpy(sigma)).double().numpy()
    uniform_t = TrainingNoise("uniform_t").log_density(process, sigma) / 2      # p(ln σ̃) → p(λ), |dλ| = 2|d ln σ̃|
    z = (np.log(sigma) - EDM_P_MEAN) / EDM_P_STD
    lognormal = np.exp(-0.5 * z**2) / (2 * EDM_P_STD * math.sqrt(2 * math.pi))
    flow_t = 1 / (1 + np.exp(lam / 2))
    weights = {"epsilon": uniform_t, "v": uniform_t * (1 + np.exp(-lam)), "x": uniform_t * np.exp(-lam),
               "edm": lognormal * (np.exp(-lam) + sigma_data**2) / sigma_data**2,
               "flow": 0.5 * flow_t * (1 - flow_t) * (1 + np.exp(-lam / 2)) ** 2}
    return ScheduleCurves(t, lam, sigma, {k: _normalised(w, lam) for k, w in weights.items()})


def _normalised(w: np.ndarray, lam: np.ndarray) -> np.ndarray:
    total = abs(np.trapezoid(w, lam))
    return w / total if total > 0 else w


@dataclass(frozen=True)
class Diagnosis:
    """A schedule before and after the fixes (after: None when no fix was asked)."""

    report: SNRReport
    curves: ScheduleCurves
    fixed_report: SNRReport | None = None
    fixed_curves: ScheduleCurves | None = None


def diagnose(process: NoiseProcess, *, rescale_zero_snr: bool = False, timestep_spacing: str | None = None,
             prediction_type: str = "epsilon", fixed_prediction_type: str | None = None, sampling_steps: int = 50,
             sigma_data: float = 0.5) -> Diagnosis:
    """The report and curves of `process`, and of it with the fixes asked (the window's before/after; the
    fixed schedule is reported with `fixed_prediction_type`, default v_prediction when rescaled)."""
    report = snr_report(process, prediction_type=prediction_type, sampling_steps=sampling_steps,
                        sigma_data=sigma_data)
    curves = schedule_curves(process, sigma_data=sigma_data)
    if not (rescale_zero_snr or timestep_spacing):
        return Diagnosis(report, curves)
    fixed = with_fixes(process, rescale_zero_snr=rescale_zero_snr, timestep_spacing=timestep_spacing)
    kind = fixed_prediction_type or ("v_prediction" if rescale_zero_snr else prediction_type)
    return Diagnosis(report, curves, snr_report(fixed, prediction_type=kind, sampling_steps=sampling_steps,
                                                sigma_data=sigma_data), schedule_curves(fixed, sigma_data=sigma_data))


def merged_report(rules_report: ScheduleReport, report: SNRReport, notes=()) -> dict:
    """`scoreviz schedule --json`: NCSNv2's report (rules.analyse) and the log-SNR report in one dict. The
    log-SNR report's keys win where both have one (terminal_snr: at the last training step, not at t_max);
    warnings and notes are both reports' (and `notes`), the rules' terminal-SNR warning left out where the
    log-SNR report warns about the terminal SNR itself."""
    out = {**rules_report.to_dict(), **report.to_dict()}
    own_terminal = any(w.startswith("the terminal SNR") for w in report.warnings)
    kept = [w for w in rules_report.warnings if not (own_terminal and w.startswith(TERMINAL_WARNING))]
    out["warnings"] = kept + list(report.warnings)
    out["notes"] = list(rules_report.notes) + list(report.notes) + list(notes)
    return out
