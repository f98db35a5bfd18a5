"""Training in ticks while a person watches: a `Trainer` advanced by a time budget, its read-out, and the time it
takes until the learned field matches the exact one.

The match is measured as in the window's status line: the median relative error of the EMA model's score
against the exact score of the noised data, at the middle σ of the process, on a 32-per-axis grid over the data
(`names.MATCH_THRESHOLD`). Qt-free: a test calls `train_for` and `frame()` directly.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from scoreviz.core.device import resolve_device
from scoreviz.core.exact_grid import exact_on_grid, grid_points
from scoreviz.core.schedule.training_noise import TrainingNoise
from scoreviz.core.recipes.points import mlp_config
from scoreviz.core.training import TrainConfig, Trainer, TrainingDiverged
from scoreviz.names import DEFAULT_POINT_MODEL_SIZE, DEVICES, LOSSES, MATCH_THRESHOLD, POINT_MODEL_SIZES, PROCESSES

from scoreviz.lab import frames as fr
from scoreviz.lab.clock import Clock, wall_clock
from scoreviz.lab.commands import Configure
from scoreviz.lab.field import geometric_mid, relative_error
from scoreviz.lab.rate_meter import RateMeter, StepCost

#: The loss curve sent to the window is averaged down to at most this many points.
MAX_HISTORY = 2000
#: Points per axis of the grid the middle-σ error is measured on.
MATCH_GRID = 32
#: The live recipe differs from `scoreviz train` in three ways: an open-ended run (no cosine decay: nobody knows
#: when the person stops), a short warm-up with a fast EMA, so the field changes from the first seconds
#: (warm-up 20 needs ~10 % fewer steps to match than 100; `scoreviz bench --only gui`), and antithetic noise
#: (core.losses). The match is limited by the DSM gradient's noise at the middle σ, where the data hide most of
#: ε (the floor there is 0.83 on rings): half the batch (512) never matches rings in 2,500 steps, twice (2048)
#: halves the steps at twice the cost, an EMA of 0.995 or a slower EMA warm-up changes nothing. Pairs ±ε cancel
#: the gradient's odd part at no cost per step: steps to match on rings 1310/1780/1920 → 780/960/1090 (seeds
#: 0/1/2), 20–40 % fewer on the other 2-D presets (`python -m scoreviz.bench.match`).
LIVE_TRAINING = dict(steps=None, warmup=20, ema_decay=0.99, antithetic=True)
#: Noise-level bins of the loss per σ (the schedule lab's resolution).
LOSS_BINS = 32


class LiveTraining:
    """Settings, the trainer (built on the first `start`), and the timing of one live run (on `clock`,
    lab.clock)."""

    def __init__(self, clock: Clock = wall_clock):
        self.clock = clock
        self.process_name = "ve"
        self.loss = "dsm"
        self.model_size = DEFAULT_POINT_MODEL_SIZE
        self.device_name = "auto"
        self.device = torch.device("cpu")
        self.batch_size = 1024      # fewer, larger steps: per-step overhead dominates the small 2-D models
        self.lr = 1e-2
        self.seed = 0
        self.noise = TrainingNoise()   # the training side of the schedule (the schedule lab sets it)
        self.trainer: Trainer | None = None
        self.running = False
        self._started = math.nan
        self._seconds = 0.0          # training time before the current stretch
        self.time_to_match = math.nan
        self.mid_error = math.nan
        self._match_cache = None
        self._rate = RateMeter(clock=clock)
        #: what one optimiser step takes (a step is started only if it should end in time)
        self.step_cost = StepCost()

    # --- settings --------------------------------------------------------------------------------------------
    def configure(self, settings: Configure) -> tuple[bool, str | None]:
        """Apply new settings (None fields keep theirs); (whether the model must be rebuilt, a warning or None).
        A name that is not one of `names`' choices is a ValueError before anything changes; an unavailable
        device falls back to the CPU with a warning."""
        for value, known, what in ((settings.process, PROCESSES, "process"), (settings.loss, LOSSES, "loss"),
                                   (settings.model_size, POINT_MODEL_SIZES, "model size"),
                                   (settings.device, DEVICES, "device")):
            if value is not None and value not in known:
                raise ValueError(f"unknown {what} {value!r}; choose one of {', '.join(known)}")
        old = self._key()
        keep = lambda value, current: current if value is None else value   # noqa: E731
        self.process_name = keep(settings.process, self.process_name)
        self.loss = keep(settings.loss, self.loss)
        self.model_size = keep(settings.model_size, self.model_size)
        self.batch_size = int(keep(settings.batch_size, self.batch_size))
        self.lr = float(keep(settings.lr, self.lr))
        self.seed = int(keep(settings.seed, self.seed))
        warning = None
        device_name = keep(settings.device, self.device_name)
        try:
            self.device = resolve_device(device_name)
            self.device_name = device_name
        except ValueError as exc:
            warning = f"{exc}; using the CPU"
            self.device_name, self.device = "cpu", torch.device("cpu")
        return self._key() != old, warning

    def _key(self) -> tuple:
        return (self.process_name, self.loss, self.model_size, self.device_name, self.batch_size, self.lr)

    # --- the run ---------------------------------------------------------------------------------------------
    def _new_trainer(self, dataset, process, net_config=None) -> Trainer:
        config = TrainConfig(batch_size=self.batch_size, lr=self.lr, loss=self.loss, seed=self.seed,
                             noise=self.noise, n_loss_bins=LOSS_BINS, **LIVE_TRAINING)
        self._seconds, self.time_to_match, self.mid_error = 0.0, math.nan, math.nan
        return Trainer(dataset.train.to(self.device), process, net_config or mlp_config(dataset.dim, self.model_size),
                       config, self.device)

    def restore(self, dataset, process, net_config, model_state: dict, ema_state: dict, steps: int) -> None:
        """Go on from a saved model (a session or a checkpoint): its weights, EMA and step count (paused)."""
        self.running = False
        self.trainer = self._new_trainer(dataset, process, net_config)
        self.trainer.model.load_state_dict(model_state)
        self.trainer.ema.load_state_dict(ema_state)
        self.trainer.step_count = int(steps)

    def start(self, dataset, process) -> None:
        """Train from now on (a new trainer on `dataset` under `process` if there is none)."""
        if self.trainer is None:
            self.trainer = self._new_trainer(dataset, process)
        if not self.running:
            self._started = self.clock()
            self._rate.clear()
        self.running = True

    def pause(self) -> None:
        if self.running:
            self._seconds += self.clock() - self._started
        self.running = False

    def reset(self) -> None:
        """Forget the model (a new one on the next start)."""
        self.trainer = None
        self.running = False
        self._seconds, self.time_to_match, self.mid_error = 0.0, math.nan, math.nan

    def set_data(self, dataset) -> None:
        """Go on training on edited points (same process and model)."""
        if self.trainer is not None:
            self.trainer.set_data(dataset.train.to(self.device))

    def seconds(self) -> float:
        """Training time so far (pauses excluded)."""
        return self._seconds + (self.clock() - self._started if self.running else 0.0)

    def train_for(self, budget: float, end: float | None = None, min_steps: int = 1) -> str | None:
        """Optimiser steps for about `budget` seconds, each started only if it should end in time (the first may
        take longer than the budget), none that should end after `end` (a time on the clock), and at least
        `min_steps`; an error message if training diverged (the run is then paused with the last good weights)."""
        now = self.clock()
        limit, end = now + budget, math.inf if end is None else end
        taken = 0
        try:
            while taken < min_steps or (now + self.step_cost.seconds <= end
                                         and (taken == 0 or now + self.step_cost.seconds <= limit)):
                self.trainer.step()
                taken += 1
                later = self.clock()
                self.step_cost.add(later - now)
                now = later
        except TrainingDiverged as exc:
            self.pause()
            return str(exc)
        finally:
            if taken:
                self.trainer.note_rate(self._rate.mark(self.trainer.step_count))
        return None

    # --- how close the learned field is ----------------------------------------------------------------------
    def learned_score(self, pts: torch.Tensor, sigma: float) -> torch.Tensor | None:
        """The EMA model's score at pts (M, D) float32 → (M, D) float64 on the CPU; None without a model."""
        if self.trainer is None:
            return None
        with torch.inference_mode():
            return self.trainer.ema.score(pts.to(self.device), sigma).double().cpu()

    def mid_sigma(self) -> float:
        return geometric_mid(*self.trainer.process.noise_range()) if self.trainer is not None else math.nan

    def measure_match(self, dataset, version: int) -> float:
        """The middle-σ error now; the first time it is ≤ MATCH_THRESHOLD, the training time is the time to match."""
        if self.trainer is None or dataset is None:
            return math.nan
        sigma = self.mid_sigma()
        key = (version, sigma)
        if self._match_cache is None or self._match_cache[0] != key:
            self._match_cache = (key, *exact_over_data(dataset, MATCH_GRID, sigma))
        _, pts, exact = self._match_cache
        self.mid_error = relative_error(self.learned_score(pts, sigma), exact)
        if math.isnan(self.time_to_match) and self.mid_error <= MATCH_THRESHOLD:
            self.time_to_match = self.seconds()
        return self.mid_error

    # --- read-out --------------------------------------------------------------------------------------------
    def frame(self, mid_sigma: float) -> fr.TrainingFrame:
        """The read-out for the window; `mid_sigma` is the process's middle σ (shown before a model exists)."""
        common = dict(running=self.running, device=str(self.device), mid_sigma=mid_sigma, train_seconds=self.seconds())
        if self.trainer is None:
            return fr.TrainingFrame(step=0, loss=math.nan, smoothed_loss=math.nan, loss_history=np.zeros(0),
                                    history_steps=np.zeros(0), level_edges=np.zeros(0), level_losses=np.zeros(0),
                                    steps_per_second=0.0, mid_error=math.nan, time_to_match=math.nan, **common)
        s = self.trainer.stats()
        history, steps = downsample(s.loss_history, MAX_HISTORY)
        return fr.TrainingFrame(step=s.step, loss=s.loss, smoothed_loss=s.smoothed_loss, loss_history=history,
                                history_steps=steps, level_edges=s.level_edges, level_losses=s.level_losses,
                                steps_per_second=s.steps_per_second, mid_error=self.mid_error,
                                time_to_match=self.time_to_match, **common)


