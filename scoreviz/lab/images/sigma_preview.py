"""The image lab's σ slider: real images noised at the σ the session owns, beside the model's denoising of them.

The batch and its noise are drawn once per data set (seeded), so moving the slider changes only σ and the same
images fade into the same noise; σ is clamped to [0, the process's σ_max] (σ = 0 shows the real images).
"""
from __future__ import annotations

import numpy as np
import torch

from scoreviz.datasets.montage import make_grid
from scoreviz.lab.images import frames as fr

SIGMA_BATCH = 32          # real images shown noised at σ (4 rows of 8)
MIN_SIGMA = 1e-6          # the denoiser is evaluated at σ ≥ this (at σ = 0 it is the identity)


def montage(x: torch.Tensor) -> np.ndarray:
    """A batch (N, C, H, W) as one (H', W') image of rows of 8 in [0, 1]."""
    return make_grid(x.detach().float().cpu().numpy(), nrow=8, pad=1)


class SigmaPreview:
    """σ (the one owner), the real batch (SIGMA_BATCH, C, H, W) with its fixed noise, and whether the frame is
    stale (a new σ, data or model)."""

    def __init__(self, sigma: float = 0.5):
        self.sigma = sigma
        self.stale = True
        self._real: torch.Tensor | None = None
        self._noise: torch.Tensor | None = None

    def set_images(self, images: torch.Tensor) -> None:
        """Draw the batch from `images` (N, C, H, W) and its noise, seeded: the same data give the same batch."""
        gen = torch.Generator().manual_seed(0)
        self._real = images[torch.randperm(len(images), generator=gen)[:SIGMA_BATCH]]
        self._noise = torch.randn(self._real.shape, generator=gen)
        self.stale = True

    def set_sigma(self, sigma: float, sigma_max: float) -> None:
        self.sigma = min(max(0.0, float(sigma)), sigma_max)
        self.stale = True

    def frame(self, model, device: torch.device) -> fr.SigmaFrame | None:
        """The batch noised at σ and the model's denoising of it (zeros without a model); None without data."""
        self.stale = False
        if self._real is None:
            return None
        noisy = self._real + self.sigma * self._noise
        if model is not None:
            with torch.inference_mode():
                den = model(noisy.to(device), max(self.sigma, MIN_SIGMA)).float().cpu()
        else:
            den = torch.zeros_like(noisy)
        return fr.SigmaFrame(sigma=self.sigma, noisy=montage(noisy), denoised=montage(den), has_model=model is not None)
