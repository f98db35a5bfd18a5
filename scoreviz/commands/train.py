"""`scoreviz train`: the parsed arguments become a TrainPlan (plan.plan_from_args), which goes to a resumed run
(resume), a new run on image data (images) or on point data (points); under torchrun this is one of its
data-parallel processes (training_run)."""
from __future__ import annotations

from scoreviz.commands.errors import UserError
from scoreviz.commands.images import train_images
from scoreviz.commands.options import published_process, schedule_overrides
from scoreviz.commands.plan import TrainPlan, plan_from_args
from scoreviz.commands.points import train_points
from scoreviz.commands.resume import resume

__all__ = ["train", "train_plan"]


def train(args) -> dict:
    return train_plan(plan_from_args(args))


def train_plan(plan: TrainPlan) -> dict:
    """Run `plan`; returns the run's steps, seconds (and images/s for images). A published schedule (or the fixes
    of a discrete one) is built here, once, and replaces --process and its parameters."""
    if plan.resume:
        return resume(plan)
    if not plan.data:
        raise UserError("--data is required (or --resume CKPT to continue a run)")
    process = published_process(plan.process, plan.schedule, preset=plan.schedule_preset,
                                config=plan.schedule_from, rescale_zero_snr=plan.rescale_zero_snr,
                                timestep_spacing=plan.timestep_spacing, process_given=plan.process_given())
    schedule = {} if process is not None else schedule_overrides(plan.process, plan.schedule)
    if plan.image_data:
        return train_images(plan, schedule, process)
    return train_points(plan, schedule, process)
