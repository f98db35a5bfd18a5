"""The schedules people actually train with, in the 2-D lab: the gallery of published schedules, a diffusers
``scheduler_config.json``, Lin et al. 2024's fixes, and the log-SNR report the Schedule tab draws.

A real schedule becomes the lab's process as it is (the gallery's are made for images at a data scale ≈ 1:
Stable Diffusion's σ̃ reaches 14.6 whatever the 2-D data's spread, and that mismatch is the lesson). It is kept
as the schedule control's overrides of its process (`ScheduleControl.adopt`), so a rebuild, a saved session and
the tab's other edits keep it. The fixes act on a discrete β schedule only:

    raw   = the β's as trained (no rescaling, no timestep spacing)
    fixed = raw rescaled to zero terminal SNR (a ← (a − a_T)·a_1/(a_1 − a_T), a = √ᾱ) and/or spaced as diffusers

and turning one on pins `raw` as schedule A, so Compare A / B samples the schedule before and after the fix.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np

from scoreviz.core.discrete_process import DiscreteVP
from scoreviz.core.process_base import NoiseProcess
from scoreviz.core.processes import make_process
from scoreviz.core.schedule.diffusers_config import SchedulerConfigError, read_scheduler_config
from scoreviz.core.schedule.discrete import TIMESTEP_SPACINGS, sampling_timesteps
from scoreviz.core.schedule.gallery import GALLERY, gallery_label
from scoreviz.core.schedule.snr import TARGETS, diagnose, training_log_snr
from scoreviz.names import PROCESSES

from scoreviz.lab import commands as cmd
from scoreviz.lab.frames import RealScheduleFrame

#: The sampler's N for the spacing check and the timestep markers (the report's default: 50 of T = 1000).
SAMPLER_STEPS = 50


@dataclass(frozen=True)
class ScheduleOrigin:
    """What a schedule is and where it comes from (the tab's heading and the report's prediction type)."""

    label: str
    source: str = ""
    preset: str | None = None          # the gallery key
    prediction: str = "epsilon"        # diffusers' prediction_type, "flow" for flow matching
    ignored: tuple[str, ...] = ()      # an imported file's keys that were not read


def raw_schedule(process: NoiseProcess) -> NoiseProcess:
    """`process` before the fixes: a DiscreteVP without rescaling and timestep spacing; any other as it is."""
    if isinstance(process, DiscreteVP):
        return replace(process, rescale_zero_snr=False, timestep_spacing=None)
    return process


def _key(process: NoiseProcess) -> str:
    return repr(process.config())


def _prediction(process: NoiseProcess) -> str:
    return "flow" if process.name == "flow" else "epsilon"


def _sampler_times(report) -> np.ndarray:
    """(N,) t of the sampler's timesteps the report checked (a discrete schedule), else (0,)."""
    s = report.sampling if report is not None else None
    if not s:
        return np.zeros(0)
    return sampling_timesteps(report.steps, s["steps"], s["spacing"]).times


def real_schedule_frame(process: NoiseProcess, origin: ScheduleOrigin, *, pinned: bool = False) -> RealScheduleFrame:
    """The report, w(λ) and training steps of `process`, before and after its fixes (a few ms)."""
    raw = raw_schedule(process)
    fixable = isinstance(process, DiscreteVP)
    rescale = fixable and process.rescale_zero_snr
    spacing = process.timestep_spacing if fixable else None
    # leading is diffusers' default, which the report of the schedule as it is already assumes: no "after"
    spacing_fix = None if spacing == "leading" else spacing
    d = diagnose(raw, rescale_zero_snr=rescale, timestep_spacing=spacing_fix, prediction_type=origin.prediction,
                 sampling_steps=SAMPLER_STEPS)
    curves = d.fixed_curves if d.fixed_curves is not None else d.curves
    steps_t, steps_log_snr, _ = training_log_snr(raw)
    fixed_log_snr = training_log_snr(process)[1] if d.fixed_report is not None else np.zeros(0)
    return RealScheduleFrame(
        process=process.name, label=origin.label, source=origin.source, preset=origin.preset, fixable=fixable,
        rescale_zero_snr=bool(rescale), timestep_spacing=spacing, ignored=tuple(origin.ignored), pinned=pinned,
        report=d.report, fixed_report=d.fixed_report, targets=TARGETS, log_snr=curves.log_snr,
        sigma=curves.sigma, weights=np.stack([curves.weights[k] for k in TARGETS]), steps_t=steps_t,
        steps_log_snr=steps_log_snr, fixed_log_snr=fixed_log_snr, sampler_t=_sampler_times(d.report),
        fixed_sampler_t=_sampler_times(d.fixed_report))


