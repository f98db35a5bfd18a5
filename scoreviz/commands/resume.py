"""`scoreviz train --resume CKPT --out NEW`: carry on a run from its checkpoint (core.checkpoint.resume_trainer).

Rules, and why:
* The model, process, schedule, training noise and loss are the checkpoint's: the weights were trained under
  them, so options that would change them are refused rather than silently ignored. --batch and --lr may change.
* The data are the checkpoint's (points: the stored points; images: its data spec), or --data when given, and
  must have the checkpoint's fingerprint: resuming on other data is a new run, not a continuation.
* Length: --steps N / --minutes M more; neither finishes the planned length of an interrupted run. A planned
  cosine schedule is stretched to end with the resumed run (as a --minutes run plans it on the measured rate);
  a run that had finished its plan then sees the learning rate rise again part-way (a warm restart).
* The CSV log continues the resumed checkpoint's (`<out>.log.csv` holds the whole curve).
"""
from __future__ import annotations

import sys
from pathlib import Path

from scoreviz.core.checkpoint import load_checkpoint, resume_trainer
from scoreviz.core.data import load_data, tensor_fingerprint
from scoreviz.commands.points import NOISE_OPTIONS, SCHEDULE_OPTIONS, UserError
from scoreviz.commands.training_run import launch, run_and_save

__all__ = ["resume"]


def _refuse_model_options(args) -> None:
    options = {**SCHEDULE_OPTIONS, **NOISE_OPTIONS, "model": ("model", "--model"),
               "conditional": ("conditional", "--conditional/--unconditional")}
    given = [flag for dest, flag in options.values() if getattr(args, dest, None) is not None]
    if given:
        raise UserError(f"{', '.join(given)}: a resumed run keeps the checkpoint's model, schedule and training "
                        f"noise (leave these out, or start a new run)")


def _points(args, ckpt):
    """(data, labels, data_name, fingerprint, spec) for a point checkpoint."""
    spec = args.data or ckpt.meta.get("data_spec")
    if args.data is None and ckpt.data.numel():
        return ckpt.data, None, ckpt.data_name, ckpt.fingerprint, spec
    if spec is None:
        raise UserError(f"{args.resume} stores no data and names no data source: pass --data")
    dataset = load_data(spec, seed=ckpt.meta.get("seed", 0))
    _same_data(args, ckpt, spec, dataset.fingerprint())
    return dataset.train, None, dataset.name, dataset.fingerprint(), spec


def _images(args, ckpt):
    from scoreviz.commands.images import load_data_spec

    spec = args.data or ckpt.meta.get("data_spec")
    if spec is None:
        raise UserError(f"{args.resume} does not say which images it was trained on: pass --data")
    data = load_data_spec(spec)
    shape = ckpt.meta.get("image_shape")
    if shape is not None and list(data.images.shape[1:]) != list(shape):
        raise UserError(f"{spec} holds images of shape {tuple(data.images.shape[1:])}, but {args.resume} was "
                        f"trained on {tuple(shape)}")
    fingerprint = tensor_fingerprint(data.images)
    _same_data(args, ckpt, spec, fingerprint)
    conditional = getattr(ckpt.net_config, "num_classes", 0) > 0
    if conditional and data.labels is None:
        raise UserError(f"{args.resume} is class-conditional, and {spec} has no labels")
    return data.images, data.labels if conditional else None, data.name, fingerprint, spec


def _same_data(args, ckpt, spec, fingerprint: str) -> None:
    if not ckpt.fingerprint:   # written by the window, which records none: nothing to compare
        print(f"scoreviz train: note: {args.resume} records no data fingerprint; resuming on {spec} unchecked",
              file=sys.stderr)
    elif fingerprint != ckpt.fingerprint:
        raise UserError(f"{spec} is not the data {args.resume} was trained on (fingerprint {fingerprint}, the "
                        f"checkpoint's {ckpt.fingerprint}); leave --data out to use the checkpoint's")


def resume(args) -> dict:
    _refuse_model_options(args)
    setup = launch(args.device)
    ckpt = load_checkpoint(args.resume, device=setup.device, for_training=True)
    config = ckpt.training["train_config"]
    # --process and --loss have defaults (ve, dsm), so only a value other than the default is known to be given
    if args.process != "ve" and args.process != ckpt.process.name:
        raise UserError(f"--process {args.process}: {args.resume} was trained with {ckpt.process.name}")
    if args.loss != "dsm" and args.loss != config["loss"]:
        raise UserError(f"--loss {args.loss}: {args.resume} was trained with {config['loss']}")
    images = ckpt.meta.get("kind") == "images"
    data, labels, name, fingerprint, spec = (_images if images else _points)(args, ckpt)
    trainer = resume_trainer(ckpt, data, labels, setup.device, batch_size=args.batch, lr=args.lr)
    steps, seconds = args.steps, (args.minutes * 60 if args.minutes else None)
    if not (steps or seconds):
        left = (trainer.planned_steps or 0) - trainer.step_count
        if left <= 0:
            raise UserError(f"{args.resume} has finished its planned {trainer.planned_steps or trainer.step_count} "
                            f"steps: give --steps N or --minutes M to train further")
        steps = left
    elif steps and trainer.planned_steps is not None and not seconds:
        trainer.planned_steps = max(trainer.planned_steps, trainer.step_count + steps)
    meta = {**{k: v for k, v in ckpt.meta.items() if k != "ddp"}, "data_spec": spec, "resumed_from": str(args.resume)}
    if setup.is_main and not args.quiet:
        print(f"resuming {args.resume} at step {trainer.step_count} on {spec or name}", file=sys.stderr)
    return run_and_save(trainer, setup, args, steps=steps, seconds=seconds, data_name=name, fingerprint=fingerprint,
                        meta=meta, store_data=not images, images=images, resumed_from=Path(args.resume))
