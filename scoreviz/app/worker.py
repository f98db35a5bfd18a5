"""The compute worker: a QObject in its own QThread that owns every piece of torch state (GUIDE §2).

It is driven by a zero-interval QTimer: each tick runs a few ms of training steps, recomputes the score field
if it is stale, advances the particles by the steps that are due, and emits at most ~30 frames/s. Between
ticks the thread's event loop delivers the GUI's commands (`handle(name, payload)`, queued), so a new σ, new
data or a pause take effect within one tick. Only `frames.*` (frozen NumPy dataclasses) and strings leave it.
"""
from __future__ import annotations

import math
import time

import numpy as np
import torch

from scoreviz.core.device import resolve_device
from scoreviz.core.recipes.points import mlp_config
from scoreviz.core.processes import NCSNLadder, make_process
from scoreviz.core.samplers import ScoreFunction, model_score, run_sampler
from scoreviz.core.training import TrainConfig, Trainer, TrainingDiverged

from scoreviz.lab import frames as fr
from .datasource import dataset_from_spec
from scoreviz.core.exact_grid import exact_on_grid, grid_points
from .qt import QtCore
from .worker_base import RateMeter, TickingWorker

FRAME_INTERVAL = 1 / 30        # at most ~30 particle frames per second
TRAIN_FRAME_INTERVAL = 0.1     # training read-outs (loss curve, steps/s) 10 times a second: each one repaints
                               # the loss plots on the GUI thread, which holds the GIL the trainer also needs
TRAIN_BUDGET = 0.008           # seconds of training per tick
SAMPLE_BUDGET = 0.010          # seconds of sampler steps per tick
FIELD_REFRESH = 0.2            # the learned field is redrawn this often while the model trains
ERROR_REFRESH = 0.2            # the middle-σ error is measured this often while the model trains
MATCH_THRESHOLD = 0.3          # the "learned field matches the exact one" target (median relative error)
MAX_HISTORY = 2000
HEAT_RESOLUTION = 160


