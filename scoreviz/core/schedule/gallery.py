"""The schedules people actually train with, by name: each a noise process, the data dimension it was made for
and the one-line source it comes from (`scoreviz schedule --preset NAME`, the Schedule tab's gallery)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from scoreviz.core.discrete_process import DiscreteVP
from scoreviz.core.flow_process import FlowProcess
from scoreviz.core.process_base import NoiseProcess
from scoreviz.core.processes import NCSNLadder, VESDE
from scoreviz.names import SCHEDULE_PRESETS

__all__ = ["GALLERY", "GalleryEntry", "gallery_label", "gallery_process"]


@dataclass(frozen=True)
class GalleryEntry:
    """A published schedule: its source, the data dimension D it was used for, and its process (its label:
    names.SCHEDULE_PRESETS)."""

    source: str
    dim: int
    make: Callable[[], NoiseProcess]


GALLERY: dict[str, GalleryEntry] = {
    "ddpm": GalleryEntry(
        "Ho, Jain & Abbeel 2020, Denoising Diffusion Probabilistic Models, §4 (CIFAR-10)", 3072,
        lambda: DiscreteVP("linear", 1e-4, 0.02, 1000)),
    "iddpm-cosine": GalleryEntry(
        "Nichol & Dhariwal 2021, Improved Denoising Diffusion Probabilistic Models, eq. 17", 3072,
        lambda: DiscreteVP("squaredcos_cap_v2", num_train_timesteps=1000)),
    "sd": GalleryEntry(
        "Rombach et al. 2022, Stable Diffusion v1–2 scheduler_config.json (4×64×64 latents)", 16384,
        lambda: DiscreteVP("scaled_linear", 0.00085, 0.012, 1000)),
    "edm": GalleryEntry(
        "Karras et al. 2022, Elucidating the Design Space of Diffusion-Based Generative Models, Table 1", 3072,
        lambda: VESDE(sigma_min=0.002, sigma_max=80.0, rho=7.0)),
    "ncsnv2-cifar10": GalleryEntry(
        "Song & Ermon 2020, Improved Techniques for Training Score-Based Generative Models, CIFAR-10 config", 3072,
        lambda: NCSNLadder(sigma_min=0.01, sigma_max=50.0, n_levels=232)),
    "rectified-flow": GalleryEntry(
        "Liu, Gong & Liu 2023, Flow Straight and Fast; Esser et al. 2024 (SD3), §2", 16384,
        FlowProcess),
}


def gallery_label(name: str) -> str:
    return SCHEDULE_PRESETS[name]


def gallery_process(name: str) -> NoiseProcess:
    """The named gallery schedule's process (ValueError listing the names for any other)."""
    if name not in GALLERY:
        raise ValueError(f"unknown schedule preset {name!r}; choose one of {', '.join(GALLERY)}")
    return GALLERY[name].make()
