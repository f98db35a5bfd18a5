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
Reads the TrainPlan (commands.plan), never the command line.
"""
from __future__ import annotations

import sys
from pathlib import Path

from scoreviz.core.checkpoint import load_checkpoint, resume_trainer
from scoreviz.core.data import load_data, tensor_fingerprint

from scoreviz.commands.errors import UserError
from scoreviz.commands.images import load_data_spec
from scoreviz.commands.plan import TrainPlan
from scoreviz.commands.training_run import RunSpec, launch, run_and_save

__all__ = ["resume"]


def _refuse_model_options(plan: TrainPlan) -> None:
    given = plan.model_flags()
    if given:
        raise UserError(f"{', '.join(given)}: a resumed run keeps the checkpoint's model, schedule and training "
                        f"noise (leave these out, or start a new run)")


def _refuse_other_process_or_loss(plan: TrainPlan, ckpt) -> None:
    """--process and --loss have defaults (ve, dsm), so only a value other than the default is known to be
    given; one that differs from the checkpoint's is refused."""
    config = ckpt.training["train_config"]
    if plan.process_given() and plan.process != ckpt.process.name:
        raise UserError(f"--process {plan.process}: {plan.resume} was trained with {ckpt.process.name}")
    if plan.loss_given() and plan.loss != config["loss"]:
        raise UserError(f"--loss {plan.loss}: {plan.resume} was trained with {config['loss']}")


def _points(plan: TrainPlan, ckpt):
    """(data, labels, data_name, fingerprint, spec) for a point checkpoint."""
    spec = plan.data or ckpt.meta.get("data_spec")
    if plan.data is None and ckpt.data.numel():
        return ckpt.data, None, ckpt.data_name, ckpt.fingerprint, spec
    if spec is None:
        raise UserError(f"{plan.resume} stores no data and names no data source: pass --data")
    dataset = load_data(spec, seed=ckpt.meta.get("seed", 0))
    _same_data(plan, ckpt, spec, dataset.fingerprint())
    return dataset.train, None, dataset.name, dataset.fingerprint(), spec


def _images(plan: TrainPlan, ckpt):
    """(images, labels or None, data_name, fingerprint, spec) for an image checkpoint."""
    spec = plan.data or ckpt.meta.get("data_spec")
    if spec is None:
        raise UserError(f"{plan.resume} does not say which images it was trained on: pass --data")
    data = load_data_spec(spec)
    shape = ckpt.meta.get("image_shape")
    if shape is not None and list(data.images.shape[1:]) != list(shape):
        raise UserError(f"{spec} holds images of shape {tuple(data.images.shape[1:])}, but {plan.resume} was "
                        f"trained on {tuple(shape)}")
    fingerprint = tensor_fingerprint(data.images)
    _same_data(plan, ckpt, spec, fingerprint)
    conditional = getattr(ckpt.net_config, "num_classes", 0) > 0
    if conditional and data.labels is None:
        raise UserError(f"{plan.resume} is class-conditional, and {spec} has no labels")
    return data.images, data.labels if conditional else None, data.name, fingerprint, spec


def _same_data(plan: TrainPlan, ckpt, spec, fingerprint: str) -> None:
    if not ckpt.fingerprint:   # written by the window, which records none: nothing to compare
        print(f"scoreviz train: note: {plan.resume} records no data fingerprint; resuming on {spec} unchecked",
              file=sys.stderr)
    elif fingerprint != ckpt.fingerprint:
        raise UserError(f"{spec} is not the data {plan.resume} was trained on (fingerprint {fingerprint}, the "
                        f"checkpoint's {ckpt.fingerprint}); leave --data out to use the checkpoint's")


def _length(plan: TrainPlan, trainer) -> tuple[int | None, float | None]:
    """(steps, seconds) of the resumed run: --steps and/or --minutes more, else the rest of the planned steps.
    --steps alone stretches a planned cosine schedule to end with the run (as a --minutes run plans it)."""
    steps, seconds = plan.steps, plan.seconds
    if not (steps or seconds):
        left = (trainer.planned_steps or 0) - trainer.step_count
        if left <= 0:
            raise UserError(f"{plan.resume} has finished its planned {trainer.planned_steps or trainer.step_count} "
                            f"steps: give --steps N or --minutes M to train further")
        return left, None
    if steps and trainer.planned_steps is not None and not seconds:
        trainer.planned_steps = max(trainer.planned_steps, trainer.step_count + steps)
    return steps, seconds


def resume(plan: TrainPlan) -> dict:
    """Carry on `plan.resume`'s run into plan.out."""
    _refuse_model_options(plan)
    setup = launch(plan.device)
    ckpt = load_checkpoint(plan.resume, device=setup.device, for_training=True)
    _refuse_other_process_or_loss(plan, ckpt)
    images = ckpt.meta.get("kind") == "images"
    data, labels, name, fingerprint, spec = (_images if images else _points)(plan, ckpt)
    trainer = resume_trainer(ckpt, data, labels, setup.device, batch_size=plan.batch, lr=plan.lr)
    steps, seconds = _length(plan, trainer)
    meta = {**{k: v for k, v in ckpt.meta.items() if k != "ddp"}, "data_spec": spec, "resumed_from": str(plan.resume)}
    if setup.is_main and not plan.quiet:
        print(f"resuming {plan.resume} at step {trainer.step_count} on {spec or name}", file=sys.stderr)
    run = RunSpec(steps, seconds, data_name=name, fingerprint=fingerprint, meta=meta, store_data=not images,
                  images=images, resumed_from=Path(plan.resume))
    return run_and_save(trainer, setup, plan, run)
