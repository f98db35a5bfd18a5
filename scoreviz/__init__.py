"""scoreviz: a desktop lab for score-based generative models.

The version lives in one place, pyproject.toml: an installed scoreviz reads it from its package metadata, a
source checkout that was never installed reads it from the pyproject.toml beside the package. This module
stays import-light (no torch, no Qt) so that `scoreviz --version` answers at once.
"""
from __future__ import annotations


def _read_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("scoreviz")
    except metadata.PackageNotFoundError:
        pass
    import re
    from pathlib import Path

    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    try:
        found = re.search(r'^version\s*=\s*"([^"]+)"', pyproject.read_text(encoding="utf-8"), re.MULTILINE)
    except OSError:
        found = None
    return found.group(1) if found else "0+unknown"


__version__ = _read_version()

# --- the Python API ------------------------------------------------------------------------------------------
# What a notebook needs, importable as `scoreviz.make_preset` etc. Each name is imported on first use (module
# __getattr__, PEP 562), so `import scoreviz` stays light: torch loads when the API is first touched, Qt never.
_API = {
    "make_preset": ("scoreviz.core.data", "make_preset"),             # a built-in data set: train/held-out points
    "load_data": ("scoreviz.core.data", "load_data"),                 # a preset name or a .npy/.csv/.png file
    "make_process": ("scoreviz.core.processes", "make_process"),      # a noise process (ve, vp, subvp, ...)
    "TrainingNoise": ("scoreviz.core.schedule.training_noise", "TrainingNoise"),   # where training draws σ, its weight
    "make_trainer": ("scoreviz.core.recipes.points", "make_trainer"),     # the points recipe's Trainer
    "draw_samples": ("scoreviz.core.recipes.points", "draw_samples"),     # samples from a trained Denoiser
    "load_checkpoint": ("scoreviz.core.checkpoint", "load_checkpoint"),   # what `scoreviz train` or the app saved
    "quality_report": ("scoreviz.core.metrics", "quality_report"),        # sliced Wasserstein etc. vs their floor
    "analyse_schedule": ("scoreviz.core.schedule.rules", "analyse"),      # NCSNv2's rules and the warnings
}

__all__ = list(_API)


def __getattr__(name: str):
    if name not in _API:
        raise AttributeError(f"module 'scoreviz' has no attribute {name!r}")
    from importlib import import_module

    module, attr = _API[name]
    value = getattr(import_module(module), attr)
    globals()[name] = value   # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_API})
