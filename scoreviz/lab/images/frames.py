"""What crosses between the image session and the GUI: frozen dataclasses of plain values and read-only NumPy
arrays only (never tensors or modules), built with keyword arguments.

Session → GUI: `DataReady`, `DataMissing`, `DownloadProgress`, `ModelInfo`, `ImageTrainingFrame`, `SampleFrame`,
`SigmaFrame` (and the shared `frames.ProcessFrame` for the σ slider). GUI → session: `ImageSampleRequest`.
The names differ from those of `frames` (the 2-D lab's `TrainFrame`, `SamplerRequest`) so that both can be
imported side by side.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from scoreviz.lab.frames import ReadOnlyArrays, frozen_array


@dataclass(frozen=True, kw_only=True)
class DataReady(ReadOnlyArrays):
    name: str
    source: str
    n: int
    class_names: tuple[str, ...]      # empty: no labels
    preview: np.ndarray               # (H, W) montage of a few real images in [0, 1]


@dataclass(frozen=True, kw_only=True)
class DataMissing(ReadOnlyArrays):
    kind: str                         # a key of names.IMAGE_DATA
    reason: str                       # why (not found, or the error naming the bad file)
    download_dir: str                 # where a download would go
    can_download: bool                # MNIST only (Fashion-MNIST has no download here)


@dataclass(frozen=True, kw_only=True)
class DownloadProgress(ReadOnlyArrays):
    done: int
    total: int
    filename: str
    finished: bool = False
    ok: bool = False
    text: str = ""


@dataclass(frozen=True, kw_only=True)
class ModelInfo(ReadOnlyArrays):
    size: str
    parameters: int
    conditional: bool
    num_classes: int
    device: str
    source: str                       # "new" or a checkpoint path


@dataclass(frozen=True, kw_only=True)
class ImageTrainingFrame(ReadOnlyArrays):
    step: int
    loss: float
    smoothed_loss: float
    level_centres: np.ndarray         # (B,) σ at the centre of each bin
    level_losses: np.ndarray          # (B,) NaN where never visited
    images_per_second: float
    device: str
    training: bool
    loss_history: np.ndarray = field(default_factory=lambda: frozen_array(np.zeros(0)))


@dataclass(frozen=True, kw_only=True)
class SampleFrame(ReadOnlyArrays):
    serial: int                       # one per sampling run
    index: int                        # 1-based sampler step
    total: int
    noise_level: float
    samples: np.ndarray               # (H, W) montage of x (clipped to [0, 1])
    denoised: np.ndarray              # (H, W) montage of the Tweedie estimates
    done: bool
    final_images: np.ndarray | None = None   # (N, C, H, W) in [0, 1] at the end of a run


@dataclass(frozen=True, kw_only=True)
class SigmaFrame(ReadOnlyArrays):
    sigma: float
    noisy: np.ndarray                 # (H, W) montage of real images + σε
    denoised: np.ndarray              # (H, W) montage of D(x + σε, σ), or zeros without a model
    has_model: bool


@dataclass(frozen=True, kw_only=True)
class ImageSampleRequest:
    sampler: str                      # a key of core.sampler_registry.SAMPLERS
    steps: int                        # the run's NFE (network evaluations; the name is kept)
    seed: int
    n: int = 64
    class_label: int | None = None    # None: unconditional / every class in turn
    guidance: float = 0.0
    autoguidance: float = 1.0         # unconditional models: step this far from the early model (1 = off)
