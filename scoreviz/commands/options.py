"""The noise-schedule options a command line gives, checked: the process parameters (--sigma-min … --rho) against
the process chosen, and the training noise (--noise-dist … --min-snr-gamma) against the distribution and the
weighting that result. Both `train` and `schedule` use them; the flags come from cli_options."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Mapping

from scoreviz.cli_options import SCHEDULE_PARAMETERS, flag
from scoreviz.core.process_base import NoiseProcess
from scoreviz.core.schedule.diffusers_config import read_scheduler_config
from scoreviz.core.schedule.gallery import gallery_process
from scoreviz.core.schedule.snr import with_fixes
from scoreviz.core.schedule.training_noise import TrainingNoise
from scoreviz.core.processes import PROCESSES, make_process, schedule_parameters
from scoreviz.core.sampler_runs import planned_nfe

from scoreviz.commands.errors import UserError, positive

__all__ = ["given_options", "published_process", "schedule_overrides", "training_noise"]


def given_options(values: Mapping, dests: Mapping[str, str]) -> dict:
    """{name: value} for each `dests` entry (name → option dest) whose value in `values` was given (not None);
    a dest missing from `values` is a KeyError: the parser and the table disagree, a bug."""
    return {name: values[dest] for name, dest in dests.items() if values[dest] is not None}


def _flag(parameter: str) -> str:
    return flag("train", SCHEDULE_PARAMETERS[parameter])


def schedule_overrides(process: str, given: Mapping[str, float]) -> dict:
    """The process parameters `given` (make_process overrides), checked against `process`: a parameter it does
    not take is a UserError naming the flags it does take. The values are checked by the process itself."""
    editable = schedule_parameters(PROCESSES[process]())
    wrong = [_flag(k) for k in given if k not in editable]
    if wrong:
        takes = ", ".join(_flag(k) for k in editable if k in SCHEDULE_PARAMETERS)
        raise UserError(f"{', '.join(wrong)} does not apply to --process {process} (it takes {takes})")
    return dict(given)


def published_process(process: str, schedule: Mapping[str, float], *, preset: str | None = None,
                      config: str | None = None, rescale_zero_snr: bool = False, timestep_spacing: str | None = None,
                      process_given: bool = False) -> NoiseProcess | None:
    """`scoreviz train`'s published schedule: the gallery's `preset` or the scheduler config file `config`, with
    Lin et al.'s fixes (zero terminal SNR, timestep spacing); None when neither is given and no fix is asked (the
    process is --process with `schedule`). Without a preset or config the fixes need --process discrete (they
    apply to a discrete β schedule). A contradiction is a one-line UserError: --process other than the
    published schedule's process (`process_given`: typed, not its default), any schedule parameter (the schedule
    is the published one), a fix on a schedule that is not a discrete β one, a config that cannot be read."""
    fixes = ", ".join(f for f, on in (("--rescale-zero-snr", rescale_zero_snr),
                                      ("--timestep-spacing", timestep_spacing)) if on)
    if preset is None and config is None:
        if not fixes:
            return None
        if process != "discrete":
            raise UserError(f"{fixes} applies to a discrete β schedule: --process discrete, --schedule-preset or "
                            f"--schedule-from (not --process {process})")
        base, what = make_process("discrete", None, **schedule_overrides(process, schedule)), "--process discrete"
    else:
        what = f"--schedule-preset {preset}" if preset is not None else f"--schedule-from {config}"
        if schedule:
            given = ", ".join(_flag(k) for k in schedule)
            raise UserError(f"{given} does not apply with {what}: the schedule is the published one")
        try:
            base = (gallery_process(preset) if preset is not None
                    else read_scheduler_config(Path(config).expanduser()).process())
        except (OSError, ValueError) as exc:
            raise UserError(str(exc)) from None
        if process_given and process != base.name:
            raise UserError(f"--process {process} contradicts {what}, a {base.name} process (leave --process out)")
    try:
        return with_fixes(base, rescale_zero_snr=rescale_zero_snr, timestep_spacing=timestep_spacing)
    except ValueError:
        raise UserError(f"{fixes} applies to a discrete β schedule, and {what} is a {base.name} process") from None


def training_noise(given: Mapping, default: TrainingNoise) -> TrainingNoise:
    """`default` with the TrainingNoise fields `given`; an option that the resulting distribution or weighting
    ignores is a UserError (p_mean/p_std shape only log_normal; γ only min_snr's weighting)."""
    noise = replace(default, **given)
    if {"p_mean", "p_std"} & set(given) and noise.distribution != "log_normal":
        raise UserError(f"--p-mean and --p-std apply to --noise-dist log_normal (not {noise.distribution})")
    if {"logit_mean", "logit_std"} & set(given) and noise.distribution != "logit_normal":
        raise UserError(f"--logit-mean and --logit-std apply to --noise-dist logit_normal (not {noise.distribution})")
    if "min_snr_gamma" in given and noise.weighting != "min_snr":
        raise UserError(f"--min-snr-gamma applies to --weighting min_snr (not {noise.weighting})")
    return noise


def run_length(args, sampler: str, process, sampling_options) -> int:
    """The NFE a run of `sampler` will spend with --nfe or --steps (the sampler's own steps; a UserError for
    both), under a recipe's `sampling_options`."""
    positive("nfe", args.nfe)
    positive("steps", args.steps)
    if args.nfe is not None and args.steps is not None:
        raise UserError("give --nfe or --steps (the sampler's own steps), not both")
    return planned_nfe(sampler, sampling_options(sampler, process, args.nfe, own_steps=args.steps))
