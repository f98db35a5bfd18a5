"""The 2-D lab's session: data, noise process, live training, score field and particles, driven in ticks.

`LabSession` is what the window's compute worker runs, without Qt: commands are plain method calls (the names
in COMMANDS), and `tick()` does a few milliseconds of work — the particle steps that are due, the field if it
is stale, training until the next particle frame's beat — and hands out frames through `emit(frame)` and
messages through `say(level, text)`, particle frames on a beat of FRAME_INTERVAL (or the `frame_rate` asked
for) and training read-outs at most TRAINING_INTERVAL apart. A test or a notebook drives it the
same way the worker does.
"""
from __future__ import annotations

import math
from dataclasses import replace
from typing import Callable

from scoreviz.core.samplers import ScoreFunction

from scoreviz.lab import frames as fr
from scoreviz.lab.clock import Clock, wall_clock
from scoreviz.lab.data_specs import dataset_from_spec
from scoreviz.lab.field import LiveField, geometric_mid
from scoreviz.lab.frame_pacing import FramePacer
from scoreviz.lab.live_training import LiveTraining
from scoreviz.lab.particles import Particles
from scoreviz.lab.process_frame import process_frame
from scoreviz.lab.recording import RunRecorder
from scoreviz.lab.schedule.compare import score_function
from scoreviz.lab.schedule.control import ScheduleControl
from scoreviz.lab.session_saving import SavedSessions
from scoreviz.lab.schedule.commands import ScheduleCommands

FRAME_INTERVAL = 1 / 30        # ~30 particle frames per second while exploring; presentation mode asks for 60
TRAINING_INTERVAL = 0.1        # training read-outs 10 times a second: each one repaints the loss plots on the GUI
                               # thread, which holds the GIL the trainer also needs
DIAGNOSTICS_INTERVAL = 0.1     # the per-level chart (a curve per mode) at most 10 times a second, and at a run's end
TRAIN_BUDGET = 0.008           # seconds of training per tick
SAMPLE_BUDGET = 0.010          # seconds of sampler steps per tick
FIELD_REFRESH = 0.2            # the learned field is redrawn this often while the model trains
MATCH_REFRESH = 0.2            # the middle-σ error is measured this often while the model trains
SCHEDULE_REFRESH = 1.0         # the loss per σ, its floor and the error per σ, this often while the model trains
#: Langevin steps per level the schedule's rules assume (annealed Langevin's default length).
RULE_STEPS_EACH = 100

Emit = Callable[[object], None]
Say = Callable[[str, str], None]


