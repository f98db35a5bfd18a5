"""The schedule the 2-D lab trains and samples with: the user's overrides of the process's data-derived
parameters, the training side (`TrainingNoise`), the read-out (`ScheduleMonitor`) and the pinned schedule A."""
from __future__ import annotations

import copy
import dataclasses

from scoreviz.core.schedule.training_noise import TrainingNoise
from scoreviz.core.processes import make_process, schedule_parameters

from scoreviz.lab import frames as fr
from scoreviz.lab.commands import SetSchedule
from scoreviz.lab.schedule.compare import DEFAULT_PARTICLES, sample_schedule, score_function
from scoreviz.lab.schedule.monitor import ScheduleMonitor


class ScheduleControl:
    """`overrides` apply on top of `make_process(name, data)`; a new process name starts from its defaults."""

    def __init__(self):
        self.overrides: dict = {}
        self.noise = TrainingNoise()
        self.monitor = ScheduleMonitor()
        self._for_process = None
        self._pinned = None            # (process, EMA model or None)

    def make(self, name: str, data):
        """The process `name` for `data` with the user's overrides (ValueError for inconsistent ones)."""
        if name != self._for_process:
            self.overrides, self._for_process = {}, name
        return make_process(name, data, **self.overrides)

    def adopt(self, name: str, overrides: dict, noise: TrainingNoise) -> None:
        """A saved session's schedule for the process `name`."""
        self.overrides, self.noise, self._for_process = dict(overrides), noise, name
        self.monitor.invalidate()

    def set_options(self, command: SetSchedule) -> tuple[dict, TrainingNoise]:
        """New overrides and training noise from the panel (a None part keeps the current one; the fields it does not
        name keep theirs, a None value drops one); checked by building
        them (TypeError for a misspelt name, ValueError for a bad value). Returns (overrides, noise) for the
        caller to apply once the process is rebuilt."""
        # the panel edits some fields; the others (a real schedule's β's, its fixes) stay as they are
        overrides = self.overrides if command.process is None else \
            {**{k: v for k, v in self.overrides.items() if k not in command.process},
             **{k: v for k, v in command.process.items() if v is not None}}   # ρ None: uniform t
        noise = self.noise if command.noise is None else TrainingNoise(**command.noise)
        return overrides, noise

    def reset(self) -> None:
        """Back to the data's defaults."""
        self.overrides, self.noise = {}, TrainingNoise()
        self.monitor.invalidate()

    def frame(self, dataset, version: int, process, trainer, steps_each: int, levels) -> fr.ScheduleFrame:
        base = self.monitor.base(dataset, version, process, self.noise, steps_each, levels)
        frame = self.monitor.frame(base, dataset, trainer)
        return _with_state(frame, schedule_parameters(process), self.noise.config())

    # --- A / B -----------------------------------------------------------------------------------------------
    def pin(self, process, trainer) -> None:
        """Keep `process` (and the trained model, if any) as schedule A."""
        self._pinned = (process, copy.deepcopy(trainer.ema) if trainer is not None else None)

    @property
    def pinned(self) -> bool:
        return self._pinned is not None

    @property
    def pinned_schedule(self):
        """A as (process, EMA model or None), or None when nothing is pinned."""
        return self._pinned

    def compare(self, dataset, process, trainer, *, sampler: str, n: int, seed: int,
                nfe: int | None = None) -> fr.ScheduleComparison:
        """A (pinned) against the current schedule B: the learned scores when both have a model, else the exact
        score of the noised data for both (the schedule's effect on sampling alone)."""
        process_a, model_a = self._pinned
        learned = model_a is not None and trainer is not None
        a_score = score_function(dataset, process_a, model_a if learned else None)
        b_score = score_function(dataset, process, trainer.ema if learned else None)
        n = min(n, DEFAULT_PARTICLES)
        a = sample_schedule(dataset, process_a, label="A", sampler=sampler, n=n, seed=seed, nfe=nfe, score=a_score)
        b = sample_schedule(dataset, process, label="B", sampler=sampler, n=n, seed=seed, nfe=nfe, score=b_score)
        return fr.ScheduleComparison(a=a, b=b)


def _with_state(frame: fr.ScheduleFrame, parameters: dict, noise: dict) -> fr.ScheduleFrame:
    return dataclasses.replace(frame, parameters=parameters, noise=noise)