class ComputeWorker(TickingWorker):
    """The 2D lab's worker. Create without a parent, move to a QThread, connect `thread.started` to `start`."""

    def __init__(self):
        super().__init__()
        # configuration
        self.process_name = "ve"
        self.loss = "dsm"
        self.model_size = "medium"
        self.device_name = "auto"
        self.device = torch.device("cpu")
        self.batch_size = 1024
        self.lr = 1e-2
        self.seed = 0
        # data and model
        self.spec: fr.DataSpec | None = None
        self._pending_spec: fr.DataSpec | None = None
        self.dataset = None
        self.process = None
        self.trainer: Trainer | None = None
        self.training = False
        self._train_started = math.nan
        self._train_seconds = 0.0
        self._time_to_match = math.nan
        self._mid_error = math.nan
        self._mid_cache = None
        self._last_error_eval = 0.0
        self._rate = RateMeter()
        # field
        self.sigma = 0.5
        self.view = (-3.0, 3.0, -3.0, 3.0)
        self.grid_n = 40
        self.field_kind = "learned"
        self.heat_on = True
        self._field_dirty = True
        self._heat_cache = None
        self._exact_cache = None
        self._last_field = 0.0
        # particles
        self._sampler = None
        self._sampler_req: fr.SamplerRequest | None = None
        self._x: torch.Tensor | None = None
        self._step = None
        self.sampling = False
        self.speed = 240.0             # sampler steps per second; 0 = as fast as the budget allows
        self._due = 0.0
        self._last_sample_time = time.perf_counter()
        self._serial = 0
        self._particles_dirty = False
        self._generator = torch.Generator().manual_seed(0)
        # emission
        self._last_train_emit = 0.0
        self._last_particle_emit = 0.0
        self._train_dirty = False

    # --- lifecycle -------------------------------------------------------------------------------------------
    def _release(self) -> None:
        self._sampler = None
        self.trainer = None

    # --- commands --------------------------------------------------------------------------------------------
    def _cmd_data(self, spec: fr.DataSpec) -> None:
        self._pending_spec = spec  # applied at the next tick: a burst of brush strokes costs one rebuild

    def _cmd_configure(self, options: dict) -> None:
        old = (self.process_name, self.loss, self.model_size, self.device_name, self.batch_size, self.lr)
        self.process_name = options.get("process", self.process_name)
        self.loss = options.get("loss", self.loss)
        self.model_size = options.get("model_size", self.model_size)
        self.batch_size = int(options.get("batch_size", self.batch_size))
        self.lr = float(options.get("lr", self.lr))
        self.seed = int(options.get("seed", self.seed))
        device_name = options.get("device", self.device_name)
        try:
            self.device = resolve_device(device_name)
            self.device_name = device_name
        except ValueError as exc:
            self.message.emit("warning", f"{exc}; using the CPU")
            self.device_name, self.device = "cpu", torch.device("cpu")
        new = (self.process_name, self.loss, self.model_size, self.device_name, self.batch_size, self.lr)
        if new != old:
            process_changed = new[0] != old[0]
            was_training = self.training
            self._reset_model()
            if process_changed and self.dataset is not None:
                self._make_process()
            if was_training:
                self._cmd_train(True)

    def _cmd_train(self, on: bool) -> None:
        if not on:
            if self.training:
                self._train_seconds += time.perf_counter() - self._train_started
            self.training = False
            self._train_dirty = True
            return
        if self.dataset is None:
            self.message.emit("warning", "The canvas is empty: paint some data or pick a preset before training.")
            self.training = False
            self._train_dirty = True
            return
        if self.trainer is None:
            self.trainer = self._new_trainer()
            self._train_seconds = 0.0
            self._time_to_match = math.nan
            self._mid_error = math.nan
        if not self.training:
            self._train_started = time.perf_counter()
            self._rate.clear()
        self.training = True
        self._train_dirty = True

    def _cmd_reset_training(self, _=None) -> None:
        self._reset_model()
        self._field_dirty = True

    def _cmd_sigma(self, sigma: float) -> None:
        sigma = float(sigma)
        if sigma != self.sigma:
            self.sigma = sigma
            self._field_dirty = True
            req = self._sampler_req
            if req is not None and req.name == "langevin" and self._sampler is not None and self._x is not None:
                # Langevin runs at the slider's σ: carry on from where the particles are, at the new level.
                done = self._step.index if self._step is not None else 0
                self._sampler = self._make_sampler(req, self._x, max(1, req.steps - done))

    def _cmd_view(self, rect) -> None:
        rect = tuple(float(v) for v in rect)
        if rect != self.view and all(map(math.isfinite, rect)) and rect[1] > rect[0] and rect[3] > rect[2]:
            self.view = rect
            self._field_dirty = True

    def _cmd_field(self, options: dict) -> None:
        self.field_kind = options.get("kind", self.field_kind)
        self.grid_n = int(np.clip(options.get("grid_n", self.grid_n), 4, 96))
        self.heat_on = bool(options.get("heat", self.heat_on))
        self._field_dirty = True

    def _cmd_release(self, req: fr.SamplerRequest) -> None:
        if self.dataset is None or self.process is None:
            self.message.emit("warning", "The canvas is empty: pick a preset or paint some data first.")
            return
        if req.name == "ddpm" and self.process.name != "vp":
            self.message.emit("warning", "DDPM ancestral sampling needs the VP process: choose VP under Training.")
            return
        if req.source == "learned" and self.trainer is None:
            self.message.emit("info", "No model trained yet: the particles follow the exact score.")
            req = fr.SamplerRequest(req.name, req.n, req.steps, req.origin, "exact", req.seed)
        self._generator = torch.Generator().manual_seed(req.seed + self._serial)
        d = self.dataset.dim
        if req.origin is not None:
            scale = 0.02 * float(self.dataset.train.std()) if self.dataset.train.shape[0] > 1 else 0.02
            x0 = torch.tensor(req.origin[:d], dtype=torch.float32) + scale * torch.randn(
                (req.n, d), generator=self._generator)
        else:
            x0 = self.process.prior_sample((req.n, d), self._generator).float()
        self._sampler_req = req
        self._x = x0.to(self.device)
        self._step = None
        self._serial += 1
        self._sampler = self._make_sampler(req, self._x, req.steps)
        self.sampling = True
        self._due = 0.0
        self._last_sample_time = time.perf_counter()
        self._particles_dirty = True

    def _cmd_sampler_play(self, on: bool) -> None:
        if on and self._sampler is None:
            return
        self.sampling = bool(on)
        self._last_sample_time = time.perf_counter()
        self._due = 0.0
        self._particles_dirty = True

    def _cmd_sampler_step(self, _=None) -> None:
        self.sampling = False
        if self._sampler is not None:
            self._advance(1, time.perf_counter() + 1.0)
        self._particles_dirty = True

    def _cmd_sampler_reset(self, _=None) -> None:
        self._sampler = None
        self._sampler_req = None
        self._x = None
        self._step = None
        self.sampling = False
        self._serial += 1
        self._particles_dirty = True

    def _cmd_speed(self, steps_per_second: float) -> None:
        self.speed = max(0.0, float(steps_per_second))

    # --- model, process, data --------------------------------------------------------------------------------
    def _apply_pending_data(self) -> None:
        spec, self._pending_spec = self._pending_spec, None
        if spec is None:
            return
        try:
            dataset = dataset_from_spec(spec)
        except Exception as exc:
            self.message.emit("error", f"Could not use the data: {exc}")
            return
        self.spec = spec
        self.dataset = dataset
        self._heat_cache = self._exact_cache = self._mid_cache = None
        self._field_dirty = True
        if dataset is None:  # the empty canvas: keep the model, stop what needs data
            if self.training:
                self._cmd_train(False)
                self.message.emit("warning", "The canvas is empty: training paused. Paint some data to go on.")
            self._cmd_sampler_reset()
            return
        if spec.reset or self.trainer is None or self.process is None:
            self._reset_model()
            self._make_process()
        else:
            try:
                self.trainer.set_data(dataset.train.to(self.device))
            except ValueError as exc:
                self.message.emit("error", str(exc))
            self._emit_process()

    def _make_process(self) -> None:
        data = self.dataset.train if self.dataset is not None and self.dataset.train.shape[0] > 1 else None
        self.process = make_process(self.process_name, data)
        lo, hi = self.process.noise_range()
        if not (lo <= self.sigma <= hi):
            self.sigma = float(math.exp(0.5 * (math.log(lo) + math.log(hi))))
        self._emit_process()

    def _emit_process(self) -> None:
        if self.process is None:
            return
        p = self.process
        times = torch.linspace(p.t_min, p.t_max, 256)
        levels = p.noise_level(times).double().numpy()
        ladder = p.sigmas.numpy() if isinstance(p, NCSNLadder) else np.zeros(0)
        lo, hi = p.noise_range()
        self.frame.emit(fr.ProcessFrame(p.name, lo, hi, times.double().numpy(), levels, ladder,
                                        p.name != "ncsn", str(self.device),
                                        self.spec.version if self.spec else -1))

    def _new_trainer(self) -> Trainer:
        d = self.dataset.dim
        net = mlp_config(d, self.model_size)
        config = TrainConfig(steps=None, batch_size=self.batch_size, lr=self.lr, loss=self.loss, seed=self.seed,
                             warmup=20, ema_decay=0.99)   # warm-up 20: ~10 % fewer steps to match (moons, 8 Gaussians)
        return Trainer(self.dataset.train.to(self.device), self.process, net, config, self.device)

    def _reset_model(self) -> None:
        self.trainer = None
        self.training = False
        self._train_seconds = 0.0
        self._time_to_match = math.nan
        self._mid_error = math.nan
        self._train_dirty = True
        self._field_dirty = True

    # --- the tick --------------------------------------------------------------------------------------------
    @QtCore.Slot()
    def _tick(self) -> None:
        if self._stopped:
            return
        busy = False
        now = time.perf_counter()
        if self._pending_spec is not None:
            self._apply_pending_data()
            busy = True
        if self.training and self.trainer is not None:
            self._train_for(TRAIN_BUDGET)
            busy = True
            now = time.perf_counter()
            if now - self._last_error_eval > ERROR_REFRESH:
                self._measure_mid_error()
            if now - self._last_field > FIELD_REFRESH and self.field_kind != "exact":
                self._field_dirty = True
        if self._field_dirty and self.dataset is not None and self.process is not None:
            self._field_dirty = False
            self._emit_field()
            busy = True
        if self.sampling and self._sampler is not None:
            now = time.perf_counter()
            if self.speed <= 0:
                n = 10**9
            else:
                self._due = min(self._due + self.speed * (now - self._last_sample_time), self.speed * 0.25 + 1)
                n = int(self._due)
                self._due -= n
            self._last_sample_time = now
            if n > 0:
                self._advance(n, now + SAMPLE_BUDGET)
            busy = True
        now = time.perf_counter()
        if self._particles_dirty and now - self._last_particle_emit >= FRAME_INTERVAL:
            self._emit_particles()
        if self._train_dirty and now - self._last_train_emit >= TRAIN_FRAME_INTERVAL:
            self._emit_train()
        pending = self._particles_dirty or self._train_dirty
        if self._timer is not None:
            self._timer.setInterval(0 if busy else (5 if pending else 15))

    def _train_for(self, budget: float) -> None:
        end = time.perf_counter() + budget
        try:
            while True:
                self.trainer.step()
                if time.perf_counter() >= end:
                    break
        except TrainingDiverged as exc:
            self._cmd_train(False)
            self.message.emit("error", str(exc))
        self.trainer.note_rate(self._rate.mark(self.trainer.step_count))
        self._train_dirty = True

    # --- measurements ----------------------------------------------------------------------------------------
    def mid_sigma(self) -> float:
        lo, hi = self.process.noise_range()
        return float(math.exp(0.5 * (math.log(lo) + math.log(hi))))

    def _measure_mid_error(self) -> None:
        """Median relative error of the EMA model's score against the exact one, at the middle σ, on a grid
        over the data (the quantity the issue's 'time to match' is about)."""
        self._last_error_eval = time.perf_counter()
        if self.trainer is None or self.dataset is None:
            return
        sigma = self.mid_sigma()
        key = (self.spec.version, sigma)
        if self._mid_cache is None or self._mid_cache[0] != key:
            pts, exact = self._exact_over_data(32, sigma)
            self._mid_cache = (key, pts, exact)
        _, pts, exact = self._mid_cache
        learned = self._learned_score(pts, sigma)
        self._mid_error = relative_error(learned, exact)
        if math.isnan(self._time_to_match) and self._mid_error <= MATCH_THRESHOLD:
            self._time_to_match = self._train_seconds + time.perf_counter() - self._train_started
        self._train_dirty = True

    def _exact_over_data(self, n: int, sigma: float) -> tuple[torch.Tensor, torch.Tensor]:
        """An n-per-axis grid over the data's display box and the exact score there (float64)."""
        lo, hi = self.dataset.bounds(0.15)
        axes = [np.linspace(float(a), float(b), n) for a, b in zip(lo, hi)]
        if len(axes) == 1:
            pts = torch.from_numpy(axes[0][:, None])
            return pts.float(), self.dataset.exact_score(pts, sigma).double()
        score, _ = exact_on_grid(self.dataset, axes[0], axes[1], sigma)
        return torch.from_numpy(grid_points(axes[0], axes[1])).float(), torch.from_numpy(score)

    # --- the field -------------------------------------------------------------------------------------------
    def _learned_score(self, pts: torch.Tensor, sigma: float) -> torch.Tensor | None:
        if self.trainer is None:
            return None
        with torch.inference_mode():
            return self.trainer.ema.score(pts.to(self.device), sigma).double().cpu()

    def _emit_field(self) -> None:
        self._last_field = time.perf_counter()
        if self.dataset.dim == 1:
            self._emit_field_1d()
            return
        if self.dataset.dim != 2:
            return
        xmin, xmax, ymin, ymax = self.view
        nx = self.grid_n
        cell = (xmax - xmin) / nx
        ny = int(np.clip(round((ymax - ymin) / cell), 2, 3 * nx))
        xs = xmin + (np.arange(nx) + 0.5) * cell
        ys = ymin + (np.arange(ny) + 0.5) * ((ymax - ymin) / ny)
        pts_np = grid_points(xs, ys)
        pts = torch.from_numpy(pts_np).float()
        sigma = self.sigma
        version = self.spec.version if self.spec else -1
        exact_key = (version, sigma, self.view, nx)
        if self._exact_cache is None or self._exact_cache[0] != exact_key:
            score, _ = exact_on_grid(self.dataset, xs, ys, sigma)
            self._exact_cache = (exact_key, torch.from_numpy(score))
        exact = self._exact_cache[1]
        learned = self._learned_score(pts, sigma)
        kind = self.field_kind
        source = "learned" if learned is not None and kind != "exact" else "exact"
        if kind == "difference" and learned is not None:
            vec = sigma * (learned - exact)
        elif kind == "difference":
            vec = torch.zeros_like(exact)
        else:
            vec = sigma * (learned if source == "learned" else exact)
        mag = vec.norm(dim=1)
        bounded = True
        if kind == "denoiser":
            vec = sigma * vec  # σ²·s: the displacement from x to the denoised estimate D(x) = x + σ² s
            bounded = False
        rel = relative_error(learned, exact) if learned is not None else math.nan
        heat, heat_rect = None, (xmin, ymin, xmax - xmin, ymax - ymin)
        if self.heat_on:
            heat = self._heat(sigma, version)
        self.frame.emit(fr.FieldFrame(kind, source, sigma, pts_np.astype(np.float32), vec.numpy().astype(np.float32),
                                      mag.numpy().astype(np.float32), cell, bounded, heat, heat_rect, rel, version))

    def _heat(self, sigma: float, version: int) -> np.ndarray:
        """log p_σ − max on a grid of 160 across (row 0 = lowest y)."""
        key = (version, sigma, self.view)
        if self._heat_cache is not None and self._heat_cache[0] == key:
            return self._heat_cache[1]
        xmin, xmax, ymin, ymax = self.view
        nx = HEAT_RESOLUTION
        ny = int(np.clip(round(nx * (ymax - ymin) / (xmax - xmin)), 2, 256))
        xs = xmin + (np.arange(nx) + 0.5) * (xmax - xmin) / nx
        ys = ymin + (np.arange(ny) + 0.5) * (ymax - ymin) / ny
        _, logp = exact_on_grid(self.dataset, xs, ys, sigma, score=False, log_density=True)
        logp = logp.reshape(ny, nx)
        logp = np.where(np.isfinite(logp), logp, -np.inf)
        heat = (logp - np.max(logp)).astype(np.float32) if np.isfinite(logp).any() else np.full_like(logp, -30, np.float32)
        heat = fr.frozen_array(np.maximum(heat, -30.0))
        self._heat_cache = (key, heat)
        return heat

    def _emit_field_1d(self) -> None:
        xmin, xmax = self.view[0], self.view[1]
        xs = torch.linspace(xmin, xmax, 400)[:, None]
        sigma = self.sigma
        exact = self.dataset.exact_score(xs, sigma).double()[:, 0]
        logp = self.dataset.exact_log_density(xs, sigma).double()
        learned = self._learned_score(xs, sigma)
        learned = None if learned is None else learned[:, 0]
        rel = relative_error(learned[:, None], exact[:, None]) if learned is not None else math.nan
        self.frame.emit(fr.Field1DFrame(sigma, xs[:, 0].double().numpy(), torch.exp(logp).numpy(),
                                        (sigma * exact).numpy(),
                                        None if learned is None else (sigma * learned).numpy(), rel,
                                        self.spec.version if self.spec else -1))

    # --- particles -------------------------------------------------------------------------------------------
    def _make_sampler(self, req: fr.SamplerRequest, x: torch.Tensor, steps: int):
        if req.source == "learned" and self.trainer is not None:
            score = ScoreFunction(model_score(self.trainer.ema), self.process)
        else:
            dataset = self.dataset
            score = ScoreFunction(lambda y, s: dataset.exact_score(y.cpu(), s).to(y.device, y.dtype), self.process)
        options: dict = {"generator": self._generator}
        if req.name == "langevin":
            options.update(noise_level=self.sigma, steps=steps)
        elif req.name == "annealed":
            options.update(n_levels=10, steps_per_level=max(1, steps // 10))
        else:
            options.update(steps=steps)
        if self.device.type != "cpu":
            options["generator"] = None  # a CPU generator cannot draw on another device
        return run_sampler(req.name, score, x, **options)

    def _advance(self, n: int, deadline: float) -> None:
        done = 0
        while done < n and self._sampler is not None:
            try:
                step = next(self._sampler)
            except StopIteration:
                self._sampler = None
                self.sampling = False
                break
            if not torch.isfinite(step.x).all():
                self._sampler = None
                self.sampling = False
                self.message.emit("error", f"The particles diverged (NaN/inf) at step {step.index}: they were "
                                           "stopped at their last finite positions. Try another sampler or "
                                           "train longer.")
                break
            self._x = step.x
            self._step = step
            done += 1
            if step.index >= step.total:
                self._sampler = None
                self.sampling = False
                break
            if time.perf_counter() >= deadline:
                break
        self._particles_dirty = True

    def _emit_particles(self) -> None:
        self._particles_dirty = False
        self._last_particle_emit = time.perf_counter()
        x = self._x
        req = self._sampler_req
        if x is None or req is None:
            self.frame.emit(fr.ParticleFrame(np.zeros((0, 2), np.float32), None, np.zeros(0), np.zeros(0), "",
                                             0, 0, math.nan, math.nan, False, False, self._serial))
            return
        pos = x.detach().float().cpu()
        labels, mode_w, true_w = None, np.zeros(0), np.zeros(0)
        mixture = getattr(self.dataset, "mixture", None)
        step = self._step
        level = step.noise_level if step is not None else (self.sigma if req.name == "langevin" else math.nan)
        if mixture is not None and mixture.dim == pos.shape[1]:
            sigma_r = level if math.isfinite(level) else 0.0
            resp = mixture.responsibilities(pos.double(), sigma_r)
            lab = resp.argmax(1).numpy().astype(np.int8)
            k = mixture.n_components
            labels = lab
            mode_w = np.bincount(lab, minlength=k) / max(1, len(lab))
            true_w = mixture.weights.numpy()
        finished = self._sampler is None and step is not None
        self.frame.emit(fr.ParticleFrame(
            pos.numpy(), labels, mode_w, true_w, req.name, step.index if step else 0,
            step.total if step else req.steps, step.t if step else math.nan, level,
            self.sampling, finished, self._serial))

    # --- training frames -------------------------------------------------------------------------------------
    def _emit_train(self) -> None:
        self._train_dirty = False
        self._last_train_emit = time.perf_counter()
        mid = self.mid_sigma() if self.process is not None else math.nan
        seconds = self._train_seconds + (time.perf_counter() - self._train_started if self.training else 0.0)
        if self.trainer is None:
            self.frame.emit(fr.TrainFrame(0, math.nan, math.nan, np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0),
                                          0.0, self.training, str(self.device), mid, math.nan, math.nan, 0.0))
            return
        s = self.trainer.stats()
        hist = s.loss_history
        steps = np.arange(1, len(hist) + 1)
        if len(hist) > MAX_HISTORY:
            stride = int(math.ceil(len(hist) / MAX_HISTORY))
            m = len(hist) // stride * stride
            hist = hist[len(hist) - m:].reshape(-1, stride).mean(1)
            steps = steps[len(steps) - m:].reshape(-1, stride)[:, -1]
        self.frame.emit(fr.TrainFrame(s.step, s.loss, s.smoothed_loss, hist, steps, s.level_edges, s.level_losses,
                                      s.steps_per_second, self.training, str(self.device), mid, self._mid_error,
                                      self._time_to_match, seconds))


def relative_error(learned: torch.Tensor, exact: torch.Tensor) -> float:
    """median_i |learned_i − exact_i| / |exact_i| over the rows where the exact score is not ~0."""
    num = (learned - exact).norm(dim=1)
    den = exact.norm(dim=1)
    ok = den > 1e-9 * (den.max() if den.numel() else 1)
    if not bool(ok.any()):
        return math.nan
    return float((num[ok] / den[ok]).median())