class LabSession(ScheduleCommands, SavedSessions):
    """Owns all torch state of the 2-D lab. `emit(frame)` and `say(level, text)` receive what it reports; every
    timing rule reads `clock` (lab.clock: the wall clock in the window, one a test moves in tests)."""

    COMMANDS = ("data", "configure", "train", "reset_training", "sigma", "view", "field_options", "release",
                "sampler_play", "sampler_step", "sampler_reset", "speed", "schedule", "schedule_reset",
                "pin_schedule", "compare_schedules", "schedule_visible", "save_session", "open_session", "record",
                "slice_options", "frame_rate")

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
        self._pacer = FramePacer(FRAME_INTERVAL)
        self._resume_with_data = False   # Clear paused a running training: resume with the next data
        self._schedule_dirty = False
        self._schedule_shown = False   # the read-out (and its floor, ~1 s for a large point set) only when seen
        self._last_schedule = 0.0
        self._field_dirty = True
        self._particles_dirty = False
        self._training_dirty = False
        self._last_field = self._last_match = self._last_training_out = self._last_diagnostics_out = 0.0

    @property
    def version(self) -> int:
        return self.spec.version if self.spec is not None else -1

    # --- commands --------------------------------------------------------------------------------------------
    def data(self, spec: fr.DataSpec) -> None:
        """New or edited data, applied at the next tick: a burst of brush strokes costs one rebuild."""
        self._pending_spec = spec

    def handle(self, name: str, payload) -> None:
        """Run the command `name` (one of COMMANDS), applying data that arrived before it first: a command sent
        right after new data (a lesson's scene: data, process, σ, release) acts on the new data."""
        if name != "data":
            self._apply_pending_data()
        getattr(self, name)(payload)

    # --- training, the field, the particles ----------------------------------------------------------------
    def configure(self, options: dict) -> None:
        process_before = self.training.process_name
        rebuild, warning = self.training.configure(options)
        if warning:
            self.say("warning", warning)
        if rebuild:
            was_running = self.training.running
            self._reset_model()
            if self.training.process_name != process_before and self.dataset is not None:
                self._make_process()
            if was_running:
                self.train(True)

    def train(self, on: bool) -> None:
        self._training_dirty = True
        if not on:
            self.training.pause()
            return
        if self.dataset is None:
            self.training.pause()
            self.say("warning", "The canvas is empty: paint some data or pick a preset before training.")
            return
        self.training.start(self.dataset, self.process)

    def reset_training(self, _=None) -> None:
        self._reset_model()

    def sigma(self, sigma: float) -> None:
        if self.field.set_sigma(sigma):
            self._field_dirty = True
            self.particles.follow_sigma(self.field.sigma)
            self._particles_dirty = True

    def view(self, rect) -> None:
        if self.field.set_view(rect):
            self._field_dirty = True

    def frame_rate(self, fps: float | None) -> None:
        """Particle frames per second (None: the default, 1/FRAME_INTERVAL)."""
        self._pacer.set_interval(FRAME_INTERVAL if not fps else 1.0 / max(1.0, float(fps)))

    def slice_options(self, options: dict) -> None:
        """D ≥ 3: the plane the field is drawn on ({"axes": (i, j), "point": [D values]})."""
        if self.field.set_slice(options["axes"], options["point"]):
            self._field_dirty = True

    def field_options(self, options: dict) -> None:
        self.field.set_options(options)
        self._field_dirty = True

    def release(self, request: fr.ParticleRequest) -> None:
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

    def sampler_play(self, on: bool) -> None:
        self.particles.play(on)
        self._particles_dirty = True

    def sampler_step(self, _=None) -> None:
        self.particles.play(False)
        self._report(self.particles.advance(1))
        self._particles_dirty = True

    def sampler_reset(self, _=None) -> None:
        self.particles.reset()
        self._particles_dirty = True

    def speed(self, steps_per_second: float) -> None:
        self.particles.set_speed(steps_per_second)

    def record(self, options: dict | None) -> None:
        """Start sending lab.recording.ClipFrames (options: RunRecorder's keywords: clip, fps, seconds, once,
        hold) or stop (None: the end marker follows the frames already sent). One recorder at a time."""
        old = self.particles.observer
        if old is not None:
            old.stop()
        self.particles.observer = None
        if options:
            recorder = RunRecorder(self.emit, lambda: self.field.sigma, **options)
            self.particles.observer = recorder
            if not recorder.once:
                recorder.join(self.particles)

    # --- data, process, model --------------------------------------------------------------------------------
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
                self.train(False)
                self._resume_with_data = True
                self.say("warning", "The canvas is empty: training paused until there are data again.")
            self.sampler_reset()
            return
        resume, self._resume_with_data = self._resume_with_data, False
        if spec.reset or self.training.trainer is None or self.process is None:
            self._reset_model()
            self._make_process()
        else:
            try:
                self.training.set_data(dataset)
            except ValueError as exc:
                self.say("error", str(exc))
            self.emit(self._process_frame())
        if resume:       # the run that Clear paused goes on with the new data (an edit keeps the model)
            self.train(True)
            self.say("info", "Training goes on with the new data.")

    def _process_data(self):
        return self.dataset.train if self.dataset.train.shape[0] > 1 else None

    def _make_process(self) -> None:
        self.process = self.schedule_control.make(self.training.process_name, self._process_data())
        self._schedule_dirty = True
        self.field.clamp_sigma(*self.process.noise_range())
        self.emit(self._process_frame())

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
        """The middle-σ error, the schedule read-out and the field, where stale; True if any was refreshed."""
        now = self.clock()
        if training:
            if now - self._last_match > MATCH_REFRESH:
                self._last_match = now
                self.training.measure_match(self.dataset, self.version)
            if now - self._last_field > FIELD_REFRESH and self.field.kind != "exact":
                self._field_dirty = True
            if now - self._last_schedule > SCHEDULE_REFRESH:
                self._schedule_dirty = True
        if self.dataset is None or self.process is None:
            return False
        refreshed = False
        if self._schedule_dirty and self._schedule_shown:
            self._emit_schedule()
            refreshed = True
        if self._field_dirty:
            self._field_dirty = False
            self._last_field = self.clock()
            frame = self.field.frame(self.training.learned_score)
            if frame is not None:
                self.emit(frame)
            refreshed = True
        return refreshed

    def _train(self, playing: bool) -> bool:
        """Optimiser steps for TRAIN_BUDGET, or, while particles play, those that fit before the sampler's steps
        for the next frame must start (at least one every frame_pacing.STARVATION_S); True if any was taken."""
        end, min_steps = None, 1
        if playing:
            end, min_steps = self._pacer.training_deadline(
                self.clock(), self.particles.cost_until(self._pacer.next_at, SAMPLE_BUDGET))
        before = self.training.trainer.step_count
        self._report(self.training.train_for(TRAIN_BUDGET, end, min_steps))
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

    def _emit_schedule(self) -> None:
        self._schedule_dirty = False
        self._last_schedule = self.clock()
        try:
            self.emit(self.schedule_control.frame(self.dataset, self.version, self.process, self.training.trainer,
                                          RULE_STEPS_EACH, self.process.levels()))
        except Exception as exc:   # the read-out must never stop training: say what failed, once
            self.say("error", f"schedule read-out: {type(exc).__name__}: {exc}")

    def close(self) -> None:
        """Drop the torch state (the worker's shutdown)."""
        self.particles.reset()
        self.training.reset()
