"""Guided scores from a trained Denoiser: classifier-free guidance and autoguidance.

Both build a ``VEScore`` s̃(y, σ̃) (y (N, *shape) → (N, *shape)) that ``samplers.ScoreFunction`` turns into a
process's score:

    classifier-free   (1 + w)·s(y, σ, c) − w·s(y, σ, ∅)         (Ho & Salimans 2022)
    autoguidance      s_guide + w·(s − s_guide)                  (Karras et al. 2024)

∅ is the label ``num_classes`` (the one label dropout trains); the guide is an under-trained copy of the same
network (``Trainer.guide``), whose errors, larger than the model's, are stepped away from.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor

__all__ = ["exact_score", "model_score"]


def model_score(model, labels: Tensor | None = None, guidance: float = 0.0, guide=None,
                autoguidance: float = 1.0) -> Callable[[Tensor, float], Tensor]:
    """A VEScore ``score(y, sigma)`` from a Denoiser, evaluated without gradients.

    Args:
        model: a Denoiser (``model.score(y, sigma, labels)``).
        labels: (N,) or (1,) class labels for a conditional model; ``None`` for an unconditional one.
        guidance: classifier-free guidance weight w ≥ 0 (0: the conditional score alone).
        guide: an earlier model for autoguidance; used only when ``autoguidance`` ≠ 1.
        autoguidance: w of s_guide + w·(s − s_guide); 1 is the model alone.
    """

    def one(net, y: Tensor, sigma: float, w: float) -> Tensor:
        if labels is None:
            return net.score(y, sigma)
        lab = labels[: y.shape[0]] if labels.shape[0] >= y.shape[0] else labels.expand(y.shape[0])
        cond = net.score(y, sigma, lab)
        if w == 0.0:
            return cond
        null = torch.full_like(lab, net.backbone.config.num_classes)
        return (1 + w) * cond - w * net.score(y, sigma, null)

    def score(y: Tensor, sigma: float) -> Tensor:
        with torch.inference_mode():
            s = one(model, y, sigma, guidance)
            if guide is None or autoguidance == 1.0:
                return s
            s_guide = one(guide, y, sigma, 0.0)
            return s_guide + autoguidance * (s - s_guide)

    return score


def exact_score(dataset) -> Callable[[Tensor, float], Tensor]:
    """The other source of a VEScore: the exact score of `dataset` noised at σ̃ (`Dataset.exact_score`: closed
    form for mixtures, point sets and grids), computed on the CPU and returned on the query's device and dtype."""
    return lambda y, sigma: dataset.exact_score(y.cpu(), sigma).to(y.device, y.dtype)
