"""Which noise process a new image model trains on (the image page's Process menu, commands.ConfigureModel): the
recipe's own (by name), or a published schedule from the gallery with or without the zero-terminal-SNR fix; and
what `make_image_trainer` needs to train on it (flow matching trains with its own loss and times)."""
from __future__ import annotations

from dataclasses import dataclass, replace

from scoreviz.core.process_base import NoiseProcess
from scoreviz.core.processes import PROCESSES
from scoreviz.core.recipes.images import image_training_noise
from scoreviz.core.schedule.gallery import gallery_process
from scoreviz.core.schedule.snr import with_fixes


@dataclass(frozen=True)
class ProcessChoice:
    """`name` (a key of PROCESSES), or `schedule_preset` (a gallery name) with `rescale_zero_snr`."""

    name: str = "ve"
    schedule_preset: str | None = None
    rescale_zero_snr: bool = False

    def build(self) -> NoiseProcess | str:
        """The process: a published schedule with its fix (a NoiseProcess), else the name (the recipe derives
        its parameters from the data). ValueError for an unknown name, the NCSN ladder (the 2D mode's) or a fix
        that does not apply; call it before adopting a choice, so a bad one changes nothing."""
        if self.schedule_preset is not None:
            process = with_fixes(gallery_process(self.schedule_preset), rescale_zero_snr=self.rescale_zero_snr)
        elif self.name not in PROCESSES:
            raise ValueError(f"unknown noise process {self.name!r}; choose one of {', '.join(PROCESSES)}")
        elif self.rescale_zero_snr:
            raise ValueError("zero-terminal-SNR rescaling applies to a published discrete β schedule")
        else:
            process = self.name
        if getattr(process, "name", process) == "ncsn":
            raise ValueError("the image mode trains continuous processes; the NCSN ladder is for the 2D mode")
        return process


def trainer_recipe(process: NoiseProcess | str, sigma_data: float) -> dict:
    """make_image_trainer's process, loss and training noise: flow matching trains with the fm loss and
    logit-normal times (SD3's), every other process with the recipe's (make_image_trainer's defaults)."""
    name = getattr(process, "name", process)
    if name != "flow":
        return {"process": process}
    noise = image_training_noise(sigma_data, "flow", "fm")
    return {"process": process, "loss": "fm", "noise": replace(noise, distribution="logit_normal")}
