"""The image-mode compute worker: a parentless QObject in its own QThread that owns all torch state (GUIDE §2).

A zero-interval QTimer drives it in ticks: one training step (when training), then one sampler step (when a
sampling run is going) with its Tweedie estimates, then the σ-slider batch if it is stale, then frames. Between
ticks the event loop delivers the GUI's commands (`handle(name, payload)`, queued). Only `frames.*` (frozen NumPy
dataclasses) and strings leave it.

The MNIST download blocks the thread while it runs (it reads a socket); its cancel button sets a
`threading.Event` that the download polls between chunks (`request_cancel`, safe from any thread).
"""
from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import torch

from scoreviz.core.checkpoint import load_checkpoint, save_checkpoint
from scoreviz.core.device import resolve_device
from scoreviz.core.model import count_parameters
from scoreviz.core.training import TrainingDiverged
from scoreviz.datasets.download import MNIST_FILES, MNIST_MIRRORS, DownloadCancelled, DownloadError, download_mnist
from scoreviz.datasets.montage import make_grid
from scoreviz.datasets.idx import ImageDataError, load_image_dataset
from scoreviz.datasets.locate import default_download_dir, find_dataset
from scoreviz.core.recipes.images import image_process, image_score, make_image_trainer, sampler_options
from scoreviz.core.samplers import run_sampler

from ..worker_base import RateMeter, TickingWorker
from scoreviz.lab import image_frames as fr

TRAIN_EMIT = 0.1          # training stats at most 10 per second
SIGMA_REFRESH = 2.0       # the σ-slider denoising is redone this often while training
SIGMA_BATCH = 32          # real images shown noised at σ (4 rows of 8)


def _montage(x: torch.Tensor) -> np.ndarray:
    return make_grid(x.detach().float().cpu().numpy(), nrow=8, pad=1)


#: While training live (open-ended), the EMA is copied at steps 200, 400, 800, ... and each copy becomes the
#: autoguidance model at the next mark, so the guide is always an EMA from a quarter to a half of the run ago
#: (the command line freezes it at GUIDE_FRACTION = 0.3 of a planned run).
GUIDE_FIRST_MARK = 200


