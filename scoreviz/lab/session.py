"""The 2-D lab's session: data, noise process, live training, score field and particles, driven in ticks.

`LabSession` is what the window's compute worker runs, without Qt: `handle(command)` takes one of
`lab.commands`' dataclasses (one dispatch table from command type to handler; an unknown type is a TypeError), and
`tick()` does a few milliseconds of work — the particle steps that are due, the field if it is stale, training
until the next particle frame's beat — and hands out frames through `emit(frame)` and messages through
`say(level, text)`, particle frames on a beat of FRAME_INTERVAL (or the frame rate asked for) and training
read-outs at most TRAINING_INTERVAL apart. A test or a notebook drives it the same way the worker does.

The session owns σ: a request is clamped to the process's noise range and the σ in use is reported
(`frames.SigmaInUse`); the window's slider shows that value.
"""
from __future__ import annotations

import math
from dataclasses import replace
from typing import Callable

from scoreviz.core.samplers import ScoreFunction

from scoreviz.lab import commands as cmd
from scoreviz.lab import frames as fr
from scoreviz.lab.clock import Clock, wall_clock
from scoreviz.lab.data_specs import dataset_from_spec
from scoreviz.lab.field import LiveField, geometric_mid
from scoreviz.lab.frame_pacing import FramePacer
from scoreviz.lab.live_density import LiveDensity
from scoreviz.lab.live_training import LiveTraining
from scoreviz.lab.particles import Particles
from scoreviz.lab.process_frame import process_frame
from scoreviz.lab.recording import RunRecorder
from scoreviz.lab.schedule.commands import ScheduleLab
from scoreviz.lab.schedule.compare import score_function
from scoreviz.lab.schedule.control import ScheduleControl
from scoreviz.lab.session_saving import SavedSessions

FRAME_INTERVAL = 1 / 30        # ~30 particle frames per second while exploring; presentation mode asks for 60
TRAINING_INTERVAL = 0.1        # training read-outs 10 times a second: each one repaints the loss plots on the GUI
                               # thread, which holds the GIL the trainer also needs
DIAGNOSTICS_INTERVAL = 0.1     # the per-level chart (a curve per mode) at most 10 times a second, and at a run's end
TRAIN_BUDGET = 0.008           # seconds of training per tick
SAMPLE_BUDGET = 0.010          # seconds of sampler steps per tick
FIELD_REFRESH = 0.2            # the learned field is redrawn this often while the model trains
MATCH_REFRESH = 0.2            # the middle-σ error is measured this often while the model trains

Emit = Callable[[object], None]
Say = Callable[[str, str], None]


