"""`scoreviz train --data mnist[:DIR]|fashion[:DIR]|X.npz` and `scoreviz sample` of an image checkpoint.

commands.train routes a TrainPlan here, commands.sample the namespace of `scoreviz sample`. User errors are
raised as ``UserError`` / ``FileNotFoundError`` (one clear line, exit status 2, no traceback).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

from scoreviz.core.data import tensor_fingerprint
from scoreviz.core.process_base import NoiseProcess
from scoreviz.core.recipes.images import (DEFAULT_AUTOGUIDANCE, DEFAULT_GUIDANCE, DEFAULT_SAMPLER, RECIPES,
                                          default_model_size, default_sampler, draw_images, even_labels, image_process,
                                          image_training_noise, make_image_trainer, sampling_options)
from scoreviz.datasets.idx import ImageDataset, load_image_dataset
from scoreviz.datasets.locate import candidate_dirs, find_dataset
from scoreviz.datasets.montage import save_grid_png

from scoreviz.commands.errors import UserError
from scoreviz.commands.options import run_length, training_noise
from scoreviz.commands.plan import TrainPlan
from scoreviz.commands.training_run import RunSpec, launch, run_and_save

__all__ = ["load_data_spec", "sample_images", "train_images"]


def load_data_spec(spec: str) -> ImageDataset:
    """``mnist``, ``mnist:DIR``, ``fashion``, ``fashion:DIR`` or a path to an ``.npz`` → the data set."""
    if spec.endswith(".npz") and ":" not in spec.split("/")[0]:
        return load_image_dataset(spec)
    kind, _, folder = spec.partition(":")
    if kind not in ("mnist", "fashion"):
        raise UserError(f"unknown image data {spec!r}: use mnist[:DIR], fashion[:DIR] or a .npz file")
    if folder:
        return load_image_dataset(folder, kind)
    found = find_dataset(kind)
    if found is None:
        tried = ", ".join(str(d) for d in candidate_dirs(kind))
        raise FileNotFoundError(
            f"{'MNIST' if kind == 'mnist' else 'Fashion-MNIST'} not found (looked in {tried}); pass "
            f"--data {kind}:DIR, set SCOREVIZ_DATA, or download it from the app's image mode")
    return load_image_dataset(found, kind)


def _image_model_size(plan: TrainPlan, device) -> str:
    size = plan.model or default_model_size(device)
    if size not in RECIPES:
        raise UserError(f"unknown image model size {size!r}; choose one of {', '.join(RECIPES)}")
    return size


def _conditional(plan: TrainPlan, data: ImageDataset) -> bool:
    """--conditional/--unconditional, else class-conditional whenever the data have labels (measured: far more
    recognisable digits)."""
    conditional = data.labels is not None if plan.conditional is None else plan.conditional
    if conditional and data.labels is None:
        raise UserError(f"{data.source}: --conditional needs labels, and this data set has none")
    return conditional


def _length(plan: TrainPlan, size: str) -> tuple[int | None, float | None]:
    """(steps, seconds): --steps and/or --minutes, else the recipe's steps."""
    seconds = plan.seconds
    return (plan.steps if plan.steps else (None if seconds else RECIPES[size].steps)), seconds


def train_images(plan: TrainPlan, schedule: dict | None = None, process: NoiseProcess | None = None) -> dict:
    """Train on image data; `schedule`: the process parameters given, checked (options.schedule_overrides);
    `process`: a published schedule (options.published_process) instead of --process."""
    data = load_data_spec(plan.data)
    setup = launch(plan.device)
    size = _image_model_size(plan, setup.device)
    conditional = _conditional(plan, data)
    name = process.name if process is not None else plan.process
    if name == "ncsn":
        raise UserError("images: use a continuous process (ve, vp, subvp, cosine, discrete or flow); the NCSN ladder "
                        "is for the 2D mode")
    noise = training_noise(plan.noise, image_training_noise(float(data.images.std()) or 0.5, name,
                                                            plan.loss, RECIPES[size].edm_weighting))
    steps, seconds = _length(plan, size)
    trainer = make_image_trainer(
        data.images, data.labels, model_size=size, device=setup.device, conditional=conditional,
        num_classes=max(1, len(data.class_names)), steps=steps, seed=plan.seed, process=process or plan.process,
        loss=plan.loss, process_overrides=schedule, noise=noise, batch_size=plan.batch, lr=plan.lr)
    if not plan.quiet and setup.is_main:
        print(f"{data.name}: {len(data)} images {tuple(data.images.shape[1:])} from {data.source}; model {size}, "
              f"{'class-conditional, ' if conditional else ''}on {setup.describe()}", file=sys.stderr)
    meta = {
        "kind": "images", "data_spec": plan.data, "data_name": data.name, "class_names": data.class_names,
        "image_shape": list(data.images.shape[1:]), "model_size": size, "conditional": bool(conditional),
        "sampler": default_sampler(trainer.process), "seed": plan.seed, "batch_size": trainer.config.batch_size,
    }
    # the recipe keeps the autoguidance model (guide_fraction) as it trains
    run = RunSpec(steps, seconds, data_name=data.name, fingerprint=tensor_fingerprint(data.images), meta=meta,
                  store_data=False, images=True)
    return run_and_save(trainer, setup, plan, run)


