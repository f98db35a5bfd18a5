"""The 2-D lab session's schedule-lab commands (a mixin of `session.LabSession`): edit the schedule (a new process
and model), go back to the data's defaults, show the live read-out, pin A and compare A / B."""
from __future__ import annotations

from scoreviz.core.processes import make_process


class ScheduleCommands:
    def schedule(self, options: dict) -> None:
        """New schedule parameters / training noise: a new process and a new model (training goes on)."""
        try:
            overrides, noise = self.schedule_control.set_options(options)
            if self.dataset is not None:
                make_process(self.training.process_name, self._process_data(), **overrides)   # check first
        except (TypeError, ValueError) as exc:
            self.say("warning", f"Schedule not changed: {exc}")
            self._schedule_dirty = True      # the panel shows the schedule in use again
            return
        self.schedule_control.overrides, self.schedule_control.noise = overrides, noise
        self._rebuild_for_schedule("The schedule changed: a new noise process and a new model.")

    def schedule_reset(self, _=None) -> None:
        self.schedule_control.reset()
        self._rebuild_for_schedule("The schedule is back to the data's defaults: a new process and model.")

    def _rebuild_for_schedule(self, message: str) -> None:
        self.training.noise = self.schedule_control.noise
        was_running = self.training.running
        self._reset_model()
        if self.dataset is not None:
            self._make_process()
            if was_running:
                self.train(True)
        self.say("info", message)

    def schedule_visible(self, on: bool) -> None:
        self._schedule_shown = bool(on)
        self._schedule_dirty = self._schedule_shown

    def pin_schedule(self, _=None) -> None:
        if self.process is None:
            return
        self.schedule_control.pin(self.process, self.training.trainer)
        self.say("info", "Schedule A pinned: change the schedule, then compare A / B.")

    def compare_schedules(self, request: dict) -> None:
        """A / B under the particle panel's sampler, count and seed (sampling A and B blocks a few seconds)."""
        if self.dataset is None or self.process is None or not self.schedule_control.pinned:
            self.say("warning", "Pin a schedule as A first, then change it and compare.")
            return
        try:
            self.emit(self.schedule_control.compare(self.dataset, self.process, self.training.trainer, **request))
        except ValueError as exc:
            self.say("warning", str(exc))
