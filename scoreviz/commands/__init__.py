"""What each `scoreviz` subcommand does (argument parsing lives in cli.py): `points` for the 2-D recipe and the
shared commands, `images` for image data, `schedule` for the noise-schedule analysis, `progress` for the
training progress bar, `render` for clips of a sampler run; `training_run` for what every training run shares
(torchrun's processes, logs, checkpoint) and `resume` for `train --resume`."""

from scoreviz.commands.points import USER_ERRORS, UserError, bench, evaluate, presets, sample, train
from scoreviz.commands.render import render
from scoreviz.commands.schedule import schedule

__all__ = ["USER_ERRORS", "UserError", "bench", "evaluate", "presets", "render", "sample", "schedule", "train"]
