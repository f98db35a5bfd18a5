"""One versioned checkpoint file: weights (model and EMA), noise process, training noise, network config, data,
and what a resumed run needs (the training config, the optimiser, step, plan and RNG: `resume_trainer`).

Stored with `torch.save` as a plain dict of tensors, strings and numbers, and read back with
`torch.load(weights_only=True)`, which refuses anything that would run code. Every way a file can be wrong
(not a checkpoint, truncated, another program's, a newer format, inconsistent weights) becomes a
`CheckpointError` whose message names the file.
"""
from __future__ import annotations

import os
import warnings
import zipfile
from dataclasses import dataclass, fields
from pathlib import Path

import torch
from torch import Tensor

from scoreviz.core.model import Denoiser, build_denoiser, config_from_dict, config_to_dict
from scoreviz.core.schedule.training_noise import TrainingNoise
from scoreviz.core.processes import NoiseProcess, process_from_config
from scoreviz.core.training import TrainConfig, Trainer

FORMAT = "scoreviz-checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint that cannot be used; the message says why, naming the file."""


@dataclass
class LoadedCheckpoint:
    model: Denoiser          # the EMA weights: the ones to sample with
    process: NoiseProcess
    net_config: object
    data: Tensor             # (N, *shape) the training data (points; empty for images)
    data_name: str
    fingerprint: str
    meta: dict               # steps, loss kind, anything else recorded
    guide: Denoiser | None = None   # an earlier EMA kept for autoguidance (Trainer.keep_guide), if any
    noise: TrainingNoise = TrainingNoise()   # the σ̃ distribution and weighting trained with (older files: default)
    path: Path | None = None
    training: dict | None = None   # load_checkpoint(for_training=True): the raw state resume_trainer continues


def train_config_dict(config: TrainConfig) -> dict:
    """A TrainConfig as plain data (TrainConfig(**d) reads it back; its noise as TrainingNoise.config())."""
    d = {f.name: getattr(config, f.name) for f in fields(config)}
    d["noise"] = config.noise.config()
    return d


def save_checkpoint(path, *, trainer, data_name: str, fingerprint: str, store_data: bool = True, meta=None) -> None:
    """Write atomically (a .part file, then rename) so an interrupted save never leaves a broken file."""
    path = Path(path)
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "net_config": config_to_dict(trainer.net_config),
        "sigma_data": trainer.model.sigma_data,
        "process": trainer.process.config(),      # the schedule's parameters (processes.schedule_parameters)
        "noise": trainer.config.noise.config(),   # TrainingNoise: where training spent its σ̃, and its weighting
        "ema": trainer.ema.state_dict(),
        "model": trainer.model.state_dict(),
        "data": trainer.data.detach().cpu() if store_data else torch.zeros(0),
        "data_name": data_name,
        "fingerprint": fingerprint,
        "meta": {**(meta or {}), "steps": trainer.step_count, "loss": trainer.config.loss},   # the trainer's facts win
    }
    if trainer.guide is not None:
        payload["guide"] = trainer.guide.state_dict()
    if hasattr(trainer, "training_state"):   # resumable (scoreviz train --resume)
        payload["train_config"] = train_config_dict(trainer.config)
        payload["training"] = trainer.training_state()
    tmp = path.with_name(path.name + ".part")
    torch.save(payload, tmp)
    os.replace(tmp, path)


def _frozen_denoiser(net_config, sigma_data: float, state: dict, device) -> Denoiser:
    """A Denoiser with these weights, in eval mode and without gradients (for sampling)."""
    net = build_denoiser(net_config, sigma_data).to(device)
    net.load_state_dict(state)
    return net.eval().requires_grad_(False)


def load_checkpoint(path, device="cpu", *, for_training: bool = False) -> LoadedCheckpoint:
    """The checkpoint at `path`, its models on `device` (frozen, EMA weights). `for_training`: also keep what
    `resume_trainer` needs, or a CheckpointError if the file was written before checkpoints kept it."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    try:
        with warnings.catch_warnings():  # torch warns about foreign pickles; the error below says it better
            warnings.simplefilter("ignore")
            payload = torch.load(path, map_location=device, weights_only=True)
    except Exception as exc:  # a foreign or damaged file can fail the unpickler in any way (IndexError too)
        reason = "truncated or corrupt" if isinstance(exc, (EOFError, zipfile.BadZipFile)) or "zip" in str(exc).lower() \
            else "not a scoreviz checkpoint (or one that would run code, which is refused)"
        raise CheckpointError(f"{path}: cannot read checkpoint: {reason}") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a scoreviz checkpoint")
    if payload.get("version") != VERSION:
        raise CheckpointError(f"{path}: checkpoint format version {payload.get('version')} is not supported "
                              f"(this scoreviz reads version {VERSION})")
    try:
        net_config = config_from_dict(payload["net_config"])
        process = process_from_config(payload["process"])
        model = _frozen_denoiser(net_config, payload["sigma_data"], payload["ema"], device)
        guide = _frozen_denoiser(net_config, payload["sigma_data"], payload["guide"], device) if "guide" in payload else None
        noise = TrainingNoise.from_config(payload["noise"]) if "noise" in payload else TrainingNoise()
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{path}: checkpoint is inconsistent ({type(exc).__name__}: {str(exc)[:200]})") from None
    training = None
    if for_training:
        if "training" not in payload or "train_config" not in payload:
            raise CheckpointError(f"{path}: this checkpoint has no optimizer state (it was written before scoreviz "
                                  f"saved one), so it cannot be resumed; it still samples and evaluates — start a "
                                  f"new run to train further")
        training = {k: payload[k] for k in ("training", "train_config", "model", "ema", "sigma_data")}
        training["guide"] = payload.get("guide")
    return LoadedCheckpoint(model, process, net_config, payload.get("data", torch.zeros(0)),
                            payload.get("data_name", ""), payload.get("fingerprint", ""), payload.get("meta", {}),
                            guide, noise, path, training)


def resume_trainer(ckpt: LoadedCheckpoint, data: Tensor, labels: Tensor | None = None, device="cpu",
                   **overrides) -> Trainer:
    """A Trainer that carries on from `ckpt` (load_checkpoint(for_training=True)) on `data` (N, *shape) and
    `labels` (N,) — the same data it was trained on (the caller compares fingerprints): same network, process,
    training noise, optimiser moments, EMA, guide, step, planned length and RNG. `overrides`: TrainConfig
    fields to change from here on (batch_size, lr, ...)."""
    if ckpt.training is None:
        raise ValueError("resume_trainer needs load_checkpoint(..., for_training=True)")
    t = ckpt.training
    known = {f.name for f in fields(TrainConfig)}   # a setting this version no longer has is dropped
    saved = {k: v for k, v in t["train_config"].items() if k in known}
    config = TrainConfig(**{**saved, **{k: v for k, v in overrides.items() if v is not None}})
    conditional = getattr(ckpt.net_config, "num_classes", 0) > 0
    if conditional and labels is None:
        raise CheckpointError(f"{ckpt.path}: this model is class-conditional; resuming it needs the labels")
    try:
        trainer = Trainer(data, ckpt.process, ckpt.net_config, config, device=device,
                          labels=labels if conditional else None)
        for net in (trainer.model, trainer.ema):   # the σ_d the weights were trained with, to the last bit
            net.sigma_data = float(t["sigma_data"])
        trainer.load_training_state(t["training"], t["model"], t["ema"], t["guide"])
    except (KeyError, TypeError, RuntimeError) as exc:
        raise CheckpointError(f"{ckpt.path}: cannot resume ({type(exc).__name__}: {str(exc)[:200]})") from None
    return trainer
