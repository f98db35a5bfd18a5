"""Device choice (`auto` picks CUDA, then Apple MPS, then the CPU) and the CPU thread count."""
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


def cpu_threads(reserve_gui: bool) -> int:
    """Threads for torch on the CPU: every core, or all but one when a GUI thread shares the process (so the
    window stays responsive while a worker computes); at least one."""
    n = os.cpu_count() or 1
    return max(1, n - 1) if reserve_gui else n


def configure_cpu_threads(reserve_gui: bool) -> int:
    """Set torch's CPU threads to `cpu_threads(reserve_gui)`; returns the count set."""
    n = cpu_threads(reserve_gui)
    torch.set_num_threads(n)
    return n
