"""What each `scoreviz` subcommand does (argument parsing lives in cli.py): `points` for the 2-D recipe and the
shared commands, `images` for image data, `schedule` for the noise-schedule analysis, `progress` for the
training progress bar."""

from .points import USER_ERRORS, UserError, bench, evaluate, presets, sample, train
from .schedule import schedule

__all__ = ["USER_ERRORS", "UserError", "bench", "evaluate", "presets", "sample", "schedule", "train"]
