"""Noise-conditional score models: a preconditioned denoiser D(y, σ) around a shape-agnostic backbone.

Following EDM (Karras et al. 2022, eq. 7), with σ_d the data std,
    D(y, σ) = c_skip(σ)·y + c_out(σ)·F(c_in(σ)·y, c_noise(σ)),
    c_skip = σ_d²/(σ²+σ_d²),  c_out = σσ_d/√(σ²+σ_d²),  c_in = 1/√(σ²+σ_d²),  c_noise = ¼ log σ,
and the score follows by Tweedie's formula, s(y, σ) = (D(y, σ) − y)/σ². Written out without the cancellation,
    s(y, σ) = −y/(σ²+σ_d²) + σ_d F/(σ√(σ²+σ_d²)),
so the 1/σ growth of the score is built in and F only has to be O(1) at every noise level. The score at σ → ∞
is the one of N(0, (σ²+σ_d²)I) when F = 0: a sensible start before training.

The backbone is any module F(x: (N, *shape), c_noise: (N,) or (1,), labels: (N,) | None) -> (N, *shape):
`networks.mlp` for points, `networks.convnet` and `networks.unet` for images (`networks.network(kind)`).
"""
from __future__ import annotations

from dataclasses import asdict

import torch
from torch import Tensor, nn

from scoreviz.core.networks import network
from scoreviz.core.processes import append_dims


class Denoiser(nn.Module):
    """The preconditioned model (module docstring). y (N, *shape), sigma scalar or (N,) → (N, *shape)."""

    def __init__(self, backbone: nn.Module, sigma_data: float):
        super().__init__()
        self.backbone = backbone
        self.sigma_data = float(sigma_data)

    def scalings(self, sigma, y: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """EDM's (c_skip, c_out, c_in, c_noise) for σ (scalar or (N,)), the first three shaped to broadcast
        against y (N, *shape) and c_noise of shape (N,) or (1,) (Karras et al. 2022, Table 1)."""
        sigma = torch.as_tensor(sigma, dtype=y.dtype, device=y.device).reshape(-1)
        sd = self.sigma_data
        total = torch.sqrt(sigma**2 + sd**2)
        c_skip = sd**2 / total**2
        c_out = sigma * sd / total
        c_in = 1 / total
        c_noise = 0.25 * torch.log(sigma)
        return (append_dims(c_skip, y.ndim), append_dims(c_out, y.ndim), append_dims(c_in, y.ndim), c_noise)

    def forward(self, y: Tensor, sigma, labels: Tensor | None = None) -> Tensor:
        """D(y, σ) = c_skip·y + c_out·F(c_in·y, c_noise) ≈ E[x₀ | y], the denoised estimate."""
        c_skip, c_out, c_in, c_noise = self.scalings(sigma, y)
        return c_skip * y + c_out * self.backbone(c_in * y, c_noise, labels)

    def score(self, y: Tensor, sigma, labels: Tensor | None = None) -> Tensor:
        """s(y, σ) = (D − y)/σ² = −c_in²·y + (c_out/σ²)·F, written without the cancellation of D − y."""
        c_skip, c_out, c_in, c_noise = self.scalings(sigma, y)
        f = self.backbone(c_in * y, c_noise, labels)
        sigma2 = append_dims(torch.as_tensor(sigma, dtype=y.dtype, device=y.device).reshape(-1) ** 2, y.ndim)
        return -c_in**2 * y + (c_out / sigma2) * f


def count_parameters(module: nn.Module) -> int:
    """Number of parameters (weights), trainable or frozen (a loaded checkpoint's models are frozen)."""
    return sum(p.numel() for p in module.parameters())


def build_denoiser(config, sigma_data: float) -> Denoiser:
    """A Denoiser around the backbone that `config` describes (its ``kind`` names the network)."""
    kind = getattr(config, "kind", None)
    if kind is None:
        raise TypeError(f"no backbone for config {config!r}")
    return Denoiser(network(kind)[1](config), sigma_data)


def config_to_dict(config) -> dict:
    """A network config as plain data for a checkpoint: its fields and its ``kind``."""
    return {"kind": config.kind, **asdict(config)}


def config_from_dict(d: dict):
    """The inverse of :func:`config_to_dict` (JSON lists become the tuples the configs hold)."""
    d = dict(d)
    config_type = network(d.pop("kind"))[0]
    return config_type(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})
