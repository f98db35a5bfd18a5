"""One versioned checkpoint file: weights (model and EMA), noise process, training noise, network config, data.

Stored with `torch.save` as a plain dict of tensors, strings and numbers, and read back with
`torch.load(weights_only=True)`, which refuses anything that would run code. Every way a file can be wrong
(not a checkpoint, truncated, another program's, a newer format, inconsistent weights) becomes a
`CheckpointError` whose message names the file.
"""
from __future__ import annotations

import os
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from .model import Denoiser, build_denoiser, config_from_dict, config_to_dict
from .noise_schedule import TrainingNoise
from .processes import NoiseProcess, process_from_config

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
        "meta": {"steps": trainer.step_count, "loss": trainer.config.loss, **(meta or {})},
    }
    if trainer.guide is not None:
        payload["guide"] = trainer.guide.state_dict()
    tmp = path.with_name(path.name + ".part")
    torch.save(payload, tmp)
    os.replace(tmp, path)


def _frozen_denoiser(net_config, sigma_data: float, state: dict, device) -> Denoiser:
    """A Denoiser with these weights, in eval mode and without gradients (for sampling)."""
    net = build_denoiser(net_config, sigma_data).to(device)
    net.load_state_dict(state)
    return net.eval().requires_grad_(False)


def load_checkpoint(path, device="cpu") -> LoadedCheckpoint:
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
    return LoadedCheckpoint(model, process, net_config, payload.get("data", torch.zeros(0)),
                            payload.get("data_name", ""), payload.get("fingerprint", ""), payload.get("meta", {}),
                            guide, noise)
