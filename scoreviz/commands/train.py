"""`scoreviz train`: the parsed arguments become a TrainPlan (plan.plan_from_args), which goes to a resumed run
(resume), a new run on image data (images) or on point data (points); under torchrun this is one of its
data-parallel processes (training_run)."""
from __future__ import annotations

from scoreviz.commands.errors import UserError
from scoreviz.commands.images import train_images
from scoreviz.commands.options import schedule_overrides
from scoreviz.commands.plan import TrainPlan, plan_from_args
from scoreviz.commands.points import train_points
from scoreviz.commands.resume import resume

__all__ = ["train", "train_plan"]


def train(args) -> dict:
    return train_plan(plan_from_args(args))


def train_plan(plan: TrainPlan) -> dict:
    """Run `plan`; returns the run's steps, seconds (and images/s for images)."""
    if plan.resume:
        return resume(plan)
    if not plan.data:
        raise UserError("--data is required (or --resume CKPT to continue a run)")
    schedule = schedule_overrides(plan.process, plan.schedule)
    if plan.image_data:
        return train_images(plan, schedule)
    return train_points(plan, schedule)
