"""The backbones F(x, c_noise, labels) that the preconditioned Denoiser (core.model) wraps, looked up by kind.

Each network module defines a frozen config dataclass (with a class attribute ``kind``) and an ``nn.Module``
built from it; checkpoints store the config and its kind, and ``network(kind)`` finds the pair again.
"""
from __future__ import annotations

from scoreviz.core.networks.convnet import ConvNetConfig, ConvScoreNet
from scoreviz.core.networks.mlp import MLPConfig, ScoreMLP
from scoreviz.core.networks.unet import UNet, UNetConfig

NETWORKS: dict[str, tuple[type, type]] = {
    MLPConfig.kind: (MLPConfig, ScoreMLP),
    ConvNetConfig.kind: (ConvNetConfig, ConvScoreNet),
    UNetConfig.kind: (UNetConfig, UNet),
}


def network(kind: str) -> tuple[type, type]:
    """(config class, backbone class) of a network kind: one of NETWORKS."""
    if kind not in NETWORKS:
        raise ValueError(f"unknown network kind {kind!r}; known: {', '.join(NETWORKS)}")
    return NETWORKS[kind]
