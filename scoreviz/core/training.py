"""Training a noise-conditional score model: one optimiser step at a time, with EMA and a divergence guard.

The loop owns every piece of torch state (model, EMA copy, optimiser, RNG), so a GUI worker thread can hold a
`Trainer` and call `step()` in short ticks, and the command line can call `train()`. The trainer's own state
(`planned_steps`, `guide`) changes as it runs; its `config` never does. `training_state()` is all of that state
besides the weights, so a run saved in a checkpoint continues bit for bit (checkpoint.resume_trainer); under
torchrun, core.distributed makes one Trainer per process data-parallel.
"""
from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
from torch import Tensor

from scoreviz.core.losses import LOSSES
from scoreviz.core.model import Denoiser, build_denoiser
from scoreviz.core.schedule.training_noise import TrainingNoise
from scoreviz.core.processes import NoiseProcess


class TrainingDiverged(RuntimeError):
    """The loss became NaN/inf. The trainer has already put back the last good weights."""


@dataclass
class TrainConfig:
    steps: int | None = 4000     # planned length (sets the learning-rate schedule); None: open-ended, constant lr
    batch_size: int = 512
    lr: float = 1e-2
    warmup: int = 100
    final_lr_fraction: float = 0.05
    ema_decay: float = 0.999     # reached after a warm-up of min(decay, (1+k)/(10+k))
    loss: str = "dsm"            # "dsm" or "ssm"
    grad_clip: float = 1.0
    seed: int = 0
    n_loss_bins: int = 32       # log-spaced σ̃ bins of the per-level loss (TrainStats.level_losses)
    snapshot_every: int = 100    # how often the divergence guard keeps a copy of good weights
    label_dropout: float = 0.0   # with labels: the fraction replaced by the null label (classifier-free guidance)
    amp: bool = False            # bfloat16 autocast on CUDA (ignored elsewhere)
    guide_fraction: float | None = None   # autoguidance: keep an early EMA as Trainer.guide (update_guide)
    noise: TrainingNoise = field(default_factory=TrainingNoise)   # σ̃ distribution and loss weighting
    antithetic: bool = False     # pairs share x₀ and σ̃ and take noises ε and −ε (core.losses; half the draws)
    stable_target: bool = False  # DSM / FM against the noise's posterior mean over the batch (core.losses; STF)

    def __post_init__(self):
        if isinstance(self.noise, dict):   # from a saved config
            self.noise = TrainingNoise.from_config(self.noise)
        if self.n_loss_bins < 1:
            raise ValueError(f"n_loss_bins must be ≥ 1 (got {self.n_loss_bins})")
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}; choose one of {', '.join(LOSSES)}")
        if self.batch_size < 1 or not (0 < self.lr < 1) or not (0 <= self.ema_decay < 1):
            raise ValueError("batch size must be ≥ 1, learning rate in (0, 1) and EMA decay in [0, 1)")
        if self.stable_target and self.loss == "ssm":
            raise ValueError("a stable target needs the noise that made y: use it with dsm (or flow matching), "
                             "not ssm")
        if self.guide_fraction is not None and not 0 < self.guide_fraction <= 1:
            raise ValueError(f"guide_fraction must be in (0, 1] (got {self.guide_fraction})")


@dataclass(frozen=True)
class TrainStats:
    """A snapshot for display: plain numbers and NumPy arrays only (safe to hand to another thread)."""

    step: int
    loss: float                  # mean loss of the last step
    smoothed_loss: float         # exponential moving average of the loss
    level_edges: np.ndarray      # (B+1,) noise-level bin edges σ̃ (log-spaced)
    level_losses: np.ndarray     # (B,) moving average of the unweighted DSM loss ‖σ̃s + ε‖² in each bin (NaN: never
                                 # visited), the same quantity under every TrainingNoise weighting
    steps_per_second: float
    lr: float
    loss_history: np.ndarray = field(default_factory=lambda: np.zeros(0))
    seconds: float = 0.0         # wall time spent in Trainer.train over the whole run (resumed runs included)