class ImageWorker(TickingWorker):
    """Create without a parent, move to a QThread, connect `thread.started` to `start`."""

    def __init__(self, model_size: str = "cpu", device: str = "auto", threads: int | None = None,
                 max_images: int | None = None):
        super().__init__(threads)
        self._cancel = threading.Event()
        self.max_images = max_images
        self.model_size = model_size
        self.device_name = device
        self.device = torch.device("cpu")
        self.conditional = True       # with guidance 86 % recognisable; unconditional 55–67 % (measured)
        # data
        self.dataset = None
        self._real: torch.Tensor | None = None
        self._real_noise: torch.Tensor | None = None
        # model
        self.trainer = None
        self.model = None            # the model sampled from: the trainer's EMA or a loaded checkpoint's
        self.guide = None            # the early model for autoguidance (a checkpoint's, or kept while training)
        self._guide_candidate = None
        self._next_guide_mark = GUIDE_FIRST_MARK
        self.process = None
        self.training = False
        self._rate = RateMeter(window=5.0)
        self._last_train_emit = 0.0
        # sampling
        self._sampler = None
        self._score = None
        self._serial = 0
        # σ slider
        self.sigma = 0.5
        self._sigma_dirty = True
        self._last_sigma = 0.0

    # --- lifecycle -------------------------------------------------------------------------------------------
    def request_cancel(self) -> None:
        """Cancel a running download (thread-safe: called directly from the GUI thread)."""
        self._cancel.set()

    def _release(self) -> None:
        self._sampler = None
        self.trainer = self.model = None

    # --- data ------------------------------------------------------------------------------------------------
    def _cmd_load_data(self, payload: dict) -> None:
        kind, user_dir = payload.get("kind", "mnist"), payload.get("dir")
        # A folder or file the user picked is used as is (a bad one is reported, naming it); otherwise the
        # usual places are searched.
        found = Path(user_dir).expanduser() if user_dir else find_dataset(kind)
        if found is None:
            name = "MNIST" if kind == "mnist" else "Fashion-MNIST"
            self.frame.emit(fr.DataMissing(kind, f"{name} not found in the usual places (or $SCOREVIZ_DATA)",
                                           str(default_download_dir(kind)), kind == "mnist"))
            return
        try:
            data = load_image_dataset(found, kind)
        except (ImageDataError, ValueError) as exc:
            self.frame.emit(fr.DataMissing(kind, str(exc), str(default_download_dir(kind)), kind == "mnist"))
            return
        self._set_data(data)

    def _set_data(self, data) -> None:
        if self.max_images and len(data) > self.max_images:
            from scoreviz.datasets.idx import ImageDataset

            data = ImageDataset(data.name, data.images[: self.max_images],
                                None if data.labels is None else data.labels[: self.max_images],
                                data.class_names, data.source)
        self.dataset = data
        gen = torch.Generator().manual_seed(0)
        idx = torch.randperm(len(data), generator=gen)[:SIGMA_BATCH]
        self._real = data.images[idx]
        self._real_noise = torch.randn(self._real.shape, generator=gen)
        self._stop_training()
        self.trainer = None
        self.model = None
        self.process = None
        self._sampler = None
        self._sigma_dirty = True
        self.frame.emit(fr.DataReady(data.name, str(data.source), len(data), tuple(data.class_names),
                                     _montage(data.images[:16])))
        self._new_model()

    def _cmd_download(self, payload: dict) -> None:
        dest = Path(payload.get("dest") or default_download_dir("mnist"))
        mirrors = payload.get("mirrors") or MNIST_MIRRORS
        files = payload.get("files") or MNIST_FILES
        self._cancel.clear()

        def progress(done, total, name):
            self.frame.emit(fr.DownloadProgress(done, total, name))

        try:
            download_mnist(dest, mirrors=mirrors, files=files, progress=progress, cancelled=self._cancel.is_set,
                           timeout=payload.get("timeout", 30))
        except DownloadCancelled:
            self.frame.emit(fr.DownloadProgress(0, 0, "", finished=True, ok=False, text="Download cancelled."))
            return
        except DownloadError as exc:
            self.frame.emit(fr.DownloadProgress(0, 0, "", finished=True, ok=False, text=str(exc)))
            return
        self.frame.emit(fr.DownloadProgress(1, 1, "", finished=True, ok=True, text=f"Downloaded to {dest}"))
        self._cmd_load_data({"kind": "mnist", "dir": str(dest)})

    # --- model -----------------------------------------------------------------------------------------------
    def _cmd_model(self, payload: dict) -> None:
        """New settings (size, conditional, device): a fresh model on the next training."""
        self.model_size = payload.get("size", self.model_size)
        self.conditional = bool(payload.get("conditional", self.conditional))
        self.device_name = payload.get("device", self.device_name)
        if self.dataset is not None:
            self._stop_training()
            self._new_model()

    def _new_model(self) -> None:
        data = self.dataset
        if data is None:
            return
        try:
            self.device = resolve_device(self.device_name)
        except ValueError as exc:
            self.message.emit("warning", f"{exc}; using the CPU")
            self.device = torch.device("cpu")
        conditional = self.conditional and data.labels is not None
        if self.conditional and data.labels is None:
            self.message.emit("warning", "This data set has no labels: training an unconditional model.")
        self.trainer = make_image_trainer(data.images, data.labels, model_size=self.model_size, device=self.device,
                                          conditional=conditional, num_classes=max(1, len(data.class_names)))
        self.model, self.process = self.trainer.ema, self.trainer.process
        self.guide, self._guide_candidate, self._next_guide_mark = None, None, GUIDE_FIRST_MARK
        self._sampler = None
        self._rate.clear()
        self._sigma_dirty = True
        cfg = self.trainer.net_config
        self.frame.emit(fr.ModelInfo(self.model_size, count_parameters(self.trainer.model), conditional,
                                     cfg.num_classes, str(self.device), "new"))
        self._emit_train(force=True)

    def _cmd_open_checkpoint(self, path: str) -> None:
        ckpt = load_checkpoint(path, device=self.device)
        if ckpt.meta.get("kind") != "images":
            raise ValueError(f"{path} is not an image-mode checkpoint")
        self._stop_training()
        self.trainer = None
        self.model = ckpt.model
        self.guide = ckpt.guide
        self.process = image_process(ckpt.process, ckpt.model.sigma_data)
        self._sampler = None
        self._sigma_dirty = True
        cfg = ckpt.model.backbone.config
        self.frame.emit(fr.ModelInfo(ckpt.meta.get("model_size", "checkpoint"), count_parameters(ckpt.model),
                                     cfg.num_classes > 0, cfg.num_classes, str(self.device), str(path)))

    def _cmd_train(self, on: bool) -> None:
        if on and self.trainer is None:
            if self.dataset is None:
                self.message.emit("warning", "No data yet: choose a data folder (or download MNIST) first.")
                return
            self._new_model()
        self.training = bool(on) and self.trainer is not None
        self._rate.clear()
        self._emit_train(force=True)

    def _stop_training(self) -> None:
        self.training = False

    def _cmd_save_checkpoint(self, path: str) -> None:
        if self.trainer is None:
            raise ValueError("no model trained in this window to save")
        data = self.dataset
        save_checkpoint(path, trainer=self.trainer, data_name=data.name, fingerprint="", store_data=False,
                        meta={"kind": "images", "data_name": data.name, "class_names": list(data.class_names),
                              "image_shape": list(data.images.shape[1:]), "model_size": self.model_size,
                              "conditional": self.trainer.net_config.num_classes > 0})
        self.message.emit("info", f"Saved the model to {path}")

    # --- sampling --------------------------------------------------------------------------------------------
    def _cmd_sample(self, req: fr.SamplerRequest) -> None:
        if self.model is None:
            self.message.emit("warning", "No model yet: load data and train first.")
            return
        if req.sampler == "ddpm" and type(self.process).__name__ != "VPSDE":
            self.message.emit("warning", "DDPM ancestral sampling needs the VP process; use ode, em or pc here.")
            return
        num_classes = self.model.backbone.config.num_classes
        labels = None
        if num_classes > 0:
            if req.class_label is None:
                labels = torch.arange(req.n, device=self.device) % num_classes
            else:
                labels = torch.full((req.n,), int(req.class_label), device=self.device, dtype=torch.long)
        gen = torch.Generator(device=self.device).manual_seed(int(req.seed))
        shape = tuple(self._real.shape[1:]) if self._real is not None else (1, 28, 28)
        autoguidance = req.autoguidance if labels is None and self.guide is not None else 1.0
        if labels is None and req.autoguidance != 1.0 and self.guide is None:
            self.message.emit("info", f"Autoguidance starts once training has kept an early copy of the model "
                                      f"(after {2 * GUIDE_FIRST_MARK} steps); sampling without it.")
        self._score = image_score(self.model, self.process, labels, req.guidance if labels is not None else 0.0,
                                  self.guide, autoguidance)
        x = self.process.prior_sample((req.n, *shape), gen, self.device)
        self._sampler = run_sampler(req.sampler, self._score, x, generator=gen,
                                    **sampler_options(req.sampler, self.process, req.steps))
        self._serial += 1

    def _cmd_stop_sampling(self, _=None) -> None:
        self._sampler = None

    def _sampler_step(self) -> None:
        try:
            step = next(self._sampler)
        except StopIteration:
            self._sampler = None
            return
        with torch.inference_mode():
            den = step.denoised if step.denoised is not None else self._score.denoised(step.x, step.t)
        done = step.index >= step.total
        self.frame.emit(fr.SampleFrame(self._serial, step.index, step.total, step.noise_level, _montage(step.x),
                                       _montage(den), done,
                                       step.x.detach().float().clamp(0, 1).cpu().numpy() if done else None))
        if done:
            self._sampler = None

    # --- σ slider --------------------------------------------------------------------------------------------
    def _cmd_sigma(self, sigma: float) -> None:
        self.sigma = float(sigma)
        self._sigma_dirty = True

    def _sigma_frame(self) -> None:
        self._sigma_dirty = False
        self._last_sigma = time.perf_counter()
        if self._real is None:
            return
        noisy = self._real + self.sigma * self._real_noise
        if self.model is not None:
            with torch.inference_mode():
                den = self.model(noisy.to(self.device), self.sigma).float().cpu()
        else:
            den = torch.zeros_like(noisy)
        self.frame.emit(fr.SigmaFrame(self.sigma, _montage(noisy), _montage(den), self.model is not None))

    # --- training --------------------------------------------------------------------------------------------
    def _train_step(self) -> None:
        try:
            self.trainer.step()
        except TrainingDiverged as exc:
            self.training = False
            self.message.emit("error", str(exc))
            return
        if self.trainer.step_count >= self._next_guide_mark:
            previous = self._guide_candidate
            self.trainer.keep_guide()                      # copy the EMA now: it guides from the next mark on;
            self._guide_candidate = self.trainer.guide
            self.guide = self.trainer.guide = previous     # the copy from the last mark guides now (and is saved)
            self._next_guide_mark *= 2
        self.trainer.note_rate(self._rate.mark(self.trainer.step_count))

    def _emit_train(self, force: bool = False) -> None:
        now = time.perf_counter()
        if self.trainer is None or (not force and now - self._last_train_emit < TRAIN_EMIT):
            return
        self._last_train_emit = now
        stats = self.trainer.stats()
        rate = stats.steps_per_second * self.trainer.config.batch_size
        edges = stats.level_edges
        centres = np.sqrt(edges[:-1] * edges[1:])
        hist = stats.loss_history[-2000:]
        self.frame.emit(fr.TrainFrame(stats.step, stats.loss, stats.smoothed_loss, centres, stats.level_losses,
                                      rate, str(self.device), self.training, hist.copy()))

    # --- the tick --------------------------------------------------------------------------------------------
    def _tick(self) -> None:
        if self._stopped:
            return
        busy = False
        if self.training and self.trainer is not None:
            self._train_step()
            self._emit_train()
            busy = True
            if time.perf_counter() - self._last_sigma > SIGMA_REFRESH:
                self._sigma_dirty = True
        if self._sampler is not None:
            self._sampler_step()
            busy = True
        if self._sigma_dirty:
            self._sigma_frame()
            busy = True
        # idle: no need to spin; wake up for the next command (delivered by the event loop anyway)
        if self._timer is not None:
            self._timer.setInterval(0 if busy else 20)