def sample_labels(args, num_classes: int) -> tuple[torch.Tensor | None, float]:
    """(labels (n,) or None, guidance w) for `scoreviz sample`, as the window samples: a class-conditional model
    draws every class equally often (even_labels) with DEFAULT_GUIDANCE unless --class K picks one class or
    --unconditional asks for its no-label branch; an unconditional model has no labels and no guidance."""
    unconditional = args.unconditional
    guidance = args.guidance
    if guidance is not None and guidance < 0:
        raise UserError(f"--guidance must be ≥ 0 (got {guidance})")
    if args.class_label is not None and unconditional:
        raise UserError("--class and --unconditional exclude each other")
    if not num_classes:
        if args.class_label is not None:
            raise UserError("--class needs a class-conditional model (train with --conditional)")
        if guidance:
            raise UserError("--guidance needs a class-conditional model (train with --conditional)")
        return None, 0.0
    if unconditional:
        if guidance:
            raise UserError("--guidance applies to class-conditional samples, not to --unconditional ones")
        return None, 0.0
    if args.class_label is not None:
        if not 0 <= args.class_label < num_classes:
            raise UserError(f"--class must be between 0 and {num_classes - 1} (got {args.class_label})")
        labels = torch.full((args.n,), args.class_label, dtype=torch.long)
    else:
        labels = even_labels(args.n, num_classes)
    return labels, DEFAULT_GUIDANCE if guidance is None else float(guidance)


def sample_images(args, ckpt) -> dict:
    meta = ckpt.meta
    model = ckpt.model
    num_classes = getattr(model.backbone.config, "num_classes", 0)
    labels, guidance = sample_labels(args, num_classes)
    autoguidance = args.autoguidance
    if autoguidance is None:
        autoguidance = DEFAULT_AUTOGUIDANCE if ckpt.guide is not None and labels is None else 1.0
    elif autoguidance < 1:
        raise UserError(f"--autoguidance must be ≥ 1 (1 turns it off; got {autoguidance})")
    elif autoguidance != 1 and ckpt.guide is None:
        raise UserError("--autoguidance needs a checkpoint with an early model: train it with this version of scoreviz")
    sampler = args.sampler or meta.get("sampler", DEFAULT_SAMPLER)   # ddpm on a non-VP model: a ValueError
    shape = tuple(meta.get("image_shape", (1, 28, 28)))
    nfe = run_length(args, sampler, image_process(ckpt.process), sampling_options)
    images = draw_images(model, ckpt.process, args.n, sampler, args.steps, seed=args.seed, labels=labels,
                         guidance=guidance, shape=shape, guide=ckpt.guide, autoguidance=autoguidance, nfe=args.nfe)
    array = images.detach().cpu().numpy().astype(np.float32)
    np.save(args.out, array)
    if labels is not None and args.class_label is None:
        what = f"{num_classes} classes evenly, guidance {guidance:g}"
    elif labels is not None:
        what = f"class {args.class_label}, guidance {guidance:g}"
    else:
        what = "no label" + (f", autoguidance {autoguidance:g}" if autoguidance != 1 else "")
    msg = f"wrote {args.n} images {shape} ({what}; {sampler}, {nfe} network evaluations) to {args.out}"
    if args.png:
        # classes drawn evenly: one class per column (labels i mod K, row-major), 8 rows; otherwise 8 × 8
        ncol = num_classes if labels is not None and args.class_label is None else 8
        save_grid_png(array[:8 * ncol], args.png, nrow=ncol)
        msg += f" and a grid to {args.png}"
    print(msg, file=sys.stderr)
    return {"n": args.n, "sampler": sampler, "nfe": nfe, "guidance": guidance, "autoguidance": autoguidance,
            "labels": "even" if labels is not None and args.class_label is None else args.class_label,
            "out": str(Path(args.out))}
