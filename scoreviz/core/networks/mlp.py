"""The low-dimensional backbone: an MLP on Fourier features of x and of log σ (sizes: names.POINT_MODEL_SIZES)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn


@dataclass(frozen=True)
class MLPConfig:
    """The low-dimensional backbone: Fourier features of x and of log σ, `depth` hidden layers of `width`."""

    dim: int = 2
    width: int = 64
    depth: int = 4
    n_fourier: int = 16          # random Fourier features of x (each gives a sin and a cos)
    fourier_scale: float = 2.0   # std of their frequencies, in units of the normalised input
    n_noise_features: int = 16   # sinusoidal features of c_noise
    seed: int = 0                # the fixed random frequencies

    kind = "mlp"


class ScoreMLP(nn.Module):
    """F(x, c_noise): x (N, D), c_noise (N,) or (1,) → (N, D).

    h₀ = [x, sin 2πBx, cos 2πBx] (B fixed, (n_fourier, D) ~ N(0, scale²)); each hidden layer adds its own linear
    embedding of the noise features before the SiLU, with residual connections between equal widths. The noise
    branch runs once per distinct σ: a sampler passes c_noise of shape (1,) and it broadcasts over particles.
    """

    def __init__(self, config: MLPConfig):
        super().__init__()
        self.config = config
        gen = torch.Generator().manual_seed(config.seed)
        self.register_buffer("freqs", config.fourier_scale * torch.randn(config.n_fourier, config.dim, generator=gen))
        self.register_buffer("noise_freqs", torch.exp(torch.linspace(0.0, math.log(64.0), config.n_noise_features // 2)))
        in_features = config.dim + 2 * config.n_fourier
        self.inputs = nn.Linear(in_features, config.width)
        self.hidden = nn.ModuleList(nn.Linear(config.width, config.width) for _ in range(config.depth - 1))
        # One projection of the noise features for every layer, computed in a single matmul.
        self.noise_proj = nn.Linear(2 * (config.n_noise_features // 2), config.width * config.depth)
        self.output = nn.Linear(config.width, config.dim)
        nn.init.zeros_(self.output.weight)
        nn.init.zeros_(self.output.bias)

    def forward(self, x: Tensor, c_noise: Tensor, labels: Tensor | None = None) -> Tensor:
        proj = 2 * math.pi * x @ self.freqs.T
        features = torch.cat([x, torch.sin(proj), torch.cos(proj)], dim=-1)
        angles = c_noise.reshape(-1, 1) * self.noise_freqs
        emb = self.noise_proj(torch.cat([torch.sin(angles), torch.cos(angles)], dim=-1))
        embs = emb.chunk(self.config.depth, dim=-1)
        h = nn.functional.silu(self.inputs(features) + embs[0])
        for layer, e in zip(self.hidden, embs[1:]):
            h = h + nn.functional.silu(layer(h) + e)
        return self.output(h)
