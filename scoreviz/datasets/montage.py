"""Montages of image batches: one array for one ``ImageItem`` (fast), or a PNG file."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from PIL import Image

__all__ = ["make_grid", "save_grid_png"]


def _as_nchw(images: torch.Tensor | np.ndarray) -> np.ndarray:
    """Tensor or array ``(N, C, H, W)`` or ``(N, H, W)`` → float32 NumPy ``(N, C, H, W)``."""
    if isinstance(images, torch.Tensor):
        images = images.detach().to("cpu", torch.float32).numpy()
    array = np.asarray(images, dtype=np.float32)
    if array.ndim == 3:
        array = array[:, None]
    if array.ndim != 4 or array.shape[0] == 0:
        raise ValueError(f"expected a non-empty batch (N, C, H, W) or (N, H, W), got shape {array.shape}")
    return array


def make_grid(
    images: torch.Tensor | np.ndarray, nrow: int = 8, pad: int = 2, pad_value: float = 0.0
) -> np.ndarray:
    """Tile a batch into one image, row by row.

    Args:
        images: ``(N, 1, H, W)`` (or ``(N, H, W)``, or ``(N, 3, H, W)``) values in ``[0, 1]``; values outside
            are clipped, NaN becomes 0.
        nrow: images per row (the last row is filled with ``pad_value``).
        pad: pixels of ``pad_value`` around and between tiles.
        pad_value: value of the border pixels.

    Returns:
        float32 ``(rows·(H+pad)+pad, cols·(W+pad)+pad)`` with ``cols = min(nrow, N)`` and
        ``rows = ceil(N/cols)``
        (a trailing channel axis when C > 1).
    """
    x = np.clip(np.nan_to_num(_as_nchw(images), nan=0.0), 0.0, 1.0)
    n, c, h, w = x.shape
    cols = max(1, min(int(nrow), n))
    rows = math.ceil(n / cols)
    filler = np.full((rows * cols - n, c, h, w), pad_value, dtype=np.float32)
    x = np.concatenate([x, filler])
    # Pad every tile on its top/left, tile, then close the bottom/right border.
    x = np.pad(x, ((0, 0), (0, 0), (pad, 0), (pad, 0)), constant_values=pad_value)
    x = x.reshape(rows, cols, c, h + pad, w + pad).transpose(2, 0, 3, 1, 4)
    x = x.reshape(c, rows * (h + pad), cols * (w + pad))
    x = np.pad(x, ((0, 0), (0, pad), (0, pad)), constant_values=pad_value)
    return np.ascontiguousarray(x[0] if c == 1 else x.transpose(1, 2, 0))


def save_grid_png(
    images: torch.Tensor | np.ndarray, path: str | Path, nrow: int = 8, pad: int = 2
) -> Path:
    """Save :func:`make_grid` of ``images`` as an 8-bit PNG (greyscale; RGB/RGBA for 3/4 channels).

    Returns the path written.
    """
    grid = make_grid(images, nrow=nrow, pad=pad)
    pixels = np.round(grid * 255.0).astype(np.uint8)
    path = Path(path)
    Image.fromarray(pixels).save(path, format="PNG")  # 2-D uint8 → "L", (H, W, 3) → "RGB"
    return path
