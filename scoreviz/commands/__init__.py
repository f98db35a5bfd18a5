"""What each `scoreviz` subcommand does (argument parsing lives in cli.py): `points` for the 2-D recipe and the
shared commands, `images` for image data, `progress` for the training progress bar."""

from .points import USER_ERRORS, UserError, bench, evaluate, presets, sample, train

__all__ = ["USER_ERRORS", "UserError", "bench", "evaluate", "presets", "sample", "train"]
