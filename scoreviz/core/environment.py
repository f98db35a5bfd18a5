"""What this installation runs on, as (name, value) rows: for `scoreviz info`, the About box and bug reports.

Rule: versions come from package metadata where a package need not be imported (PySide6, pyqtgraph: the
core never imports Qt), from the module itself where the build matters (torch: its CUDA build, the GPUs
it sees, MPS). Each row is one line a user can paste into an issue.
"""
from __future__ import annotations

import platform
import sys
from importlib import metadata

import numpy as np
import torch

import scoreviz

__all__ = ["accelerator_rows", "environment_rows", "format_rows", "package_version"]


def package_version(*distributions: str) -> str:
    """The installed version of the first of `distributions` found, or "not installed"."""
    for name in distributions:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return "not installed"


def accelerator_rows() -> list[tuple[str, str]]:
    """CUDA (the build's version, each GPU by name, cuDNN) and Apple MPS, available or why not."""
    rows = []
    if torch.cuda.is_available():
        gpus = ", ".join(f"{i}: {torch.cuda.get_device_name(i)}" for i in range(torch.cuda.device_count()))
        cudnn = torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None
        rows.append(("CUDA", f"available: CUDA {torch.version.cuda}" + (f", cuDNN {cudnn}" if cudnn else "")
                     + f"; {gpus}"))
    elif torch.version.cuda:
        rows.append(("CUDA", f"not available (torch built for CUDA {torch.version.cuda}; no GPU or driver found)"))
    else:
        rows.append(("CUDA", "not available (this torch is a CPU-only build)"))
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        rows.append(("MPS", "available (Apple GPU)"))
    elif mps is not None and mps.is_built():
        rows.append(("MPS", "not available (built with MPS; needs macOS 12.3+ on Apple silicon)"))
    else:
        rows.append(("MPS", "not available (not an Apple build)"))
    return rows


def environment_rows(device: str | None = None) -> list[tuple[str, str]]:
    """scoreviz, Python, torch and its accelerators, NumPy, PySide6, pyqtgraph, and `device` if given."""
    rows = [
        ("scoreviz", scoreviz.__version__),
        ("Python", f"{platform.python_version()} ({platform.python_implementation()}, "
                   f"{platform.system()} {platform.machine()})"),
        ("torch", f"{torch.__version__} ({torch.get_num_threads()} CPU threads)"),
        *accelerator_rows(),
        ("NumPy", np.__version__),
        ("PySide6", package_version("PySide6-Essentials", "PySide6")),
        ("pyqtgraph", package_version("pyqtgraph")),
    ]
    if device:
        rows.append(("device in use", device))
    rows.append(("executable", sys.executable))
    return rows


def format_rows(rows: list[tuple[str, str]]) -> str:
    """The rows as aligned "name   value" lines."""
    width = max((len(name) for name, _ in rows), default=0)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)
