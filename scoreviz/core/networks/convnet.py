"""A fast skip-connected conv net for 28×28 images: the CPU backbone of the image-mode denoiser.

It has the shape of the ScoreNet in Song's 2021 tutorial: four convolutions down (3×3, strides 1, 2, 2, 2:
28 → 26 → 12 → 5 → 2), three transposed convolutions back up with skip connections, and one more to the
output. Each layer adds a linear projection of the conditioning embedding, then GroupNorm and SiLU. The
embedding is a dense layer over fixed random Fourier features of the scalar conditioning (the tutorial's
"Gaussian Fourier projection"), plus a learned class embedding when the model is conditional.

In scoreviz it is wrapped in the core's EDM preconditioning (``Denoiser``): it receives ``c_in·y`` and
``c_noise = ¼ ln σ``, and it does not divide by the marginal std as the tutorial's network does. It has no
residual blocks, no normalisation before the convolutions and no attention, so a training step costs about
a fifth of the U-Net's (:mod:`.unet`) on a CPU. With the same training time it sees five times more images,
and on a 2-core CPU that wins (see ``RECIPES`` in :mod:`.recipe` for the figures).

``forward(x (N, C, H, W), c_noise (N,) or (1,), labels (N,) | None) -> (N, C, H, W)``. Sizes other than
8k + 12 (20, 28, 36, ...) are zero-padded on the right and bottom to the next such size; the output is
cropped back.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from scoreviz.core.networks.conditioning import add_class, class_embedding, per_sample

__all__ = ["ConvNetConfig", "ConvScoreNet"]


@dataclass(frozen=True)
class ConvNetConfig:
    """Hyper-parameters of :class:`ConvScoreNet`.

    Attributes:
        channels: widths of the four down-sampling convolutions (the up path mirrors them); all even.
        emb_dim: width of the conditioning embedding (even).
        fourier_scale: std of the random Fourier frequencies, in cycles per unit of the conditioning.
        num_classes: ``> 0`` makes the model class-conditional; label ``num_classes`` is the "no label"
            token (classifier-free guidance), also used when ``labels`` is ``None``.
        image_channels: channels of the images (1 for MNIST).
        seed: seed of the fixed Fourier frequencies.
    """

    channels: tuple = (16, 32, 64, 128)
    emb_dim: int = 256
    fourier_scale: float = 30.0
    num_classes: int = 0
    image_channels: int = 1
    seed: int = 0

    kind = "convnet"


class FourierFeatures(nn.Module):
    """Fixed random Fourier features of a scalar: ``(N,)`` → ``(N, dim)``, [sin 2πwc, cos 2πwc], w ~ N(0, scale²)."""

    def __init__(self, dim: int, scale: float, seed: int):
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        self.register_buffer("freqs", torch.randn(dim // 2, generator=gen) * scale)

    def forward(self, c: Tensor) -> Tensor:
        angles = 2 * math.pi * c.float()[:, None] * self.freqs[None, :]
        return torch.cat([angles.sin(), angles.cos()], dim=1)


def padded_size(size: int) -> int:
    """The smallest 8k + 12 (k ≥ 1) that is ≥ ``size``: the sizes that the strided path maps back exactly."""
    return 8 * max(1, math.ceil((size - 12) / 8)) + 12


class ConvScoreNet(nn.Module):
    """See the module docstring and :class:`ConvNetConfig`."""

    def __init__(self, config: ConvNetConfig = ConvNetConfig()):
        super().__init__()
        self.config = cfg = config
        if len(cfg.channels) != 4 or any(c < 4 or c % 2 for c in cfg.channels) or cfg.channels[0] % 4 or cfg.emb_dim % 2:
            raise ValueError(f"invalid ConvNetConfig {cfg}: four even widths (the first a multiple of 4), even emb_dim")
        c1, c2, c3, c4 = cfg.channels
        emb = cfg.emb_dim
        self.features = FourierFeatures(emb, cfg.fourier_scale, cfg.seed)
        self.embed = nn.Linear(emb, emb)
        self.class_emb = class_embedding(cfg.num_classes, emb)
        self.down = nn.ModuleList([nn.Conv2d(cfg.image_channels, c1, 3, 1, bias=False),
                                   nn.Conv2d(c1, c2, 3, 2, bias=False),
                                   nn.Conv2d(c2, c3, 3, 2, bias=False),
                                   nn.Conv2d(c3, c4, 3, 2, bias=False)])
        self.up = nn.ModuleList([nn.ConvTranspose2d(c4, c3, 3, 2, bias=False),
                                 nn.ConvTranspose2d(2 * c3, c2, 3, 2, bias=False, output_padding=1),
                                 nn.ConvTranspose2d(2 * c2, c1, 3, 2, bias=False, output_padding=1)])
        self.out = nn.ConvTranspose2d(2 * c1, cfg.image_channels, 3, 1)
        widths = (c1, c2, c3, c4, c3, c2, c1)
        self.dense = nn.ModuleList(nn.Linear(emb, c) for c in widths)
        self.norms = nn.ModuleList(nn.GroupNorm(4 if i == 0 else min(32, c // 2), c) for i, c in enumerate(widths))

    def forward(self, x: Tensor, c_noise: Tensor, labels: Tensor | None = None) -> Tensor:
        n, _, h, w = x.shape
        emb = add_class(self.embed(self.features(per_sample(c_noise, n))), self.class_emb, labels).to(x.dtype)
        ph, pw = padded_size(h), padded_size(w)
        out = F.pad(x, (0, pw - w, 0, ph - h)) if (ph, pw) != (h, w) else x
        skips, k = [], 0
        for conv in self.down:
            out = self._condition(conv(out), emb, k)
            skips.append(out)
            k += 1
        for i, conv in enumerate(self.up):
            out = self._condition(conv(out if i == 0 else torch.cat([out, skips[-1 - i]], dim=1)), emb, k)
            k += 1
        out = self.out(torch.cat([out, skips[0]], dim=1))
        return out[:, :, :h, :w]

    def _condition(self, h: Tensor, emb: Tensor, k: int) -> Tensor:
        """Layer ``k``'s conditioning: SiLU(GroupNorm(h + dense_k(emb)))."""
        return F.silu(self.norms[k](h + self.dense[k](emb)[:, :, None, None]))