class RealSchedules:
    """The schedule lab's real-schedule part: `handlers()` (gallery, import, fixes) and `send(force)`, the
    report frame of the process in use (sent again only when the process or the pin changed, unless forced)."""

    def __init__(self, control, training, lab, emit: Callable[[object], None], say: Callable[[str, str], None]):
        self.control, self.training, self.lab, self.emit, self.say = control, training, lab, emit, say
        self._origins: dict[str, ScheduleOrigin] = {}     # the raw schedule's config → what it is
        self._sent = None

    def handlers(self) -> dict[type, Callable]:
        return {cmd.UseGallerySchedule: self.use_gallery, cmd.ImportSchedule: self.import_config,
                cmd.FixSchedule: self.fix}

    # --- commands --------------------------------------------------------------------------------------------
    def use_gallery(self, command: cmd.UseGallerySchedule) -> None:
        entry = GALLERY.get(command.name)
        if entry is None:
            self.say("warning", f"Unknown schedule {command.name!r}; choose one of {', '.join(GALLERY)}.")
            return
        process = entry.make()
        origin = ScheduleOrigin(gallery_label(command.name), entry.source, command.name, _prediction(process))
        if self._adopt(process, origin) and command.announce:
            lo, hi = process.noise_range()
            self.say("info", f"{origin.label} is the lab's schedule as published, for images at a data scale ≈ 1 "
                             f"(σ̃ {lo:.3g} → {hi:.3g}): a new noise process and model.")

    def import_config(self, command: cmd.ImportSchedule) -> None:
        """A diffusers scheduler_config.json; any fault of the file is one line and changes nothing."""
        try:
            config = read_scheduler_config(command.path)
            process = config.process()
        except (SchedulerConfigError, TypeError, ValueError) as exc:   # SchedulerConfigError: a ValueError
            text = " ".join(str(exc).split())        # the banner's one line, whatever the message held
            self.say("error", f"Schedule not imported (nothing changed): {text}")
            return
        name = Path(command.path).name
        kind = config.class_name or f"{config.kind} schedule"
        origin = ScheduleOrigin(f"{name} ({kind})", str(command.path), None, config.prediction_type, config.ignored)
        if self._adopt(process, origin):
            unread = f" Keys not read: {', '.join(config.ignored)}." if config.ignored else ""
            self.say("info", f"Imported {name} ({kind}) as the lab's schedule: a new noise process and model.{unread}")

    def fix(self, command: cmd.FixSchedule) -> None:
        """Lin et al.'s fixes on the discrete schedule in use; the schedule before them is pinned as A."""
        process = self.lab.process
        if not isinstance(process, DiscreteVP):
            name = process.name if process is not None else "no"
            self.say("warning", f"Zero terminal SNR and timestep spacing apply to discrete β schedules (DDPM, "
                                f"improved DDPM, Stable Diffusion, an imported β schedule), not to the {name} "
                                f"process: nothing changed.")
            self.send(force=True)               # the tab's controls go back to what is in use
            return
        spacing = command.timestep_spacing
        if spacing is not None and spacing not in TIMESTEP_SPACINGS:
            self.say("warning", f"Unknown timestep spacing {spacing!r}; choose one of {', '.join(TIMESTEP_SPACINGS)}.")
            self.send(force=True)
            return
        raw = raw_schedule(process)
        fixed = replace(raw, rescale_zero_snr=bool(command.rescale_zero_snr), timestep_spacing=spacing)
        if fixed == process:
            self.send(force=True)
            return
        pinned = fixed != raw
        if pinned:   # A is the schedule as trained, with its model when that is the one in use
            self.control.pin(raw, self.training.trainer if process == raw else None)
        self.control.overrides = {**self.control.overrides, "rescale_zero_snr": fixed.rescale_zero_snr,
                                  "timestep_spacing": fixed.timestep_spacing}
        self.lab.rebuild(new_process=True)
        if command.announce:
            self.say("info", _fix_message(fixed, pinned))
        self.send(force=True)

    def _adopt(self, process: NoiseProcess, origin: ScheduleOrigin) -> bool:
        """Make `process` the lab's (its fields as the control's overrides: a rebuild keeps it); False, with a
        warning, where it cannot be (no data, a process the data refuse)."""
        if self.lab.dataset is None:
            self.say("warning", "The canvas is empty: paint some data or pick a preset, then choose the schedule.")
            return False
        # the config holds lists where the process holds tuples (trained_betas)
        overrides = {k: tuple(v) if isinstance(v, list) else v for k, v in process.config().items() if k != "name"}
        try:
            make_process(process.name, self.lab.process_data(), **overrides)
        except (TypeError, ValueError) as exc:
            self.say("warning", f"Schedule not changed: {exc}")
            return False
        self._origins[_key(raw_schedule(process))] = origin
        self.training.process_name = process.name
        self.control.adopt(process.name, overrides, self.control.noise)
        self.lab.rebuild(new_process=True)
        self.send(force=True)
        return True

    # --- the report ------------------------------------------------------------------------------------------
    def origin(self, process: NoiseProcess) -> ScheduleOrigin:
        """What `process` is: the gallery entry or file it came from, else the lab's own process."""
        found = self._origins.get(_key(raw_schedule(process)))
        return found if found is not None else ScheduleOrigin(PROCESSES.get(process.name, process.name),
                                                              prediction=_prediction(process))

    def send(self, force: bool = False) -> None:
        """The report frame of the process in use, if it (or the pin) changed since the last one, or `force`."""
        process = self.lab.process
        if process is None:
            return
        key = (_key(process), self.control.pinned)
        if key == self._sent and not force:
            return
        self._sent = key
        try:
            self.emit(real_schedule_frame(process, self.origin(process), pinned=self.control.pinned))
        except Exception as exc:   # the report must never stop the lab: say what failed, once per schedule
            self.say("error", f"schedule report: {type(exc).__name__}: {exc}")


def _fix_message(fixed: DiscreteVP, pinned: bool) -> str:
    fixes = []
    if fixed.rescale_zero_snr:
        fixes.append("zero terminal SNR (the β's rescaled, Lin et al. 2024: the last step is pure noise)")
    if fixed.timestep_spacing:
        fixes.append(f"{fixed.timestep_spacing} timestep spacing")
    if not pinned:
        return "The schedule is back as published (no fixes): a new noise process and model."
    return (f"Fixed: {' and '.join(fixes)}: a new noise process and model; the schedule before the fix is pinned "
            f"as A, so Compare A / B samples both.")