def make_adam(params: list[Tensor], lr: float, device: torch.device) -> torch.optim.Adam:
    """Adam with the fused kernel where torch has one for the device (CPU and CUDA): one call per step instead
    of ~50 small ops, which is most of the optimiser's cost for the small 2-D models (measured ~7 % of a step)."""
    if device.type in ("cpu", "cuda"):
        return torch.optim.Adam(params, lr=lr, fused=True)
    return torch.optim.Adam(params, lr=lr, foreach=True)


def _paired(t: Tensor, n: int) -> Tensor:
    """The first n rows of t repeated twice (antithetic pairs: row i and row i + len(t))."""
    return torch.cat([t, t])[:n]


#: Open-ended runs with a guide_fraction: the EMA is copied at this step and every doubling of it (update_guide).
GUIDE_FIRST_MARK = 200


class Trainer:
    """Denoising / sliced score matching on `data` (N, *shape) under `process` with a backbone from net_config.

    `planned_steps` is the run's planned length (the cosine schedule's end; None: open-ended), first
    `config.steps`, re-planned by a time-budgeted `train`. `guide` is the autoguidance model (update_guide).
    Each step draws its noise levels and weights its loss by `config.noise` (a TrainingNoise; also `noise`).
    """

    def __init__(self, data: Tensor, process: NoiseProcess, net_config, config: TrainConfig | None = None,
                 device: torch.device | str = "cpu", labels: Tensor | None = None):
        self.config = config or TrainConfig()
        self.device = torch.device(device)
        self.process = process
        self.net_config = net_config
        self.generator = torch.Generator(device=self.device).manual_seed(self.config.seed)
        self.set_data(data, labels)
        sigma_data = float(self.data.std()) or 1.0
        with torch.random.fork_rng(devices=[]):  # initial weights from config.seed, global RNG untouched
            torch.manual_seed(self.config.seed)
            self.model: Denoiser = build_denoiser(net_config, sigma_data).to(self.device)
        self.ema: Denoiser = copy.deepcopy(self.model).requires_grad_(False)
        self._params = list(self.model.parameters())
        self._ema_params = list(self.ema.parameters())
        # The module the loss runs through: the model itself, or under torchrun a DistributedDataParallel view
        # of the same weights (core.distributed.wrap), so checkpoints always hold the plain module's state.
        self.forward_model: torch.nn.Module = self.model
        # Under torchrun: elapsed seconds → the largest across processes (core.distributed), so every process
        # stops a time-budgeted run at the same step and plans the same learning-rate schedule.
        self.sync_elapsed = None
        self.seconds = 0.0   # wall time spent in train(), over the whole run (restored on resume)
        self.guide: Denoiser | None = None   # a frozen earlier EMA for autoguidance (update_guide)
        self._guide_candidate: Denoiser | None = None
        self._next_guide_mark = GUIDE_FIRST_MARK
        self.planned_steps: int | None = self.config.steps
        self.optimizer = make_adam(self._params, self.config.lr, self.device)
        self.loss_fn = LOSSES[self.config.loss]
        self.step_count = 0
        lo, hi = process.noise_range()
        self.level_edges = np.exp(np.linspace(math.log(lo), math.log(hi), self.config.n_loss_bins + 1))
        self._level_sum = np.zeros(self.config.n_loss_bins)
        self._level_weight = np.zeros(self.config.n_loss_bins)
        self._loss_history: list[float] = []
        self._smoothed = math.nan
        self._last_loss = math.nan
        self._rate = 0.0
        self._snapshot = self._take_snapshot()

    # --- data ------------------------------------------------------------------------------------------------
    def set_data(self, data: Tensor, labels: Tensor | None = None) -> None:
        """Train on new points from the next step on (the GUI calls this when the user paints)."""
        if data.shape[0] == 0:
            raise ValueError("there is no data to train on")
        if not torch.isfinite(data).all():
            raise ValueError("the data contain NaN or infinite values")
        self.data = data.to(self.device, torch.float32)
        self.labels = None if labels is None else labels.to(self.device)
        self._pool: Tensor | None = None   # the indices this process draws from (shard); None: all of them

    def shard(self, rank: int, world_size: int) -> None:
        """Draw batches only from items rank, rank + W, rank + 2W, ... (data-parallel training: each of the W
        processes sees its own part of the data). The full data stay in `data` (σ_data, the checkpoint)."""
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} is not in [0, {world_size})")
        if self.data.shape[0] < world_size:
            raise ValueError(f"{self.data.shape[0]} data items cannot be shared by {world_size} processes")
        self._pool = None if world_size == 1 else torch.arange(rank, self.data.shape[0], world_size,
                                                                device=self.device)

    def _batch(self, size: int | None = None):
        n = self.data.shape[0] if self._pool is None else self._pool.shape[0]
        size = self.config.batch_size if size is None else size
        idx = torch.randint(0, n, (size,), generator=self.generator, device=self.device)
        if self._pool is not None:
            idx = self._pool[idx]
        if self.labels is None:
            return self.data[idx], None
        labels = self.labels[idx]
        if self.config.label_dropout > 0:
            drop = torch.rand(labels.shape, generator=self.generator, device=self.device) < self.config.label_dropout
            labels = torch.where(drop, torch.full_like(labels, self.net_config.num_classes), labels)
        return self.data[idx], labels

    # --- one step --------------------------------------------------------------------------------------------
    def learning_rate(self, step: int) -> float:
        """Linear warm-up, then (for a planned length, planned_steps) a cosine decay to final_lr_fraction·lr."""
        c = self.config
        warm = min(1.0, (step + 1) / max(1, c.warmup))
        if self.planned_steps is None:
            return c.lr * warm
        progress = min(1.0, step / max(1, self.planned_steps))
        decay = (1 - c.final_lr_fraction) * 0.5 * (1 + math.cos(math.pi * progress))
        return c.lr * warm * (c.final_lr_fraction + decay)

    @property
    def noise(self) -> TrainingNoise:
        """The training noise distribution and loss weighting (config.noise)."""
        return self.config.noise

    def step(self) -> float:
        """One optimiser step; returns the batch's mean weighted loss, mean of w(σ̃)·ℓ(σ̃) over the batch with
        σ̃ ~ config.noise (TrainingNoise.sample_sigma, .weight). Raises TrainingDiverged on a non-finite loss."""
        n, antithetic = self.config.batch_size, self.config.antithetic
        x0, labels = self._batch((n + 1) // 2) if antithetic else self._batch()
        noise = self.config.noise
        sigma = noise.sample_sigma(self.process, x0.shape[0], self.generator, self.device)
        if antithetic:   # the second half repeats the first's x₀, σ̃ and labels; the loss negates its noises
            x0, sigma = _paired(x0, n), _paired(sigma, n)
            labels = None if labels is None else _paired(labels, n)
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.config.amp and self.device.type == "cuda"):
            # a plain loss function keeps its signature
            extra = {**(dict(antithetic=True) if antithetic else {}),
                     **(dict(stable_target=True) if self.config.stable_target else {})}
            per_sample = self.loss_fn(self.forward_model, x0, sigma, self.generator, labels, **extra).float()
        loss = (per_sample * noise.weight(sigma, self.model.sigma_data)).mean()
        if not torch.isfinite(loss):
            failed_at = self.step_count + 1
            self._restore_snapshot()
            raise TrainingDiverged(
                f"training diverged at step {failed_at} (loss = {float(loss.detach())}); the weights of step "
                f"{self.step_count} were kept — lower the learning rate or check the data")
        for group in self.optimizer.param_groups:
            group["lr"] = self.learning_rate(self.step_count)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self._params, self.config.grad_clip, foreach=True)
        self.optimizer.step()
        self._update_ema()
        self.step_count += 1
        self.update_guide()
        self._record(float(loss.detach()), sigma.detach(), per_sample.detach())
        if self.step_count % self.config.snapshot_every == 0:
            self._snapshot = self._take_snapshot()
        return self._last_loss

    @torch.no_grad()
    def _update_ema(self):
        decay = min(self.config.ema_decay, (1 + self.step_count) / (10 + self.step_count))
        torch._foreach_lerp_(self._ema_params, self._params, 1 - decay)

    def _record(self, loss: float, sigma: Tensor, per_sample: Tensor):
        self._last_loss = loss
        self._smoothed = loss if math.isnan(self._smoothed) else 0.98 * self._smoothed + 0.02 * loss
        self._loss_history.append(loss)
        bins = np.clip(np.searchsorted(self.level_edges, sigma.cpu().numpy()) - 1, 0, len(self._level_sum) - 1)
        sums = np.bincount(bins, weights=per_sample.cpu().numpy(), minlength=len(self._level_sum))
        counts = np.bincount(bins, minlength=len(self._level_sum))
        seen = counts > 0
        self._level_sum[seen] = 0.9 * self._level_sum[seen] + 0.1 * sums[seen] / counts[seen]
        self._level_weight[seen] = 0.9 * self._level_weight[seen] + 0.1

    # --- many steps ------------------------------------------------------------------------------------------
    def train(self, steps: int | None = None, callback=None, seconds: float | None = None, *, every: int = 25,
              should_stop=None, clock: Callable[[], float] = time.perf_counter) -> TrainStats:
        """Run `steps` more steps, or for `seconds`, whichever ends first (neither: config.steps steps).

        With `seconds` the run is planned on the measured rate: every `every` steps planned_steps is
        re-estimated as the steps done plus the rate times the time left (at most `steps`), and at the end it
        is the number of steps actually taken, so the cosine decay (and the autoguidance model, at
        guide_fraction of the plan) ends when time does on any machine. `callback(stats)` runs every `every`
        steps; `should_stop()` (polled as often) ends the run early. With `sync_elapsed` set (torchrun) the
        clock is read every `every` steps only, as the slowest process's, so all processes stop together.
        `clock()` gives the time in seconds (a test passes one it moves itself).
        """
        if steps is None and seconds is None:
            steps = self.config.steps or 0
        start, first, done = clock(), self.step_count, 0
        before = self.seconds
        if seconds is not None:
            self.planned_steps = first + (steps if steps is not None else 10**6)  # no decay before a rate estimate
        local_clock = self.sync_elapsed is None
        while (steps is None or done < steps) and (
                seconds is None or not local_clock or clock() - start < seconds):
            self.step()
            done += 1
            if done % every == 0 or done == steps:
                elapsed = clock() - start
                if not local_clock:
                    elapsed = self.sync_elapsed(elapsed)
                self.seconds = before + elapsed
                self._rate = done / max(elapsed, 1e-9)
                if seconds is not None:
                    planned = first + done + int(self._rate * max(0.0, seconds - elapsed))
                    self.planned_steps = planned if steps is None else min(planned, first + steps)
                if callback is not None:
                    callback(self.stats())
                if should_stop is not None and should_stop():
                    break
                if not local_clock and seconds is not None and elapsed >= seconds:
                    break
        self.seconds = before + clock() - start
        self._rate = done / max(1e-9, clock() - start)
        if seconds is not None:
            self.planned_steps = self.step_count  # the schedule as it ran
        return self.stats()

    def note_rate(self, steps_per_second: float) -> None:
        """Set the steps/s figure reported by stats() (for callers that time their own loop)."""
        self._rate = steps_per_second

    def stats(self) -> TrainStats:
        with np.errstate(invalid="ignore", divide="ignore"):
            level_losses = np.where(self._level_weight > 0, self._level_sum / self._level_weight, np.nan)
        return TrainStats(self.step_count, self._last_loss, self._smoothed, self.level_edges.copy(), level_losses,
                          self._rate, self.learning_rate(self.step_count), np.asarray(self._loss_history),
                          self.seconds)

    # --- autoguidance ---------------------------------------------------------------------------------------
    def update_guide(self) -> None:
        """The autoguidance policy, applied after every step (config.guide_fraction; None: no guide).

        A planned run (planned_steps known) freezes the EMA as `guide` once step_count/planned_steps reaches
        guide_fraction. An open-ended run copies the EMA at steps 200, 400, 800, ... (GUIDE_FIRST_MARK) and
        makes each copy the guide at the next mark, so the guide is an EMA from a quarter to a half of the run
        ago (none before step 400).
        """
        fraction = self.config.guide_fraction
        if fraction is None:
            return
        if self.planned_steps is not None:
            if self.guide is None and self.step_count / max(1, self.planned_steps) >= fraction:
                self.keep_guide()
        elif self.step_count >= self._next_guide_mark:
            self.guide, self._guide_candidate = self._guide_candidate, self._ema_copy()
            self._next_guide_mark *= 2

    def keep_guide(self) -> None:
        """Freeze a copy of the current EMA weights as the *guiding* model for autoguidance (Karras et al. 2024,
        "Guiding a diffusion model with a bad version of itself"): an under-trained version of the same network
        makes the same kinds of errors, more strongly, so stepping away from it, s_guide + w·(s − s_guide) with
        w > 1, removes them. Called part-way through a run (update_guide)."""
        self.guide = self._ema_copy()

    def _ema_copy(self) -> Denoiser:
        return copy.deepcopy(self.ema).requires_grad_(False)

    # --- divergence guard and checkpoints --------------------------------------------------------------------

    def _take_snapshot(self) -> dict:
        return {"model": copy.deepcopy(self.model.state_dict()), "ema": copy.deepcopy(self.ema.state_dict()),
                "optimizer": copy.deepcopy(self.optimizer.state_dict()), "step": self.step_count}

    def _restore_snapshot(self):
        self.model.load_state_dict(self._snapshot["model"])
        self.ema.load_state_dict(self._snapshot["ema"])
        self.optimizer.load_state_dict(self._snapshot["optimizer"])
        self.step_count = self._snapshot["step"]

    # --- resuming --------------------------------------------------------------------------------------------
    def training_state(self) -> dict:
        """Everything besides the weights (model, EMA, guide) that a resumed run needs to carry on as if it had
        never stopped: optimiser moments, step, plan, RNG, the open-ended guide's candidate and the read-outs.
        Plain tensors and numbers only (checkpoints are read with weights_only=True)."""
        return {
            "optimizer": self.optimizer.state_dict(),
            "step": self.step_count,
            "planned_steps": self.planned_steps,
            "generator": self.generator.get_state(),
            "generator_device": self.device.type,   # CPU and CUDA generator states are not interchangeable
            "guide_candidate": None if self._guide_candidate is None else self._guide_candidate.state_dict(),
            "next_guide_mark": self._next_guide_mark,
            "smoothed": self._smoothed,
            "last_loss": self._last_loss,
            "level_sum": torch.from_numpy(self._level_sum.copy()),
            "level_weight": torch.from_numpy(self._level_weight.copy()),
            "loss_history": torch.tensor(self._loss_history, dtype=torch.float32),
            "seconds": self.seconds,
        }

    def load_training_state(self, state: dict, model: dict, ema: dict, guide: dict | None = None) -> None:
        """Continue from a `training_state()` and the weights saved with it (same network, same data)."""
        self.model.load_state_dict(model)
        self.ema.load_state_dict(ema)
        self.optimizer.load_state_dict(state["optimizer"])
        self.step_count = int(state["step"])
        self.planned_steps = None if state["planned_steps"] is None else int(state["planned_steps"])
        if state.get("generator_device") == self.device.type:
            self.generator.set_state(state["generator"].cpu())
        else:   # another device kind: a fresh stream, still reproducible from (seed, step)
            self.generator.manual_seed(self.config.seed * 1_000_003 + self.step_count)
        self.guide = None if guide is None else self._frozen_copy(guide)
        candidate = state.get("guide_candidate")
        self._guide_candidate = None if candidate is None else self._frozen_copy(candidate)
        self._next_guide_mark = int(state.get("next_guide_mark", GUIDE_FIRST_MARK))
        self._smoothed, self._last_loss = float(state["smoothed"]), float(state["last_loss"])
        if state["level_sum"].shape[0] == len(self._level_sum):
            self._level_sum = state["level_sum"].cpu().numpy().astype(np.float64)
            self._level_weight = state["level_weight"].cpu().numpy().astype(np.float64)
        self._loss_history = state["loss_history"].cpu().tolist()
        self.seconds = float(state.get("seconds", 0.0))
        self._snapshot = self._take_snapshot()

    def _frozen_copy(self, weights: dict) -> Denoiser:
        net = copy.deepcopy(self.ema).requires_grad_(False)
        net.load_state_dict(weights)
        return net
