"""What an image sampling request follows: its class labels and the (guided) score of the model, from an
`ImageSampleRequest` (classes evenly or one class with classifier-free guidance; no label with autoguidance)."""
from __future__ import annotations

import torch

from scoreviz.core.recipes.images import image_score
from scoreviz.lab.images import frames as fr

#: Said when autoguidance is asked for before training has kept the early copy it needs.
NO_GUIDE_YET = "Autoguidance starts once training has kept an early copy of the model; sampling without it for now."


def request_labels(req: fr.ImageSampleRequest, num_classes: int, device) -> torch.Tensor | None:
    """(n,) labels: every class in turn (i mod K) or the one asked for; None for an unconditional model."""
    if num_classes <= 0:
        return None
    if req.class_label is None:
        return torch.arange(req.n, device=device) % num_classes
    return torch.full((req.n,), int(req.class_label), device=device, dtype=torch.long)


def request_score(req: fr.ImageSampleRequest, model, process, guide, device):
    """(score, message or None): the score the run follows — classifier-free guidance with labels, autoguidance
    without them when the early model `guide` exists (else the plain score, and a message saying why)."""
    labels = request_labels(req, model.backbone.config.num_classes, device)
    message = NO_GUIDE_YET if labels is None and req.autoguidance != 1.0 and guide is None else None
    autoguidance = req.autoguidance if labels is None and guide is not None else 1.0
    score = image_score(model, process, labels, req.guidance if labels is not None else 0.0, guide, autoguidance)
    return score, message
