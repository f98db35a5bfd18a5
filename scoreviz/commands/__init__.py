"""What each `scoreviz` subcommand does (the options themselves: cli_options; the parsers: cli.py).

The modules form layers, each importing only those below it (pyproject.toml's import-linter contract keeps it so):
  train · sample · schedule · render · catalogue · info · download · desktop   one command each
  resume                                   `train --resume`: a run carried on from its checkpoint
  points · images                          point data and image data: new runs, samples, eval
  training_run                             what every training run shares: process, logs, checkpoint
  plan · options · progress                the TrainPlan, the checked schedule options, the progress bar
  errors                                   the user's errors (exit status 2)
"""

from scoreviz.commands.catalogue import bench, presets
from scoreviz.commands.errors import USER_ERRORS, UserError
from scoreviz.commands.points import evaluate
from scoreviz.commands.render import render
from scoreviz.commands.sample import sample
from scoreviz.commands.schedule import schedule
from scoreviz.commands.train import train

__all__ = ["USER_ERRORS", "UserError", "bench", "evaluate", "presets", "render", "sample", "schedule", "train"]
