"""A small noise-conditional U-Net for 28×28 images: the backbone of the image-mode denoiser.

The network maps a noisy image ``x (N, C, 28, 28)``, a per-sample noise conditioning ``c_noise (N,)``
(the caller passes ``log(σ) / 4``) and optional class labels ``(N,)`` to an output of the same shape as
``x``; the core's preconditioning turns that output into a denoised image.

Layout (``channel_mults=(1, 2, 2)``): 28×28 → 14×14 → 7×7 and back, ``num_res_blocks`` residual blocks
per level on the way down and one more per level on the way up (each consuming a skip connection), a
middle block at the lowest resolution, optional self-attention there. Every residual block is told the
noise level and class through a scale-shift (FiLM) of its second GroupNorm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from scoreviz.core.networks.conditioning import add_class, class_embedding, per_sample

__all__ = ["UNET_SIZES", "UNet", "UNetConfig"]


@dataclass(frozen=True)
class UNetConfig:
    """Hyper-parameters of :class:`UNet`.

    Attributes:
        channels: base width (channels at full resolution).
        channel_mults: width multiplier per resolution level; ``len - 1`` down-samplings (28 → 14 → 7).
        num_res_blocks: residual blocks per level on the way down (one more on the way up).
        emb_dim: width of the noise/class embedding.
        num_classes: ``> 0`` makes the model class-conditional; label ``num_classes`` is the "no label"
            token (classifier-free guidance), also used when ``labels`` is ``None``.
        image_channels: channels of the images (1 for MNIST).
        attention: self-attention after each residual block at the lowest resolution.
    """

    channels: int = 32
    channel_mults: tuple = (1, 2, 2)
    num_res_blocks: int = 1
    emb_dim: int = 128
    num_classes: int = 0
    image_channels: int = 1
    attention: bool = False

    kind = "unet"


#: Ready-made U-Net sizes (the image recipes pick from these; throughput: `scoreviz bench --only images`).
#: "small": ~0.35 M parameters, for a CPU. "large": ~7.0 M parameters, two blocks per level and
#: self-attention at 7×7 (the GPU size).
UNET_SIZES: dict[str, UNetConfig] = {
    "small": UNetConfig(channels=16, channel_mults=(1, 2, 2), num_res_blocks=1, emb_dim=128),
    "large": UNetConfig(channels=64, channel_mults=(1, 2, 2), num_res_blocks=2, emb_dim=256, attention=True),
}


def _groups(channels: int) -> int:
    """GroupNorm groups: the most (≤ 32) that leave at least 4 channels per group."""
    for g in (32, 16, 8, 4, 2):
        if channels % g == 0 and channels // g >= 4:
            return g
    return 1


def _norm(channels: int) -> nn.GroupNorm:
    return nn.GroupNorm(_groups(channels), channels, eps=1e-6)


def _zero(module: nn.Module) -> nn.Module:
    """Zero a layer's weights and bias (so a residual branch starts as the identity)."""
    for p in module.parameters():
        nn.init.zeros_(p)
    return module


