"""Particles following a sampler, advanced by a budget of steps and time, coloured by the mode they are in.

`Particles` owns one sampler run (a generator of `SamplerStep`s from core.samplers), plays it at a number of
steps per second, stops it at its end or when a step is not finite, and reports a `ParticleFrame`: with the
paths of a few particles (lab.trajectories) and the network evaluations made so far, counted where the sampler
calls the score (`CountedScore`), against those its run will make (core.sampler_runs.planned_nfe). Qt-free: a
test releases, calls `advance(n)` and reads `frame()`.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from scoreviz.core.recipes.points import sampling_options
from scoreviz.core.sampler_registry import sampler_entry
from scoreviz.core.sampler_runs import planned_nfe, run_sampler
from scoreviz.core.samplers import ScoreFunction

from scoreviz.lab import frames as fr
from scoreviz.lab.clock import Clock, wall_clock
from scoreviz.lab.level_diagnostics import REFERENCE_SNR, LevelDiagnostics
from scoreviz.lab.rate_meter import StepCost
from scoreviz.lab.run_lengths import window_options
from scoreviz.lab.trajectories import Trajectories

#: Particles released at a clicked point start in a small cloud: this fraction of the data's std.
ORIGIN_SPREAD = 0.02
DEFAULT_SPEED = 240.0          # sampler steps per second; 0 = as fast as the budget allows
#: At most this many seconds of steps are owed after a stall (the animation catches up, then keeps its pace).
MAX_CATCH_UP = 0.25


class CountedScore(ScoreFunction):
    """`score` with a count of its evaluations. Every sampler evaluates the score through `at_level` (the call
    s(x, t) and Tweedie's denoising step go through it), once per evaluation of the whole batch whatever its
    chunks, so `calls` is the run's NFE."""

    def __init__(self, score: ScoreFunction):
        super().__init__(score.ve_score, score.process, score.chunk)
        self.inner = score
        self.calls = 0

    def at_level(self, y: torch.Tensor, noise_level: float) -> torch.Tensor:
        self.calls += 1
        return self.inner.at_level(y, noise_level)


class Particles:
    """One sampler run at a time; `release` starts one, `advance`/`advance_due` move it, `frame()` reports it.
    `clock` times the steps owed at the speed, the step cost and the deadlines (lab.clock)."""

    def __init__(self, clock: Clock = wall_clock):
        self.clock = clock
        self.request: fr.ParticleRequest | None = None
        self.x: torch.Tensor | None = None
        self.step = None               # the last SamplerStep
        self.running = False
        self.speed = DEFAULT_SPEED
        self.serial = 0                # one per release or reset (the window restarts trails on a new one)
        self.mixture = None            # the data's modes, when they are known (for the colours and the shares)
        self.diagnostics = LevelDiagnostics()
        #: lab.recording.RunRecorder while a clip is recorded: told of every release, step and end, in order
        self.observer = None
        self._run = None               # the sampler's generator
        self.nfe = 0                   # network evaluations the current run makes (its request's budget or less)
        self._score: CountedScore | None = None
        self.trajectories = Trajectories()   # the paths of a few particles, from the release to the end
        self._generator = torch.Generator().manual_seed(0)
        self._due = 0.0
        self._last = self.clock()
        #: what one sampler step takes (what the frame pacing plans with)
        self.step_cost = StepCost()
        #: sampler steps taken since the session began (a tick compares it to see whether it did any)
        self.steps_taken = 0

    @property
    def active(self) -> bool:
        """A run is going (playing or paused) and has steps left."""
        return self._run is not None

    # --- commands --------------------------------------------------------------------------------------------
    def release(self, request: fr.ParticleRequest, score: ScoreFunction, *, dim: int, sigma: float,
                device: torch.device, data_std: float = 1.0, mixture=None) -> None:
        """Start a run of `request` following `score` in `dim` dimensions: from the process's prior or, with
        `request.origin`, from a small cloud around that point. Raises ValueError for a sampler that cannot run
        (an unknown option, DDPM without VP) before anything changes. `request.steps` is the run's NFE."""
        generator = torch.Generator().manual_seed(request.seed)   # the same request gives the same run
        if request.origin is not None:
            x0 = torch.tensor(request.origin[:dim], dtype=torch.float32) + ORIGIN_SPREAD * data_std * torch.randn(
                (request.n, dim), generator=generator)
        else:
            x0 = score.process.prior_sample((request.n, dim), generator).float()
        x0 = x0.to(device)
        score = CountedScore(score)
        run, self.nfe = self._start(request, score, x0, sigma, request.steps, generator, device)
        self.trajectories.start(x0)
        self.request, self._score, self._generator, self.mixture = request, score, generator, mixture
        self.x, self.step, self._run = x0, None, run
        self.serial += 1
        self.diagnostics.reset(request.name, REFERENCE_SNR, mixture, self.serial)
        self.running = True
        self._due, self._last = 0.0, self.clock()
        if self.observer is not None:
            self.observer.released(self)

    def _start(self, request, score, x, sigma: float, nfe: int, generator, device):
        """(the run, its NFE): `nfe` evaluations at most, with the window's options (run_lengths)."""
        options = sampling_options(request.name, score.process, nfe,
                                   **window_options(sampler_entry(request.name), sigma))
        # a CPU generator cannot draw on another device
        options["generator"] = generator if device.type == "cpu" else None
        return run_sampler(request.name, score, x, **options), planned_nfe(request.name, options)

    def follow_sigma(self, sigma: float) -> None:
        """A sampler at one level runs at the slider's σ: carry on from where the particles are, at the new level,
        with the evaluations left of the request's budget (one per step: NFERule without a final step)."""
        if self.request is not None and sampler_entry(self.request.name).at_one_level and self._run is not None:
            done = self.step.index if self.step is not None else 0
            self._run, rest = self._start(self.request, self._score, self.x, sigma,
                                          max(1, self.request.steps - done), self._generator, self.x.device)
            self.nfe = self._score.calls + rest

    def play(self, on: bool) -> None:
        if on and self._run is None:
            return
        self.running = bool(on)
        self._due, self._last = 0.0, self.clock()

    def reset(self) -> None:
        if self.observer is not None and self._run is not None:
            self.observer.ended(self, "reset")
        self.request = self.x = self.step = self._run = self._score = None
        self.trajectories.clear()
        self.running = False
        self.serial += 1

    def set_speed(self, steps_per_second: float) -> None:
        self.speed = max(0.0, float(steps_per_second))

    # --- advancing -------------------------------------------------------------------------------------------
    def cost_until(self, at: float, budget: float) -> float:
        """Seconds the steps owed by the time `at` will take (`budget` at speed 0, which fills its budget)."""
        if self.speed <= 0:
            return budget
        return min(budget, int(self._owed(at)) * self.step_cost.seconds)

    def _owed(self, now: float) -> float:
        """Steps owed at the time `now` at `speed` steps/s (a fraction carries over to the next call)."""
        return min(self._due + self.speed * (now - self._last), self.speed * MAX_CATCH_UP + 1)

    def advance_due(self, budget: float) -> str | None:
        """The steps owed since the last call at `speed` steps/s (all it can within `budget` seconds at speed 0)."""
        now = self.clock()
        if self.speed <= 0:
            n = 10**9
        else:
            self._due = self._owed(now)
            n = int(self._due)
            self._due -= n
        self._last = now
        return self.advance(n, now + budget) if n > 0 else None

    def advance(self, n: int, deadline: float = math.inf) -> str | None:
        """Up to n steps, stopping at the deadline or the run's end; an error message if the particles diverged
        (they then stay at their last finite positions and the run ends)."""
        start, taken = self.clock(), self.steps_taken
        try:
            return self._advance(n, deadline)
        finally:
            self.step_cost.add(self.clock() - start, self.steps_taken - taken)

    def _advance(self, n: int, deadline: float) -> str | None:
        for _ in range(n):
            if self._run is None:
                break
            try:
                step = next(self._run)
            except StopIteration:
                self._end()
                break
            if not torch.isfinite(step.x).all():
                self._end("diverged")
                return (f"The particles diverged (NaN/inf) at step {step.index}: they were stopped at their last "
                        "finite positions. Try another sampler or train longer.")
            self.x, self.step = step.x, step
            self.trajectories.add(step.x)
            self.steps_taken += 1
            self.diagnostics.add(step)
            if self.observer is not None:
                self.observer.stepped(self)
            if step.index >= step.total:
                self._end()
                break
            if self.clock() >= deadline:
                break
        return None

    def _end(self, reason: str = "finished") -> None:
        self._run = None
        self.running = False
        if self.observer is not None:
            self.observer.ended(self, reason)

    # --- read-out --------------------------------------------------------------------------------------------
    def frame(self, sigma: float) -> fr.ParticleFrame:
        """Positions, the mode each particle is in (the component with the largest responsibility under the
        data's mixture noised at the current level), and the share of particles per mode."""
        req, step = self.request, self.step
        if self.x is None or req is None:
            return fr.ParticleFrame(positions=np.zeros((0, 2), np.float32), labels=None, mode_weights=np.zeros(0),
                                    true_weights=np.zeros(0), sampler="", step=0, total=0, t=math.nan,
                                    noise_level=math.nan, running=False, finished=False, serial=self.serial)
        pos = self.x.detach().float().cpu()
        level = step.noise_level if step is not None else (
            sigma if sampler_entry(req.name).at_one_level else math.nan)
        labels, mode_w, true_w = None, np.zeros(0), np.zeros(0)
        mixture = self.mixture
        if mixture is not None and mixture.dim == pos.shape[1]:
            resp = mixture.responsibilities(pos.double(), level if math.isfinite(level) else 0.0)
            labels = resp.argmax(1).numpy().astype(np.int8)
            mode_w = np.bincount(labels, minlength=mixture.n_components) / max(1, len(labels))
            true_w = mixture.weights.numpy()
        return fr.ParticleFrame(
            positions=pos.numpy(), labels=labels, mode_weights=mode_w, true_weights=true_w, sampler=req.name,
            step=step.index if step else 0, total=step.total if step else req.steps, t=step.t if step else math.nan,
            noise_level=level, running=self.running, finished=self._run is None and step is not None,
            serial=self.serial, trajectories=self.trajectories.paths(), trajectory_index=self.trajectories.index,
            nfe=self._score.calls if self._score is not None else 0, nfe_total=self.nfe)

