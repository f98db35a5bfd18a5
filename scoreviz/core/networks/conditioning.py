"""What the image backbones share about their conditioning inputs: per-sample noise levels and class labels."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["add_class", "class_embedding", "per_sample"]


def per_sample(c_noise: Tensor, n: int) -> Tensor:
    """``c_noise`` of shape ``()``, ``(1,)`` or ``(n,)`` as ``(n,)``: a sampler passes one noise level for a batch."""
    return c_noise.reshape(-1).expand(n) if c_noise.numel() == 1 else c_noise.reshape(n)


def class_embedding(num_classes: int, dim: int) -> nn.Embedding | None:
    """A learned embedding of ``num_classes`` labels plus the "no label" token ``num_classes`` (classifier-free
    guidance); ``None`` for an unconditional model."""
    return nn.Embedding(num_classes + 1, dim) if num_classes > 0 else None


def add_class(noise_emb: Tensor, class_emb: nn.Embedding | None, labels: Tensor | None) -> Tensor:
    """SiLU(noise embedding + class embedding): ``(N, dim)``. ``labels`` ``None`` means the "no label" token;
    an unconditional model (``class_emb`` ``None``) ignores them."""
    if class_emb is not None:
        if labels is None:
            labels = torch.full(noise_emb.shape[:1], class_emb.num_embeddings - 1, dtype=torch.long,
                                device=noise_emb.device)
        noise_emb = noise_emb + class_emb(labels.long())
    return F.silu(noise_emb)
