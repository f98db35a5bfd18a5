"""The image lab without Qt: `ImageSession` owns the data, the model and its trainer (on the `process_choice`), the
sampling run (what it follows: `sample_request`) and the σ slider's batch (`sigma_preview`), and reports what it does
as frozen frames (`images.frames`, `frames.ProcessFrame`) through ``emit(frame)`` and messages through ``say(level,
text)`` (by default appended to ``session.frames`` and ``session.messages``). Each method does one unit of work (load
a data set, one training step, one sampler step, one σ frame, ...), so a test or a notebook drives it directly. The
window's worker uses the 2-D lab's convention: ``handle(command)`` takes one of `images.commands`' dataclasses (one
dispatch table; an unknown type is a TypeError), and ``tick()`` does one unit of each kind that is due, on the
injectable clock (`lab.clock`), so the worker only times ticks; the data's side is `images.data`.

    session = ImageSession(model_size="tiny", device="cpu")
    session.set_data(dataset)                 # DataReady, ProcessFrame, ModelInfo, ImageTrainingFrame
    session.set_training(True)
    session.train_step()                      # one optimiser step (the worker's tick() calls it while training)
    session.start_sampling(ImageSampleRequest(sampler="ode", steps=10, seed=0))
    while session.sampling:
        session.sample_step()                 # SampleFrame per step; the last holds the images
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from scoreviz.core.checkpoint import load_checkpoint, save_checkpoint
from scoreviz.core.device import resolve_device
from scoreviz.core.model import count_parameters
from scoreviz.core.recipes.images import default_sampler, image_process, make_image_trainer, sampling_options
from scoreviz.core.sampler_registry import sampler_entry
from scoreviz.core.sampler_runs import run_sampler
from scoreviz.core.training import TrainingDiverged
from scoreviz.datasets.idx import ImageDataset

from scoreviz.lab import commands as lab_cmd
from scoreviz.lab.clock import Clock, wall_clock
from scoreviz.lab.images import commands as cmd
from scoreviz.lab.images import data as image_data
from scoreviz.lab.images import frames as fr
from scoreviz.lab.images.process_choice import ProcessChoice, trainer_recipe
from scoreviz.lab.images.sample_request import request_score
from scoreviz.lab.images.sigma_preview import MIN_SIGMA, SigmaPreview, montage
from scoreviz.lab.process_frame import process_frame
from scoreviz.lab.rate_meter import RateMeter
from scoreviz.lab.schedule.view import schedule_frame

PREVIEW = 16              # real images in DataReady's preview
LOSS_HISTORY = 2000       # recent losses in a training frame
#: Images the schedule's rules look at (largest pairwise distance, prior W₂): a subsample keeps it under a second.
RULE_IMAGES = 1000
TRAIN_EMIT = 0.1          # training read-outs at most 10 per second (each repaints plots on the GUI thread)
SIGMA_REFRESH = 2.0       # the σ-slider denoising is redone this often while training (the model moves)
RATE_WINDOW = 5.0         # seconds of steps the training rate is measured over


class ImageSession:
    """See the module docstring. ``model_size``: a key of ``names.IMAGE_MODEL_SIZES``; ``device``: a key of
    ``names.DEVICES``; ``max_images``: train on at most this many images of a data set."""

    def __init__(self, emit: Callable[[object], None] | None = None, say: Callable[[str, str], None] | None = None,
                 *, model_size: str = "cpu", device: str = "auto", max_images: int | None = None,
                 clock: Clock = wall_clock):
        self.clock = clock
        self.frames: list = []
        self.messages: list[tuple[str, str]] = []
        self.emit = emit if emit is not None else self.frames.append
        self.say = say if say is not None else (lambda level, text: self.messages.append((level, text)))
        self.model_size = model_size
        self.device_name = device
        self.device = torch.device("cpu")
        self.max_images = max_images
        self.conditional = True       # with guidance 86 % recognisable; unconditional 55–67 % (measured)
        self.process_choice = ProcessChoice()   # the noise process of a new model (commands.ConfigureModel)
        # data
        self.dataset: ImageDataset | None = None
        self.data_version = 0
        self.image_shape: tuple[int, ...] = (1, 28, 28)
        # model: a trainer (its EMA is sampled from) or a loaded checkpoint's frozen model and guide
        self.trainer = None
        self.model = None
        self.process = None
        self._loaded_guide = None
        self.training = False
        # sampling
        self._run = None
        self._score = None
        self.serial = 0
        # the σ slider's batch and σ itself (the session owns it; the slider shows what it reports)
        self.preview = SigmaPreview()
        # timing of the ticks (lab.clock) and the download's cancel flag (set from the GUI thread)
        self._rate = RateMeter(window=RATE_WINDOW, clock=clock)
        self._last_train_emit = self._last_sigma = 0.0
        self._cancel = threading.Event()
        self.handlers: dict[type, Callable] = {
            cmd.LoadData: lambda c: self.load_data(c.kind, c.folder),
            cmd.Download: self._download,
            cmd.ConfigureModel: self._configure,
            cmd.OpenCheckpoint: lambda c: self.open_checkpoint(c.path),
            cmd.SaveCheckpoint: lambda c: self.save_checkpoint(c.path),
            lab_cmd.Train: self._train,
            cmd.Sample: lambda c: self.start_sampling(c.request),
            cmd.StopSampling: lambda c: self.stop_sampling(),
            lab_cmd.SetSigma: lambda c: self.set_sigma(c.sigma)}

    # --- commands and the tick -------------------------------------------------------------------------------
    def handle(self, command) -> None:
        """Run `command` (one of images.commands); TypeError for a command this session has no handler for."""
        handler = self.handlers.get(type(command))
        if handler is None:
            raise TypeError(f"the image lab has no command {type(command).__name__} ({command!r})")
        handler(command)

    def _download(self, command: cmd.Download) -> None:
        self._cancel.clear()
        self.download(command.dest, mirrors=command.mirrors, files=command.files, timeout=command.timeout,
                      cancelled=self._cancel.is_set)

    def request_cancel(self) -> None:
        """Cancel a running download (thread-safe: the download polls the flag between chunks)."""
        self._cancel.set()

    def _configure(self, command: cmd.ConfigureModel) -> None:
        self.configure(size=command.size, conditional=command.conditional, device=command.device,
                       **(command.process_fields() or {}))
        self._rate.clear()

    def _train(self, command: lab_cmd.Train) -> None:
        self._rate.clear()      # a pause must not count in the rate
        self.set_training(command.on)

    def tick(self) -> bool:
        """One training step (when training) with its read-outs at most every TRAIN_EMIT seconds, one sampler step
        (when a run goes on), then the σ frame when it is stale (and every SIGMA_REFRESH seconds while training).
        Returns whether work was done (tick again at once) or the session is idle."""
        busy, now = False, self.clock()
        if self.training:
            if self.train_step():
                self.note_rate(self._rate.mark(self.trainer.step_count))
            if now - self._last_train_emit >= TRAIN_EMIT:
                self._last_train_emit = now
                self.training_frame()
            if now - self._last_sigma > SIGMA_REFRESH:
                self.preview.stale = True
            busy = True
        if self.sampling:
            self.sample_step()
            busy = True
        if self.preview.stale:
            self._last_sigma = now
            self.sigma_frame()
            busy = True
        return busy

    # --- state -----------------------------------------------------------------------------------------------
    @property
    def guide(self):
        """The early model for autoguidance: the trainer's (core keeps it up to date) or the checkpoint's."""
        return self.trainer.guide if self.trainer is not None else self._loaded_guide

    sampling = property(lambda self: self._run is not None, doc="A sampling run goes on.")

    def release(self) -> None:
        """Drop the torch state (at shutdown)."""
        self._run = self._score = None
        self.trainer = self.model = self._loaded_guide = None
        self.training = False

    # --- data ------------------------------------------------------------------------------------------------
    def load_data(self, kind: str = "mnist", folder: str | Path | None = None) -> bool:
        """Load ``kind`` from ``folder`` (a bad one is reported naming it), else from the usual places:
        DataMissing when it cannot; else as :meth:`set_data`."""
        found = image_data.load(kind, folder)
        if isinstance(found, fr.DataMissing):
            self.emit(found)
            return False
        self.set_data(found)
        return True

    def set_data(self, data: ImageDataset) -> None:
        """Use this data set (at most ``max_images`` of it): DataReady, then a new model on it."""
        data = image_data.first(data, self.max_images)
        self.dataset = data
        self.data_version += 1
        self.image_shape = tuple(data.images.shape[1:])
        self.preview.set_images(data.images)
        self.emit(fr.DataReady(name=data.name, source=str(data.source), n=len(data),
                               class_names=tuple(data.class_names), preview=montage(data.images[:PREVIEW])))
        self.new_model()

    def download(self, dest: str | Path | None = None, *, mirrors=None, files=None, timeout: float = 30,
                 cancelled: Callable[[], bool] | None = None) -> bool:
        """Download MNIST into ``dest`` (blocking; ``cancelled()`` is polled between chunks), reporting
        DownloadProgress, then load it."""
        folder = image_data.download(dest, self.emit, mirrors=mirrors, files=files, timeout=timeout,
                                     cancelled=cancelled)
        return folder is not None and self.load_data("mnist", folder)

    # --- model -----------------------------------------------------------------------------------------------
    def configure(self, *, size: str | None = None, conditional: bool | None = None,
                  device: str | None = None, process: str | None = None, schedule_preset: str | None = None,
                  rescale_zero_snr: bool | None = None) -> None:
        """New model settings, a fresh model at once when there are data; the process fields as ConfigureModel's
        (a choice the recipe cannot train: ValueError, nothing changes)."""
        if process is not None or schedule_preset is not None or rescale_zero_snr is not None:
            choice = ProcessChoice(process or "ve", schedule_preset, bool(rescale_zero_snr))
            choice.build()                        # checked before anything changes
            self.process_choice = choice
        self.model_size = size or self.model_size
        self.conditional = self.conditional if conditional is None else bool(conditional)
        self.device_name = device or self.device_name
        if self.dataset is not None:
            self.new_model()

    def _resolve_device(self) -> None:
        try:
            self.device = resolve_device(self.device_name)
        except ValueError as exc:
            self.say("warning", f"{exc}; using the CPU")
            self.device = torch.device("cpu")

    def new_model(self) -> None:
        """A fresh trainer on the data (training paused): ProcessFrame, ModelInfo and a training frame."""
        data = self.dataset
        if data is None:
            self.say("warning", "No data yet: choose a data folder (or download MNIST) first.")
            return
        self._resolve_device()
        conditional = self.conditional and data.labels is not None
        if self.conditional and data.labels is None:
            self.say("warning", "This data set has no labels: training an unconditional model.")
        self.training = False
        process = self.process_choice.build()
        self.trainer = make_image_trainer(data.images, data.labels, model_size=self.model_size, device=self.device,
                                          conditional=conditional, num_classes=max(1, len(data.class_names)),
                                          open_ended=True,   # trains as long as the user likes; keeps its guide
                                          **trainer_recipe(process, float(data.images.std()) or 0.5))
        self.model, self.process, self._loaded_guide = self.trainer.ema, self.trainer.process, None
        self._new_process()
        self.emit(fr.ModelInfo(size=self.model_size, parameters=count_parameters(self.trainer.model),
                               conditional=conditional, num_classes=self.trainer.net_config.num_classes,
                               device=str(self.device), source="new"))
        self.training_frame()

    def _new_process(self) -> None:
        self._run = None
        self.preview.set_sigma(self.sigma, self._sigma_max())
        self.emit(process_frame(self.process, device=str(self.device), data_version=self.data_version,
                                sigma=self.sigma))
        self.emit(self._schedule_frame())

    def _schedule_frame(self):
        """NCSNv2's rules for this process at the images' dimension (the level ratio binds here: D = 784)."""
        images = self.dataset.images if self.dataset is not None else None
        sample = images[:RULE_IMAGES].reshape(min(len(images), RULE_IMAGES), -1) if images is not None else None
        noise = self.trainer.config.noise if self.trainer is not None else None
        return schedule_frame(self.process, training_noise=noise, points=sample, dim=int(np.prod(self.image_shape)),
                              sigma_data=float(self.model.sigma_data) if self.model is not None else 0.5)

    def open_checkpoint(self, path: str | Path) -> None:
        """Sample from an image-mode checkpoint (training stops; a new model or new data go back to training)."""
        self._resolve_device()
        ckpt = load_checkpoint(path, device=self.device)
        if ckpt.meta.get("kind") != "images":
            raise ValueError(f"{path} is not an image-mode checkpoint")
        self.training = False
        self.trainer = None
        self.model, self._loaded_guide = ckpt.model, ckpt.guide
        self.process = image_process(ckpt.process, ckpt.model.sigma_data)
        if ckpt.meta.get("image_shape"):
            self.image_shape = tuple(int(n) for n in ckpt.meta["image_shape"])
        self._new_process()
        cfg = ckpt.model.backbone.config
        self.emit(fr.ModelInfo(size=ckpt.meta.get("model_size", "checkpoint"), parameters=count_parameters(ckpt.model),
                               conditional=cfg.num_classes > 0, num_classes=cfg.num_classes, device=str(self.device),
                               source=str(path)))

    def save_checkpoint(self, path: str | Path) -> None:
        """Save the model trained here (with its autoguidance copy, if any)."""
        if self.trainer is None:
            raise ValueError("no model trained in this window to save")
        data = self.dataset
        save_checkpoint(path, trainer=self.trainer, data_name=data.name, fingerprint="", store_data=False,
                        meta={"kind": "images", "data_name": data.name, "class_names": list(data.class_names),
                              "image_shape": list(data.images.shape[1:]), "model_size": self.model_size,
                              "conditional": self.trainer.net_config.num_classes > 0,
                              "sampler": default_sampler(self.trainer.process)})
        self.say("info", f"Saved the model to {path}")

    # --- training --------------------------------------------------------------------------------------------
    def set_training(self, on: bool) -> bool:
        """Train (or pause) from the next :meth:`train_step`; a new model first if a checkpoint was open."""
        if on and self.trainer is None:
            self.new_model()
        self.training = bool(on) and self.trainer is not None
        self.training_frame()
        return self.training

    def train_step(self) -> bool:
        """One optimiser step when training; False (and training stops) when the loss diverged."""
        if not self.training or self.trainer is None:
            return False
        try:
            self.trainer.step()
        except TrainingDiverged as exc:
            self.training = False
            self.say("error", str(exc))
            self.training_frame()
            return False
        return True

    def note_rate(self, steps_per_second: float) -> None:
        """The training rate the caller measured (wall time, ticks included)."""
        if self.trainer is not None:
            self.trainer.note_rate(steps_per_second)

    def training_frame(self) -> fr.ImageTrainingFrame | None:
        """The training read-outs now (the caller decides how often)."""
        if self.trainer is None:
            return None
        stats = self.trainer.stats()
        edges = stats.level_edges
        frame = fr.ImageTrainingFrame(
            step=stats.step, loss=stats.loss, smoothed_loss=stats.smoothed_loss,
            level_centres=np.sqrt(edges[:-1] * edges[1:]), level_losses=stats.level_losses,
            images_per_second=stats.steps_per_second * self.trainer.config.batch_size, device=str(self.device),
            training=self.training, loss_history=stats.loss_history[-LOSS_HISTORY:])
        self.emit(frame)
        return frame

    # --- sampling --------------------------------------------------------------------------------------------
    def start_sampling(self, req: fr.ImageSampleRequest) -> bool:
        """Start a run from the prior (frames come from :meth:`sample_step`); False with a message if it cannot."""
        if self.model is None:
            self.say("warning", "No model yet: load data and train first.")
            return False
        score, message = request_score(req, self.model, self.process, self.guide, self.device)
        if message:
            self.say("info", message)
        gen = torch.Generator(device=self.device).manual_seed(int(req.seed))
        x = self.process.prior_sample((req.n, *self.image_shape), gen, self.device)
        try:
            # a sampler at one level runs at the σ slider's, as its label says and as in the 2-D lab; the
            # request's steps are the run's NFE (the recipe's levels, e.g. annealed Langevin's 20, stay)
            at_one_level = sampler_entry(req.sampler).at_one_level
            at_slider = {"noise_level": max(self.sigma, MIN_SIGMA)} if at_one_level else {}
            options = sampling_options(req.sampler, self.process, req.steps, **at_slider)
            run = run_sampler(req.sampler, score, x, generator=gen, **options)
        except ValueError as exc:   # the sampler refuses this process (DDPM needs VP) or an option
            self.say("warning", str(exc))
            return False
        self._run, self._score = run, score
        self.serial += 1
        return True

    def stop_sampling(self) -> None:
        self._run = self._score = None

    def sample_step(self) -> fr.SampleFrame | None:
        """One sampler step: a SampleFrame of x and its Tweedie estimates; the last one holds the images."""
        if self._run is None:
            return None
        try:
            step = next(self._run)
        except StopIteration:
            self.stop_sampling()
            return None
        except ValueError as exc:   # a sampler that checks its process only when it starts
            self.stop_sampling()
            self.say("warning", str(exc))
            return None
        with torch.inference_mode():
            den = step.denoised if step.denoised is not None else self._score.denoised(step.x, step.t)
        done = step.index >= step.total
        frame = fr.SampleFrame(
            serial=self.serial, index=step.index, total=step.total, noise_level=step.noise_level,
            samples=montage(step.x), denoised=montage(den), done=done,
            final_images=step.x.detach().float().clamp(0, 1).cpu().numpy() if done else None)
        if done:
            self.stop_sampling()
        self.emit(frame)
        return frame

    # --- σ slider --------------------------------------------------------------------------------------------
    @property
    def sigma(self) -> float:
        return self.preview.sigma

    def set_sigma(self, sigma: float) -> None:
        """The σ asked for, clamped to [0, the process's σ_max]; reported in the next SigmaFrame."""
        self.preview.set_sigma(sigma, self._sigma_max())

    def _sigma_max(self) -> float:
        return float(self.process.noise_range()[1]) if self.process is not None else float("inf")

    def sigma_frame(self) -> fr.SigmaFrame | None:
        """Real images noised at σ beside the model's denoising of them (zeros without a model)."""
        if (frame := self.preview.frame(self.model, self.device)) is not None:
            self.emit(frame)
        return frame