class NoiseEmbedding(nn.Module):
    """Sinusoidal features of a scalar: ``(N,)`` → ``(N, dim)``.

    Frequencies are log-spaced between ``min_freq`` and ``max_freq`` (radians per unit of ``c_noise``),
    chosen for ``c_noise = log(σ)/4`` in roughly ``[-2, 2]``: the slowest feature varies once over that
    range, the fastest resolves changes of σ by a few percent.
    """

    def __init__(self, dim: int, min_freq: float = 0.5, max_freq: float = 200.0):
        super().__init__()
        if dim % 2:
            raise ValueError(f"embedding dim must be even, got {dim}")
        freqs = torch.exp(torch.linspace(math.log(min_freq), math.log(max_freq), dim // 2))
        self.register_buffer("freqs", freqs, persistent=False)

    def forward(self, c: Tensor) -> Tensor:
        angles = c.float()[:, None] * self.freqs[None, :]
        return torch.cat([angles.cos(), angles.sin()], dim=1)


class ResBlock(nn.Module):
    """GroupNorm → SiLU → conv → FiLM(emb) → SiLU → conv, plus a (1×1 if needed) skip.

    ``x (N, in_ch, H, W)``, ``emb (N, emb_dim)`` → ``(N, out_ch, H, W)``.
    """

    def __init__(self, in_ch: int, out_ch: int, emb_dim: int):
        super().__init__()
        self.norm1 = _norm(in_ch)
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, padding=1)
        self.film = nn.Linear(emb_dim, 2 * out_ch)
        self.norm2 = _norm(out_ch)
        self.conv2 = _zero(nn.Conv2d(out_ch, out_ch, 3, padding=1))
        self.skip = nn.Conv2d(in_ch, out_ch, 1) if in_ch != out_ch else nn.Identity()

    def forward(self, x: Tensor, emb: Tensor) -> Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        scale, shift = self.film(emb)[:, :, None, None].chunk(2, dim=1)
        h = self.norm2(h) * (1 + scale) + shift
        h = self.conv2(F.silu(h))
        return (self.skip(x) + h) * (1 / math.sqrt(2))


class SelfAttention(nn.Module):
    """Multi-head self-attention over the pixels: ``(N, ch, H, W)`` → same, residual."""

    def __init__(self, channels: int, head_dim: int = 32):
        super().__init__()
        self.heads = max(1, channels // head_dim)
        self.norm = _norm(channels)
        self.qkv = nn.Conv2d(channels, 3 * channels, 1)
        self.proj = _zero(nn.Conv2d(channels, channels, 1))

    def forward(self, x: Tensor, emb: Tensor | None = None) -> Tensor:
        n, c, h, w = x.shape
        qkv = self.qkv(self.norm(x)).reshape(n, 3, self.heads, c // self.heads, h * w)
        q, k, v = qkv.transpose(-1, -2).unbind(1)  # each (N, heads, HW, head_dim)
        out = F.scaled_dot_product_attention(q, k, v)
        out = out.transpose(-1, -2).reshape(n, c, h, w)
        return (x + self.proj(out)) * (1 / math.sqrt(2))


class Downsample(nn.Module):
    """Strided 3×3 conv: ``(N, ch, H, W)`` → ``(N, ch, ceil(H/2), ceil(W/2))``."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, stride=2, padding=1)

    def forward(self, x: Tensor, emb: Tensor | None = None) -> Tensor:
        return self.conv(x)


class Upsample(nn.Module):
    """Nearest ×2 then 3×3 conv: ``(N, ch, H, W)`` → ``(N, ch, 2H, 2W)``."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: Tensor, emb: Tensor | None = None) -> Tensor:
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class UNet(nn.Module):
    """Noise- (and optionally class-) conditional U-Net; see :class:`UNetConfig`.

    ``forward(x (N, C, H, W), c_noise (N,), labels (N,) | None) -> (N, C, H, W)``; H and W must be
    divisible by ``2 ** (len(channel_mults) - 1)`` (28 with three levels).
    """

    def __init__(self, config: UNetConfig = UNetConfig()):
        super().__init__()
        self.config = cfg = config
        if cfg.channels % 4 or not cfg.channel_mults or cfg.num_res_blocks < 1:
            raise ValueError(f"invalid UNetConfig {cfg}")
        emb = cfg.emb_dim
        self.noise_features = NoiseEmbedding(emb)
        self.noise_mlp = nn.Sequential(nn.Linear(emb, emb), nn.SiLU(), nn.Linear(emb, emb))
        self.class_emb = class_embedding(cfg.num_classes, emb)

        widths = [cfg.channels * m for m in cfg.channel_mults]
        last = len(widths) - 1
        self.conv_in = nn.Conv2d(cfg.image_channels, cfg.channels, 3, padding=1)

        # Encoder: each stage (a ModuleList of layers) of self.down outputs one skip connection.
        self.down = nn.ModuleList()
        skip_widths = [cfg.channels]
        ch = cfg.channels
        for level, width in enumerate(widths):
            for _ in range(cfg.num_res_blocks):
                self.down.append(self._stage(ch, width, emb, attend=cfg.attention and level == last))
                ch = width
                skip_widths.append(ch)
            if level != last:
                self.down.append(nn.ModuleList([Downsample(ch)]))
                skip_widths.append(ch)

        self.mid = nn.ModuleList([ResBlock(ch, ch, emb)])
        if cfg.attention:
            self.mid.append(SelfAttention(ch))
        self.mid.append(ResBlock(ch, ch, emb))

        # Decoder: each stage consumes one skip; an upsampling closes every level but the top one.
        self.up = nn.ModuleList()
        for level, width in reversed(list(enumerate(widths))):
            attend = cfg.attention and level == last
            for i in range(cfg.num_res_blocks + 1):
                stage = self._stage(ch + skip_widths.pop(), width, emb, attend=attend)
                ch = width
                if i == cfg.num_res_blocks and level != 0:
                    stage.append(Upsample(ch))
                self.up.append(stage)

        self.norm_out = _norm(ch)
        self.conv_out = _zero(nn.Conv2d(ch, cfg.image_channels, 3, padding=1))
        self._divisor = 2 ** last

    @staticmethod
    def _stage(in_ch: int, out_ch: int, emb_dim: int, attend: bool) -> nn.ModuleList:
        """A residual block, followed by self-attention when ``attend``."""
        stage = nn.ModuleList([ResBlock(in_ch, out_ch, emb_dim)])
        if attend:
            stage.append(SelfAttention(out_ch))
        return stage

    def forward(self, x: Tensor, c_noise: Tensor, labels: Tensor | None = None) -> Tensor:
        """``x (N, C, H, W)``, ``c_noise (N,)``, ``labels (N,)`` int or ``None`` → ``(N, C, H, W)``.

        ``labels`` is ignored by an unconditional model; for a conditional one ``None`` (or the value
        ``num_classes``) means "no label".
        """
        n, _, h, w = x.shape
        if h % self._divisor or w % self._divisor:
            raise ValueError(f"image size {h}×{w} must be divisible by {self._divisor}")
        noise_emb = self.noise_mlp(self.noise_features(per_sample(c_noise, n)))
        emb = add_class(noise_emb, self.class_emb, labels).to(x.dtype)

        skips = [self.conv_in(x)]
        for stage in self.down:
            skips.append(self._run(stage, skips[-1], emb))
        out = self._run(self.mid, skips[-1], emb)
        for stage in self.up:
            out = self._run(stage, torch.cat([out, skips.pop()], dim=1), emb)
        return self.conv_out(F.silu(self.norm_out(out)))

    @staticmethod
    def _run(stage: nn.ModuleList, h: Tensor, emb: Tensor) -> Tensor:
        """Apply a stage's layers in order, each as ``layer(h, emb)``."""
        for layer in stage:
            h = layer(h, emb)
        return h
