"""`scoreviz train`'s plan: every option of the command, typed and checked once (TrainPlan), built from the parsed
arguments by plan_from_args, the one place below cli.py that reads the argparse namespace of `train`. Everything
after it (commands.train, points, images, resume, training_run) reads the plan."""
from __future__ import annotations

import argparse
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any, Mapping

from scoreviz.cli_options import NOISE_FIELDS, PUBLISHED_FIXES, SCHEDULE_PARAMETERS, flag, option

from scoreviz.commands.errors import positive
from scoreviz.commands.options import given_options

__all__ = ["TrainPlan", "plan_from_args"]


def _default(dest: str):
    """The table's default of `train`'s option `dest` (so it is written once, in cli_options)."""
    return option("train", dest).default


@dataclass(frozen=True)
class TrainPlan:
    """What `scoreviz train` was asked to do. None: not given (the recipe's or the checkpoint's value).

    `schedule`: the process parameters given (core.processes names: sigma_min, n_levels, …); `noise`: the
    TrainingNoise fields given (distribution, p_mean, …); both read-only. `schedule_preset` / `schedule_from`: a
    published schedule (a gallery name, a scheduler_config.json) instead of --process; `rescale_zero_snr` and
    `timestep_spacing`: Lin et al.'s fixes of a discrete β schedule (False / None: not asked)."""

    out: str
    data: str | None = None
    resume: str | None = None
    steps: int | None = None
    minutes: float | None = None
    process: str = _default("process")
    loss: str = _default("loss")
    schedule: Mapping[str, float] = field(default_factory=dict)
    noise: Mapping[str, Any] = field(default_factory=dict)
    schedule_preset: str | None = None
    schedule_from: str | None = None
    rescale_zero_snr: bool = False
    timestep_spacing: str | None = None
    model: str | None = None
    batch: int | None = None
    lr: float | None = None
    device: str = _default("device")
    seed: int = _default("seed")
    conditional: bool | None = None
    quiet: bool = False
    tensorboard: str | None = None

    def __post_init__(self):
        for name in ("schedule", "noise"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))
        for name in ("steps", "minutes", "batch", "lr"):
            positive(name, getattr(self, name))

    @property
    def seconds(self) -> float | None:
        """--minutes in seconds, or None."""
        return self.minutes * 60 if self.minutes else None

    @property
    def image_data(self) -> bool:
        """Whether --data names image data (mnist[:DIR], fashion[:DIR] or an .npz file) rather than points."""
        return self.data is not None and (self.data.split(":")[0] in ("mnist", "fashion") or self.data.endswith(".npz"))

    @property
    def published(self) -> bool:
        """Whether a published schedule (--schedule-preset or --schedule-from) replaces --process."""
        return self.schedule_preset is not None or self.schedule_from is not None

    def process_given(self) -> bool:
        """Whether --process differs from its default (argparse cannot tell a default from the same value typed)."""
        return self.process != _default("process")

    def loss_given(self) -> bool:
        return self.loss != _default("loss")

    def model_flags(self) -> list[str]:
        """The flags given that fix the model, its schedule or its training noise (a resumed run refuses them)."""
        given = [flag("train", SCHEDULE_PARAMETERS[k]) for k in self.schedule]
        given += [flag("train", NOISE_FIELDS[k]) for k in self.noise]
        given += [flag("train", dest) for dest in ("schedule_preset", "schedule_from", *PUBLISHED_FIXES)
                  if getattr(self, dest)]
        if self.model is not None:
            given.append(flag("train", "model"))
        if self.conditional is not None:
            given.append("--conditional/--unconditional")
        return given


#: The plan's fields read one to one from the namespace (the rest gather several options).
_PLAIN = tuple(f.name for f in fields(TrainPlan) if f.name not in ("schedule", "noise"))


def plan_from_args(args: argparse.Namespace) -> TrainPlan:
    """The plan of a parsed `scoreviz train` command line. A field the namespace lacks is an AttributeError (the
    parser and the plan disagree: a bug, never a silent None); a count that is not positive is a UserError."""
    values = vars(args)
    return TrainPlan(**{name: getattr(args, name) for name in _PLAIN},
                     schedule=given_options(values, SCHEDULE_PARAMETERS), noise=given_options(values, NOISE_FIELDS))