class LabSession:
    """Owns all torch state of the 2-D lab. `emit(frame)` and `say(level, text)` receive what it reports; every
    timing rule reads `clock` (lab.clock: the wall clock in the window, one a test moves in tests). The schedule
    lab (`schedule`) and saved sessions (`saving`) are parts it owns, each with its share of the commands."""

    def __init__(self, emit: Emit, say: Say, clock: Clock = wall_clock):
        self.emit, self.say, self.clock = emit, say, clock
        self.spec: fr.DataSpec | None = None
        self._pending_spec: fr.DataSpec | None = None
        self.dataset = None
        self.process = None
        self.training = LiveTraining(clock)
        self.field = LiveField()
        self.particles = Particles(clock)
        self.schedule_control = ScheduleControl()
        self.schedule = ScheduleLab(self.schedule_control, self.training, self, emit, say, clock)
        self.saving = SavedSessions(self, emit, say)
        self.density = LiveDensity(emit, say, clock)   # the Density view's map and NLL, while shown
        self._pacer = FramePacer(FRAME_INTERVAL)
        self._resume_with_data = False   # Clear paused a running training: resume with the next data
        self._field_dirty = True
        self._particles_dirty = False
        self._training_dirty = False
        self._last_field = self._last_match = self._last_training_out = self._last_diagnostics_out = 0.0
        self.handlers: dict[type, Callable] = {
            cmd.SetData: self.set_data, cmd.Configure: self.configure, cmd.Train: self.train,
            cmd.ResetTraining: self.reset_training, cmd.SetSigma: self.set_sigma, cmd.SetView: self.set_view,
            cmd.FieldOptions: self.field_options, cmd.SetSlice: self.set_slice, cmd.Release: self.release,
            cmd.SamplerPlay: self.sampler_play, cmd.SamplerStep: self.sampler_step,
            cmd.SamplerReset: self.sampler_reset, cmd.SetSpeed: self.set_speed, cmd.SetFrameRate: self.set_frame_rate,
            cmd.Record: self.record, cmd.StopRecording: self.stop_recording,
            **self.schedule.handlers(), **self.saving.handlers(), **self.density.handlers()}

    @property
    def version(self) -> int:
        return self.spec.version if self.spec is not None else -1

    # --- commands --------------------------------------------------------------------------------------------
    def handle(self, command: cmd.LabCommand) -> None:
        """Run `command` (one of lab.commands), applying data that arrived before it first: a command sent right
        after new data (a lesson's scene: data, process, σ, release) acts on the new data. TypeError for a command
        this session has no handler for."""
        handler = self.handlers.get(type(command))
        if handler is None:
            raise TypeError(f"the 2-D lab has no command {type(command).__name__} ({command!r})")
        if not isinstance(command, cmd.SetData):
            self._apply_pending_data()
        handler(command)

    def set_data(self, command: cmd.SetData) -> None:
        """New or edited data, applied at the next tick: a burst of brush strokes costs one rebuild."""
        self._pending_spec = command.spec

    # --- training, the field, the particles ----------------------------------------------------------------
    def configure(self, settings: cmd.Configure) -> None:
        process_before = self.training.process_name
        rebuild, warning = self.training.configure(settings)
        if warning:
            self.say("warning", warning)
        if rebuild:
            self.rebuild(new_process=self.training.process_name != process_before)

    def train(self, command: cmd.Train) -> None:
        self.set_training(command.on)

    def set_training(self, on: bool) -> None:
        """Train from now on, or pause (the worker pauses a session whose tick failed)."""
        self._training_dirty = True
        if not on:
            self.training.pause()
            return
        if self.dataset is None:
            self.training.pause()
            self.say("warning", "The canvas is empty: paint some data or pick a preset before training.")
            return
        self.training.start(self.dataset, self.process)

    def reset_training(self, _: cmd.ResetTraining) -> None:
        self._reset_model()

    def set_sigma(self, command: cmd.SetSigma) -> None:
        """The σ asked for, clamped to the process's noise range (a lesson or a typed value may lie outside the
        slider's range); the σ in use is reported whether or not it changed, so the slider shows the clamp."""
        sigma = float(command.sigma)
        if self.process is not None:
            lo, hi = self.process.noise_range()
            sigma = min(max(sigma, lo), hi)
        if self.field.set_sigma(sigma):
            self._field_dirty = True
            self.particles.follow_sigma(self.field.sigma)
            self._particles_dirty = True
        self.emit(fr.SigmaInUse(self.field.sigma))

    def set_view(self, command: cmd.SetView) -> None:
        if self.field.set_view(command.rect):
            self._field_dirty = True

    def set_frame_rate(self, command: cmd.SetFrameRate) -> None:
        """Particle frames per second (None: the default, 1/FRAME_INTERVAL)."""
        fps = command.fps
        self._pacer.set_interval(FRAME_INTERVAL if not fps else 1.0 / max(1.0, float(fps)))

    def set_slice(self, command: cmd.SetSlice) -> None:
        """D ≥ 3: the plane the field is drawn on."""
        if self.field.set_slice(command.axes, command.point):
            self._field_dirty = True

    def field_options(self, options: cmd.FieldOptions) -> None:
        self.field.set_options(options)
        self._field_dirty = True

    def release(self, command: cmd.Release) -> None:
        request = command.request
        if self.dataset is None or self.process is None:
            self.say("warning", "The canvas is empty: pick a preset or paint some data first.")
            return
        if request.source == "learned" and self.training.trainer is None:
            self.say("info", "No model trained yet: the particles follow the exact score.")
            request = replace(request, source="exact")
        train = self.dataset.train
        try:
            self.particles.release(request, self._score(request.source), dim=self.dataset.dim,
                                   sigma=self.field.sigma, device=self.training.device,
                                   data_std=float(train.std()) if train.shape[0] > 1 else 1.0,
                                   mixture=self.dataset.mixture)
        except ValueError as exc:   # a sampler that cannot run here (DDPM without VP): the old run goes on
            self.say("warning", str(exc))
            return
        self._particles_dirty = True

    def sampler_play(self, command: cmd.SamplerPlay) -> None:
        self.particles.play(command.on)
        self._particles_dirty = True

    def sampler_step(self, _: cmd.SamplerStep) -> None:
        self.particles.play(False)
        self._report(self.particles.advance(1))
        self._particles_dirty = True

    def sampler_reset(self, _: cmd.SamplerReset | None = None) -> None:
        self.particles.reset()
        self._particles_dirty = True

    def set_speed(self, command: cmd.SetSpeed) -> None:
        self.particles.set_speed(command.steps_per_second)

    def record(self, command: cmd.Record) -> None:
        """Start sending lab.recording.ClipFrames (one recorder at a time: one running is stopped first)."""
        self.stop_recording()
        recorder = RunRecorder(self.emit, lambda: self.field.sigma, clip=command.clip, fps=command.fps,
                               seconds=command.seconds, once=command.once)
        self.particles.observer = recorder
        if not recorder.once:
            recorder.join(self.particles)

    def stop_recording(self, _: cmd.StopRecording | None = None) -> None:
        """The end marker follows the frames already sent."""
        old, self.particles.observer = self.particles.observer, None
        if old is not None:
            old.stop()

    # --- data, process, model (also what the schedule lab and saved sessions reach) ---------------------------
    def _apply_pending_data(self) -> None:
        spec, self._pending_spec = self._pending_spec, None
        if spec is None:
            return
        try:
            dataset = dataset_from_spec(spec)
        except Exception as exc:
            self.say("error", f"Could not use the data: {exc}")
            return
        self.spec, self.dataset = spec, dataset
        self.field.set_data(dataset, spec.version)
        self._field_dirty = True
        if dataset is None:  # the empty canvas: keep the model, stop what needs data
            if self.training.running:
                self.set_training(False)
                self._resume_with_data = True
                self.say("warning", "The canvas is empty: training paused until there are data again.")
            self.sampler_reset()
            return
        resume, self._resume_with_data = self._resume_with_data, False
        if spec.reset or self.training.trainer is None or self.process is None:
            self._reset_model()
            self.use_process()
        else:
            try:
                self.training.set_data(dataset)
            except ValueError as exc:
                self.say("error", str(exc))
            self.emit(self._process_frame())
        if resume:       # the run that Clear paused goes on with the new data (an edit keeps the model)
            self.set_training(True)
            self.say("info", "Training goes on with the new data.")

    def adopt_data(self, spec: fr.DataSpec, dataset) -> None:
        """Use these data from now on (a saved session's): data waiting to be applied are dropped."""
        self.spec, self.dataset, self._pending_spec = spec, dataset, None
        self.field.set_data(dataset, spec.version)

    def process_data(self):
        """The points a process's data-derived defaults are fitted to (None for a single point)."""
        return self.dataset.train if self.dataset.train.shape[0] > 1 else None

    def use_process(self, process=None) -> None:
        """Use `process` (None: make one for the data under the schedule now set); σ is clamped into its range,
        and the process and σ are reported."""
        self.process = process if process is not None else \
            self.schedule_control.make(self.training.process_name, self.process_data())
        self.schedule.stale = True
        self.field.set_process(self.process)
        self._field_dirty = True
        self.field.clamp_sigma(*self.process.noise_range())
        self.emit(self._process_frame())
        self.emit(fr.SigmaInUse(self.field.sigma))

    def rebuild(self, new_process: bool) -> None:
        """A new model (and, with data, a new process when asked); training goes on if it ran."""
        was_running = self.training.running
        self._reset_model()
        if new_process and self.dataset is not None:
            self.use_process()
        if was_running:
            self.set_training(True)

    def mark_stale(self) -> None:
        """Every read-out is to be sent again (a session was opened)."""
        self._field_dirty = self._training_dirty = self._particles_dirty = self.schedule.stale = True

    def _process_frame(self) -> fr.ProcessFrame:
        return process_frame(self.process, device=str(self.training.device), data_version=self.version,
                             sigma=self.field.sigma)

    def _reset_model(self) -> None:
        self.training.reset()
        self._training_dirty = True
        self._field_dirty = True

    def _score(self, source: str) -> ScoreFunction:
        trainer = self.training.trainer
        learned = source == "learned" and trainer is not None
        return score_function(self.dataset, self.process, trainer.ema if learned else None)

    def _report(self, error: str | None) -> None:
        if error:
            self.say("error", error)

    # --- the tick --------------------------------------------------------------------------------------------
    def tick(self) -> tuple[bool, bool]:
        """A few ms of work. Returns (busy: work was done and more may wait, so tick again at once; pending:
        frames or steps wait for their time, so tick again soon).

        The order keeps the particle frames on their beat (lab.frame_pacing): the sampler's steps and the frame
        first, then the read-outs that go stale while training (the field, the middle-σ error, the schedule),
        on a tick that just sent a frame while particles play, and last the optimiser steps that fit before the
        next beat."""
        busy = False
        if self._pending_spec is not None:
            self._apply_pending_data()
            busy = True
        playing = self.particles.running and self.particles.active
        training = self.training.running and self.training.trainer is not None
        sent = False
        start = self.clock()
        budget = self._pacer.sampler_budget(start, SAMPLE_BUDGET, training, self.particles.step_cost.seconds)
        if playing and budget > 0:
            taken = self.particles.steps_taken
            self._report(self.particles.advance_due(budget))
            self._pacer.sampler_used(self.clock() - start, self.particles.steps_taken - taken)
            if self.particles.steps_taken > taken:
                self._particles_dirty = busy = True
        if self._particles_dirty and self._pacer.due(self.clock()):
            self._emit_particles()
            sent = busy = True
        if sent or not playing:
            busy |= self._refresh_read_outs(training)
        if training:
            busy |= self._train(playing)
        self._emit_training_due()
        return busy, self._particles_dirty or self._training_dirty or playing or training

    def _refresh_read_outs(self, training: bool) -> bool:
        """The middle-σ error, the schedule read-out, the field and the density view, where stale; True if any was
        refreshed."""
        now = self.clock()
        if training:
            if now - self._last_match > MATCH_REFRESH:
                self._last_match = now
                self.training.measure_match(self.dataset, self.version)
            if now - self._last_field > FIELD_REFRESH and self.field.kind != "exact":
                self._field_dirty = True
            self.schedule.age(now)
        if self.dataset is None or self.process is None:
            return False
        refreshed = self.schedule.refresh()
        if self._field_dirty:
            self._field_dirty = False
            self._last_field = self.clock()
            frame = self.field.frame(self.training.learned_score)
            if frame is not None:
                self.emit(frame)
            refreshed = True
        return self.density.refresh(self) or refreshed

    def _train(self, playing: bool) -> bool:
        """Optimiser steps for TRAIN_BUDGET, or, while particles play, those that fit before the sampler's steps
        for the next frame must start (at least one every frame_pacing.STARVATION_S); True if any was taken."""
        end, min_steps = None, 1
        if playing:
            end, min_steps = self._pacer.training_deadline(
                self.clock(), self.particles.cost_until(self._pacer.next_at, SAMPLE_BUDGET))
        before = self.training.trainer.step_count
        error = self.training.train_for(TRAIN_BUDGET, end, min_steps)
        if error:          # training stopped, maybe before its first step of this batch: the window must see it
            self._report(error)
            self._training_dirty = True
        if self.training.trainer is None or self.training.trainer.step_count == before:
            return False
        self._pacer.trained_at = self.clock()
        self._training_dirty = True
        return True

    def _emit_particles(self) -> None:
        self._particles_dirty = False
        self._pacer.sent(self.clock())
        frame = self.particles.frame(self.field.sigma)
        self.emit(frame)
        now = self.clock()
        if self.particles.diagnostics.active and (now - self._last_diagnostics_out >= DIAGNOSTICS_INTERVAL
                                                  or not frame.running):
            self._last_diagnostics_out = now      # the same step's mode shares, not computed twice
            self.emit(self.particles.diagnostics.frame(frame.mode_weights))

    def _emit_training_due(self) -> None:
        now = self.clock()
        if self._training_dirty and now - self._last_training_out >= TRAINING_INTERVAL:
            self._training_dirty = False
            self._last_training_out = now
            mid = geometric_mid(*self.process.noise_range()) if self.process is not None else math.nan
            self.emit(self.training.frame(mid))

    def close(self) -> None:
        """Drop the torch state (the worker's shutdown)."""
        self.particles.reset()
        self.training.reset()
