"""`scoreviz train --data mnist[:DIR]|fashion[:DIR]|X.npz` and `scoreviz sample` of an image checkpoint.

`scoreviz.commands` routes here; ``args`` is its argparse namespace. User errors are raised as ``ValueError``
/ ``FileNotFoundError`` (one clear line, exit status 2, no traceback).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import torch

from scoreviz.commands.points import training_noise
from scoreviz.commands.progress import training_progress
from scoreviz.core.checkpoint import save_checkpoint
from scoreviz.core.data import tensor_fingerprint
from scoreviz.core.device import resolve_device
from scoreviz.core.recipes.images import (DEFAULT_AUTOGUIDANCE, DEFAULT_SAMPLER, RECIPES, default_model_size,
                                          draw_images, image_training_noise, make_image_trainer)
from scoreviz.datasets.idx import ImageDataset, load_image_dataset
from scoreviz.datasets.locate import candidate_dirs, find_dataset
from scoreviz.datasets.montage import save_grid_png

__all__ = ["load_data_spec", "sample_images", "train_images"]


def load_data_spec(spec: str) -> ImageDataset:
    """``mnist``, ``mnist:DIR``, ``fashion``, ``fashion:DIR`` or a path to an ``.npz`` → the data set."""
    if spec.endswith(".npz") and ":" not in spec.split("/")[0]:
        return load_image_dataset(spec)
    kind, _, folder = spec.partition(":")
    if kind not in ("mnist", "fashion"):
        raise ValueError(f"unknown image data {spec!r}: use mnist[:DIR], fashion[:DIR] or a .npz file")
    if folder:
        return load_image_dataset(folder, kind)
    found = find_dataset(kind)
    if found is None:
        tried = ", ".join(str(d) for d in candidate_dirs(kind))
        raise FileNotFoundError(
            f"{'MNIST' if kind == 'mnist' else 'Fashion-MNIST'} not found (looked in {tried}); pass "
            f"--data {kind}:DIR, set SCOREVIZ_DATA, or download it from the app's image mode")
    return load_image_dataset(found, kind)


def train_images(args, schedule: dict | None = None) -> dict:
    """Train on image data; `schedule`: the process parameters given (commands.points.schedule_overrides)."""
    data = load_data_spec(args.data)
    device = resolve_device(args.device)
    size = args.model or default_model_size(device)
    if size not in RECIPES:
        raise ValueError(f"unknown image model size {size!r}; choose one of {', '.join(RECIPES)}")
    if args.conditional is None:  # class-conditional whenever the data have labels (measured: far more digits)
        args.conditional = data.labels is not None
    if args.conditional and data.labels is None:
        raise ValueError(f"{data.source}: --conditional needs labels, and this data set has none")
    if args.process == "ncsn":
        raise ValueError("images: use --process ve, vp, subvp or cosine (the NCSN ladder is for the 2D mode)")
    noise = training_noise(args, image_training_noise(float(data.images.std()) or 0.5, args.process, args.loss,
                                                      RECIPES[size].edm_weighting))
    seconds = args.minutes * 60 if args.minutes else None
    steps = args.steps if args.steps else (None if seconds else RECIPES[size].steps)
    trainer = make_image_trainer(
        data.images, data.labels, model_size=size, device=device, conditional=args.conditional,
        num_classes=max(1, len(data.class_names)), steps=steps, seed=args.seed, process=args.process,
        loss=args.loss, process_overrides=schedule, noise=noise, batch_size=args.batch, lr=args.lr)
    if not args.quiet:
        print(f"{data.name}: {len(data)} images {tuple(data.images.shape[1:])} from {data.source}; model {size}, "
              f"{'class-conditional, ' if args.conditional else ''}on {device}", file=sys.stderr)
    start = time.perf_counter()
    bar, report = training_progress(steps, args.quiet, trainer.config.batch_size)
    with bar:
        trainer.train(steps, report, seconds)   # the recipe keeps the autoguidance model (guide_fraction)
        report(trainer.stats())
    elapsed = time.perf_counter() - start
    rate = trainer.step_count * trainer.config.batch_size / max(elapsed, 1e-9)
    meta = {
        "kind": "images", "data_spec": args.data, "data_name": data.name, "class_names": data.class_names,
        "image_shape": list(data.images.shape[1:]), "model_size": size, "conditional": bool(args.conditional),
        "sampler": DEFAULT_SAMPLER, "seed": args.seed, "seconds": round(elapsed, 1),
        "images_per_second": round(rate, 1), "batch_size": trainer.config.batch_size,
    }
    save_checkpoint(args.out, trainer=trainer, data_name=data.name, fingerprint=tensor_fingerprint(data.images),
                    store_data=False, meta=meta)
    print(f"trained {trainer.step_count} steps ({rate:.0f} images/s) in {elapsed:.1f} s on {device.type} "
          f"(loss {trainer.stats().smoothed_loss:.4f}); wrote {args.out}", file=sys.stderr)
    return {"steps": trainer.step_count, "seconds": elapsed, "images_per_second": rate}


def sample_images(args, ckpt) -> dict:
    meta = ckpt.meta
    model = ckpt.model
    num_classes = getattr(model.backbone.config, "num_classes", 0)
    labels = None
    if args.class_label is not None:
        if not num_classes:
            raise ValueError("--class needs a class-conditional model (train with --conditional)")
        if not 0 <= args.class_label < num_classes:
            raise ValueError(f"--class must be between 0 and {num_classes - 1} (got {args.class_label})")
        labels = torch.full((args.n,), args.class_label, dtype=torch.long)
    elif args.guidance:
        raise ValueError("--guidance needs --class K")
    if args.guidance < 0:
        raise ValueError(f"--guidance must be ≥ 0 (got {args.guidance})")
    autoguidance = getattr(args, "autoguidance", None)
    if autoguidance is None:
        autoguidance = DEFAULT_AUTOGUIDANCE if ckpt.guide is not None and labels is None else 1.0
    elif autoguidance < 1:
        raise ValueError(f"--autoguidance must be ≥ 1 (1 turns it off; got {autoguidance})")
    elif autoguidance != 1 and ckpt.guide is None:
        raise ValueError("--autoguidance needs a checkpoint with an early model: train it with this version of scoreviz")
    sampler = args.sampler or meta.get("sampler", DEFAULT_SAMPLER)   # ddpm on a non-VP model: a ValueError
    shape = tuple(meta.get("image_shape", (1, 28, 28)))
    images = draw_images(model, ckpt.process, args.n, sampler, args.steps, seed=args.seed, labels=labels,
                         guidance=args.guidance, shape=shape, guide=ckpt.guide, autoguidance=autoguidance)
    array = images.detach().cpu().numpy().astype(np.float32)
    np.save(args.out, array)
    msg = f"wrote {args.n} images {shape} to {args.out}"
    if args.png:
        save_grid_png(array[:64], args.png, nrow=8)
        msg += f" and a grid to {args.png}"
    print(msg, file=sys.stderr)
    return {"n": args.n, "sampler": sampler, "autoguidance": autoguidance, "out": str(Path(args.out))}
