"""What the window can ask of the image lab: one frozen dataclass per command, handled by
`images.session.ImageSession.handle` (the same convention as the 2-D lab's `lab.commands`, whose `SetSigma` and
`Train` it shares). `IMAGE_COMMANDS` lists them all, and a test checks that the session handles each one.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from scoreviz.lab.commands import Command, SetSigma, Train, subclasses_of
from scoreviz.lab.images.frames import ImageSampleRequest

__all__ = ["ImageCommand", "LoadData", "Download", "ConfigureModel", "OpenCheckpoint", "SaveCheckpoint", "Sample",
           "StopSampling", "SetSigma", "Train", "IMAGE_COMMANDS"]


@dataclass(frozen=True)
class ImageCommand(Command):
    """Base of the image lab's own commands."""


@dataclass(frozen=True)
class LoadData(ImageCommand):
    """Load `kind` (a key of names.IMAGE_DATA) from `folder` (None: the usual places)."""
    kind: str = "mnist"
    folder: str | None = None


@dataclass(frozen=True)
class Download(ImageCommand):
    """Download MNIST into `dest` (None: the default folder), then load it; `mirrors`, `files` and `timeout` are
    lab.images.data.download's (None: its defaults)."""
    dest: str | None = None
    mirrors: tuple[str, ...] | None = None
    files: Mapping[str, str] | None = None   # file name → its SHA-256
    timeout: float = 30


@dataclass(frozen=True)
class ConfigureModel(ImageCommand):
    """New model settings (None keeps the value): a fresh model when there are data. size: a key of
    names.IMAGE_MODEL_SIZES; device: a key of names.DEVICES."""
    size: str | None = None
    conditional: bool | None = None
    device: str | None = None


@dataclass(frozen=True)
class OpenCheckpoint(ImageCommand):
    path: str


@dataclass(frozen=True)
class SaveCheckpoint(ImageCommand):
    path: str


@dataclass(frozen=True)
class Sample(ImageCommand):
    """Start a sampling run from the prior."""
    request: ImageSampleRequest


@dataclass(frozen=True)
class StopSampling(ImageCommand):
    """Drop the run going on."""


#: Every command of the image lab (the session's dispatch table must hold each one).
IMAGE_COMMANDS: tuple[type[Command], ...] = (SetSigma, Train, *subclasses_of(ImageCommand))