def downsample(history: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """(values, 1-based steps) of a loss history averaged in blocks so that at most `limit` points remain (the
    newest steps are kept whole blocks; each block is labelled with its last step)."""
    steps = np.arange(1, len(history) + 1)
    if len(history) <= limit:
        return history, steps
    stride = int(math.ceil(len(history) / limit))
    m = len(history) // stride * stride
    return history[len(history) - m:].reshape(-1, stride).mean(1), steps[len(steps) - m:].reshape(-1, stride)[:, -1]


def exact_over_data(dataset, n: int, sigma: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Points where the data matter (float32) and the exact score there (float64): an n-per-axis grid over the
    data's display box in 1-D and 2-D; in D ≥ 3 (where a grid would be n^D points) n² data points noised at σ."""
    if dataset.dim > 2:
        g = torch.Generator().manual_seed(0)
        data = dataset.train.double()
        pts = data[torch.randint(0, data.shape[0], (n * n,), generator=g)]
        pts = pts + sigma * torch.randn(pts.shape, generator=g, dtype=torch.float64)
        return pts.float(), dataset.exact_score(pts, sigma).double()
    lo, hi = dataset.bounds(0.15)
    axes = [np.linspace(float(a), float(b), n) for a, b in zip(lo, hi)]
    if len(axes) == 1:
        pts = torch.from_numpy(axes[0][:, None])
        return pts.float(), dataset.exact_score(pts, sigma).double()
    score, _ = exact_on_grid(dataset, axes[0], axes[1], sigma)
    return torch.from_numpy(grid_points(axes[0], axes[1])).float(), torch.from_numpy(score)
