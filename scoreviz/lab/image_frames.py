"""What crosses from the image worker to the GUI: frozen dataclasses of plain values and NumPy arrays only."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class DataReady:
    name: str
    source: str
    n: int
    class_names: tuple[str, ...]      # empty: no labels
    preview: np.ndarray               # (H, W) montage of a few real images in [0, 1]


@dataclass(frozen=True)
class DataMissing:
    kind: str                         # "mnist" | "fashion"
    reason: str                       # why (not found, or the error naming the bad file)
    download_dir: str                 # where a download would go
    can_download: bool                # MNIST only (Fashion-MNIST has no download here)


@dataclass(frozen=True)
class DownloadProgress:
    done: int
    total: int
    filename: str
    finished: bool = False
    ok: bool = False
    text: str = ""


@dataclass(frozen=True)
class ModelInfo:
    size: str
    parameters: int
    conditional: bool
    num_classes: int
    device: str
    source: str                       # "new" or a checkpoint path


@dataclass(frozen=True)
class TrainFrame:
    step: int
    loss: float
    smoothed_loss: float
    level_centres: np.ndarray         # (B,) σ at the centre of each bin
    level_losses: np.ndarray          # (B,) NaN where never visited
    images_per_second: float
    device: str
    training: bool
    loss_history: np.ndarray = field(default_factory=lambda: np.zeros(0))


@dataclass(frozen=True)
class SampleFrame:
    serial: int                       # one per sampling run
    index: int                        # 1-based sampler step
    total: int
    noise_level: float
    samples: np.ndarray               # (H, W) montage of x (clipped to [0, 1])
    denoised: np.ndarray              # (H, W) montage of the Tweedie estimates
    done: bool
    final_images: np.ndarray | None = None   # (N, 1, 28, 28) at the end of a run


@dataclass(frozen=True)
class SigmaFrame:
    sigma: float
    noisy: np.ndarray                 # (H, W) montage of real images + σε
    denoised: np.ndarray              # (H, W) montage of D(x + σε, σ), or zeros without a model
    has_model: bool


@dataclass(frozen=True)
class SamplerRequest:
    sampler: str
    steps: int
    seed: int
    n: int = 64
    class_label: int | None = None    # None: unconditional / every class in turn
    guidance: float = 0.0
    autoguidance: float = 1.0         # unconditional models: step this far from the early model (1 = off)
