"""A small CNN digit classifier that measures how recognisable generated images are.

How it measures: the classifier is trained (seeded, a few epochs, Adam) on the first 8,000 images of the data
(for MNIST: the shared 10,000-image test set) and checked on the other 2,000, whose accuracy it reports. A
sample counts as *recognisable* when the classifier gives its top class a softmax probability ≥ 0.9. The
report has the recognisable fraction, the class histogram of the recognisable samples, how many classes hold
at least 2 % of them, and the same figure for held-out real images as the ceiling.

Weights are cached in platformdirs' user cache folder (``~/.cache/scoreviz/classifiers/`` on Linux), keyed by a
fingerprint of the training images, never in the repository.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from scoreviz.paths import classifier_cache_dir

__all__ = ["DigitClassifier", "Recognisability", "get_classifier", "recognisability", "train_classifier"]

CONFIDENCE = 0.9
TRAIN_FRACTION = 0.8


class DigitClassifier(nn.Module):
    """(N, 1, 28, 28) in [0, 1] → (N, classes) logits. Two conv blocks and a small head (~0.1 M parameters)."""

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.3), nn.Linear(64 * 7 * 7, 128), nn.ReLU(),
                                  nn.Dropout(0.3), nn.Linear(128, num_classes))

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))


@dataclass(frozen=True)
class Recognisability:
    fraction: float                 # samples whose top-class probability ≥ CONFIDENCE
    histogram: list[int]            # per class, among the recognisable samples
    classes_present: int            # classes holding ≥ 2 % of the recognisable samples
    n: int
    mean_confidence: float

    def as_dict(self) -> dict:
        return {"recognisable": round(self.fraction, 4), "class_histogram": self.histogram,
                "classes_present": self.classes_present, "n": self.n,
                "mean_confidence": round(self.mean_confidence, 4)}


def _fingerprint(images: Tensor) -> str:
    h = hashlib.sha256(f"{tuple(images.shape)}".encode())
    h.update(images[:: max(1, len(images) // 500)].numpy().tobytes())
    return h.hexdigest()[:16]


def _cache_dir() -> Path:
    return classifier_cache_dir()


def _split(images: Tensor, labels: Tensor):
    n_train = int(len(images) * TRAIN_FRACTION)
    return (images[:n_train], labels[:n_train]), (images[n_train:], labels[n_train:])


def _augment(x: Tensor, gen: torch.Generator) -> Tensor:
    """Random shifts of up to 2 pixels (robustness to slightly off-centre samples)."""
    pad = F.pad(x, (2, 2, 2, 2))
    dx, dy = torch.randint(0, 5, (2,), generator=gen).tolist()
    return pad[:, :, dy:dy + 28, dx:dx + 28]


def train_classifier(images: Tensor, labels: Tensor, epochs: int = 6, seed: int = 0, verbose: bool = False):
    """Train on the first 80 % of (images, labels); returns (model, held-out accuracy)."""
    (xt, yt), (xv, yv) = _split(images, labels)
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = DigitClassifier(int(labels.max()) + 1)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    steps = epochs * (len(xt) // 128)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=max(1, steps))
    model.train()
    start = time.perf_counter()
    for step in range(steps):
        idx = torch.randint(0, len(xt), (128,), generator=gen)
        loss = F.cross_entropy(model(_augment(xt[idx], gen)), yt[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if verbose and step % 100 == 0:
            print(f"classifier step {step}/{steps} loss {loss.item():.3f} ({time.perf_counter() - start:.0f} s)")
    model.eval()
    accuracy = float((predict_proba(model, xv).argmax(1) == yv).float().mean()) if len(xv) else float("nan")
    return model, accuracy


@torch.no_grad()
def predict_proba(model: nn.Module, images: Tensor, batch: int = 1000) -> Tensor:
    model.eval()
    images = images.detach().float().cpu().clamp(0, 1)
    return torch.cat([F.softmax(model(images[i:i + batch]), 1) for i in range(0, len(images), batch)])


def get_classifier(images: Tensor, labels: Tensor, cache: bool = True, verbose: bool = False):
    """The classifier for this data (trained once, then loaded from the cache). Returns (model, accuracy)."""
    path = _cache_dir() / f"cnn-{_fingerprint(images)}.pt"
    model = DigitClassifier(int(labels.max()) + 1)
    if cache and path.is_file():
        try:
            payload = torch.load(path, map_location="cpu", weights_only=True)
            model.load_state_dict(payload["state"])
            return model.eval(), float(payload["accuracy"])
        except Exception:  # a stale or broken cache file: train again
            pass
    model, accuracy = train_classifier(images, labels, verbose=verbose)
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        torch.save({"state": model.state_dict(), "accuracy": accuracy}, tmp)
        tmp.replace(path)
    return model, accuracy


def recognisability(model: nn.Module, samples: Tensor, confidence: float = CONFIDENCE) -> Recognisability:
    """Score samples (N, 1, 28, 28) in [0, 1] with the classifier (module docstring)."""
    probs = predict_proba(model, samples)
    top, cls = probs.max(1)
    ok = top >= confidence
    k = probs.shape[1]
    hist = np.bincount(cls[ok].numpy(), minlength=k).tolist()
    n_ok = int(ok.sum())
    present = sum(1 for h in hist if n_ok and h >= 0.02 * n_ok)
    return Recognisability(float(ok.float().mean()), hist, present, len(samples), float(top.mean()))


def held_out(images: Tensor, labels: Tensor):
    """The held-out real images the classifier never saw (its ceiling)."""
    return _split(images, labels)[1]
