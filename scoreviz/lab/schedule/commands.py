"""The schedule lab inside the 2-D session: its commands (edit the schedule, a new process and model; back to the
data's defaults; show the live read-out; pin A and compare A / B; sweep quality against NFE) and when its read-out
is sent.

`ScheduleLab` is owned by `session.LabSession` and reaches the session only through `ScheduleHost`: the data and
process in use, and `rebuild`, which makes a new model and process under the schedule now set.
"""
from __future__ import annotations

from typing import Callable, Protocol

from scoreviz.core.processes import make_process

from scoreviz.lab import commands as cmd
from scoreviz.lab.live_training import LiveTraining
from scoreviz.lab.schedule.control import ScheduleControl
from scoreviz.lab.schedule.nfe import NFESweeps
from scoreviz.lab.schedule.real import RealSchedules

SCHEDULE_REFRESH = 1.0         # the loss per σ, its floor and the error per σ, this often while the model trains
#: Langevin steps per level the schedule's rules assume (annealed Langevin's default length).
RULE_STEPS_EACH = 100


class ScheduleHost(Protocol):
    """What the schedule lab needs of its session."""

    dataset: object            # a core.data dataset, or None on the empty canvas
    process: object            # the core.processes process in use, or None
    version: int               # the data's version

    def process_data(self):
        """The points a process's defaults are fitted to (None for a single point)."""

    def rebuild(self, new_process: bool) -> None:
        """A new model (and, with data, a new process when asked); training goes on if it ran."""


class ScheduleLab:
    """Holds `control` (the overrides, training noise and pinned A). `handlers()` is its part of the session's
    dispatch table; `age(now, training)` and `refresh()` are the session tick's read-out step."""

    def __init__(self, control: ScheduleControl, training: LiveTraining, lab: ScheduleHost,
                 emit: Callable[[object], None], say: Callable[[str, str], None], clock: Callable[[], float]):
        self.control, self.training, self.lab = control, training, lab
        self.emit, self.say, self.clock = emit, say, clock
        self.shown = False       # the read-out (and its floor, ~1 s for a large point set) only when on screen
        self.stale = False
        self._last_sent = 0.0
        self.real = RealSchedules(control, training, lab, emit, say)   # the gallery, imports and fixes
        self.nfe = NFESweeps(control, training, lab, emit, say)        # quality against NFE, one run a tick

    def handlers(self) -> dict[type, Callable]:
        return {cmd.SetSchedule: self.set_schedule, cmd.ResetSchedule: self.reset, cmd.ShowSchedule: self.show,
                cmd.PinSchedule: self.pin, cmd.CompareSchedules: self.compare, **self.real.handlers(), **self.nfe.handlers()}

    # --- commands --------------------------------------------------------------------------------------------
    def set_schedule(self, command: cmd.SetSchedule) -> None:
        """New schedule parameters / training noise: a new process and a new model (training goes on). A bad
        value changes nothing and is said as a warning, and the panel is sent the schedule in use again."""
        try:
            overrides, noise = self.control.set_options(command)
            if self.lab.dataset is not None:     # check the parameters before anything changes
                make_process(self.training.process_name, self.lab.process_data(), **overrides)
        except (TypeError, ValueError) as exc:
            self.say("warning", f"Schedule not changed: {exc}")
            self.stale = True
            return
        self.control.overrides, self.control.noise = overrides, noise
        self._rebuild("The schedule changed: a new noise process and a new model.", command.announce)

    def reset(self, command: cmd.ResetSchedule) -> None:
        self.control.reset()
        self._rebuild("The schedule is back to the data's defaults: a new process and model.", command.announce)

    def _rebuild(self, message: str, announce: bool) -> None:
        self.training.noise = self.control.noise
        self.lab.rebuild(new_process=True)
        if announce:
            self.say("info", message)

    def show(self, command: cmd.ShowSchedule) -> None:
        self.shown = bool(command.visible)
        self.stale = self.shown

    def pin(self, _: cmd.PinSchedule) -> None:
        if self.lab.process is None:
            return
        self.control.pin(self.lab.process, self.training.trainer)
        self.say("info", "Schedule A pinned: change the schedule, then compare A / B.")
        self.stale = True

    def compare(self, command: cmd.CompareSchedules) -> None:
        """A / B under the particle panel's sampler, count and seed (sampling A and B blocks a few seconds)."""
        if self.lab.dataset is None or self.lab.process is None or not self.control.pinned:
            self.say("warning", "Pin a schedule as A first, then change it and compare.")
            return
        try:
            self.emit(self.control.compare(self.lab.dataset, self.lab.process, self.training.trainer,
                                           sampler=command.sampler, n=command.n, seed=command.seed,
                                           nfe=command.nfe))
        except ValueError as exc:
            self.say("warning", str(exc))

    # --- the read-out ----------------------------------------------------------------------------------------
    def age(self, now: float) -> None:
        """While the model trains the read-out goes stale every SCHEDULE_REFRESH seconds."""
        if now - self._last_sent > SCHEDULE_REFRESH:
            self.stale = True

    def refresh(self) -> bool:
        """One run of a sweep in progress, then the read-out if it is stale and on screen (there must be data and
        a process); True if either was done."""
        swept = self.nfe.advance()
        if not (self.stale and self.shown):
            return swept
        self.stale = False
        self._last_sent = self.clock()
        lab = self.lab
        try:
            self.emit(self.control.frame(lab.dataset, lab.version, lab.process, self.training.trainer,
                                         RULE_STEPS_EACH, lab.process.levels()))
            self.real.send()     # the log-SNR report, when the process or the pin changed
            self.nfe.send_choices()  # the samplers the process runs, a trained model, the pin: when changed
        except Exception as exc:   # the read-out must never stop training: say what failed, once
            self.say("error", f"schedule read-out: {type(exc).__name__}: {exc}")
        return True
