"""`scoreviz presets` (the built-in data presets) and `scoreviz bench` (the benchmarks, scoreviz.bench)."""
from __future__ import annotations

from scoreviz.bench.run import run_benchmarks
from scoreviz.core.data import PRESET_DESCRIPTIONS, preset_dim, preset_names

__all__ = ["bench", "presets"]


def presets(args) -> None:
    """One line per preset: its name, its dimension and what it is."""
    names = preset_names()
    width = max(map(len, names))
    print("\n".join(f"{name:{width}s}  {preset_dim(name)}-D  {PRESET_DESCRIPTIONS[name]}" for name in names))


def bench(args) -> dict:
    return run_benchmarks(quick=args.quick, only=args.only.split(",") if args.only else None,
                          verbose=not args.json)
