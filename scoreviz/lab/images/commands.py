"""What the window can ask of the image lab: one frozen dataclass per command, handled by
`images.session.ImageSession.handle` (the same convention as the 2-D lab's `lab.commands`, whose `SetSigma` and
`Train` it shares). `IMAGE_COMMANDS` lists them all, and a test checks that the session handles each one.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from scoreviz.names import SCHEDULE_PRESETS
from scoreviz.lab.commands import Command, SetSigma, Train, subclasses_of
from scoreviz.lab.images.frames import ImageSampleRequest

__all__ = ["ImageCommand", "LoadData", "Download", "ConfigureModel", "OpenCheckpoint", "SaveCheckpoint", "Sample",
           "StopSampling", "SetSigma", "Train", "IMAGE_COMMANDS", "PROCESS_CHOICES"]


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
    names.IMAGE_MODEL_SIZES; device: a key of names.DEVICES.

    The noise process: `process` a key of names.PROCESSES (not ncsn; "flow" trains with the fm loss and
    logit-normal times), or `schedule_preset` a published schedule of the gallery (names.SCHEDULE_PRESETS) with
    `rescale_zero_snr` (Lin et al.'s fix, discrete β schedules only). When any of the three is given they replace
    the current choice together (one left None: the recipe's, ve / none / False); when none is, it is kept."""
    size: str | None = None
    conditional: bool | None = None
    device: str | None = None
    process: str | None = None
    schedule_preset: str | None = None
    rescale_zero_snr: bool | None = None

    def process_fields(self) -> dict | None:
        """{process, schedule_preset, rescale_zero_snr} with the recipe's values for those left None, or None
        when none is given (the session keeps its choice)."""
        if self.process is None and self.schedule_preset is None and self.rescale_zero_snr is None:
            return None
        return {"process": self.process or "ve", "schedule_preset": self.schedule_preset,
                "rescale_zero_snr": bool(self.rescale_zero_snr)}


def _preset(name: str, rescale: bool = False) -> tuple[str, dict]:
    label = SCHEDULE_PRESETS[name].split(" (")[0]
    return (f"{label}{' (zero terminal SNR)' if rescale else ''}",
            {"process": None, "schedule_preset": name, "rescale_zero_snr": rescale})


#: The image page's process choices: key → (label, ConfigureModel's process fields). "recipe" is the recipe's
#: default (VE with EDM's log-normal σ and ρ = 7 sampling times).
PROCESS_CHOICES: dict[str, tuple[str, dict]] = {
    "recipe": ("Recipe default (VE, EDM)", {"process": "ve", "schedule_preset": None, "rescale_zero_snr": False}),
    "vp": ("VP SDE", {"process": "vp", "schedule_preset": None, "rescale_zero_snr": False}),
    "flow": ("Flow matching (logit-normal t)", {"process": "flow", "schedule_preset": None,
                                                "rescale_zero_snr": False}),
    "ddpm": _preset("ddpm"),
    "iddpm-cosine": _preset("iddpm-cosine"),
    "sd": _preset("sd"),
    "sd-zero-snr": _preset("sd", rescale=True),
}


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
