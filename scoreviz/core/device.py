"""Device choice: `auto` picks CUDA, then Apple MPS, then the CPU."""
from __future__ import annotations

import os

import torch

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


def available_devices() -> list[str]:
    found = ["cpu"]
    if torch.cuda.is_available():
        found.append("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        found.append("mps")
    return found


def resolve_device(name: str = "auto") -> torch.device:
    """The torch device for a user's choice; a clear ValueError if it is not on this machine."""
    if name not in DEVICE_CHOICES and not name.startswith("cuda:"):
        raise ValueError(f"unknown device {name!r}; choose one of {', '.join(DEVICE_CHOICES)}")
    if name == "auto":
        found = available_devices()
        return torch.device("cuda" if "cuda" in found else "mps" if "mps" in found else "cpu")
    if name.split(":")[0] not in available_devices():
        raise ValueError(f"device {name!r} is not available on this machine (found: {', '.join(available_devices())})")
    return torch.device(name)


def configure_cpu_threads(reserve: int = 1) -> int:
    """Leave `reserve` cores to the GUI thread (GUIDE §2); returns the thread count set."""
    n = max(1, (os.cpu_count() or 1) - reserve)
    torch.set_num_threads(n)
    return n
