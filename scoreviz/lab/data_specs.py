"""Data as the window holds it: a `frames.DataSpec` of read-only NumPy arrays, made from presets, files and edits.

The GUI thread keeps only specs (its undo history is a list of them) and never a tensor: a preset or a file is
read through `scoreviz.core.data` here, turned into NumPy at once, and a bad one gives its message before
anything changes. The worker's session rebuilds its own `core.data.Dataset` from the spec
(`dataset_from_spec`), so no tensor is shared between threads.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import torch

from scoreviz.core import data as core_data
from scoreviz.core.density_grid import DensityGrid
from scoreviz.core.mixture import GaussianMixture

from scoreviz.lab import frames as fr

DEFAULT_PRESET = "moons"
#: The window shows data up to 8-D (D ≥ 3 as pairwise projections and a slice of the field).
MAX_WINDOW_DIM = 8


def preset_names(max_dim: int = MAX_WINDOW_DIM) -> list[str]:
    """The presets the window can show; a preset that fails to build is left out of the menu, not fatal."""
    names = []
    for name in core_data.preset_names():
        try:
            if core_data.preset_dim(name) <= max_dim:
                names.append(name)
        except Exception:
            continue
    return names


def preset_spec(name: str, n_train: int = 4000) -> fr.DataSpec:
    """The preset as a spec (version 0, reset: a new data set); DataError for an unknown or too high-D one."""
    return to_spec(_check_dim(core_data.make_preset(name, n_train=n_train), f"preset {name!r}"))


def file_spec(path: str) -> fr.DataSpec:
    """A .npy/.csv point file or a .png density as a spec; DataError (one line) when it cannot be used."""
    dataset = _check_dim(core_data.load_data(str(path)), str(path))
    if dataset.train.shape[0] == 0:
        raise core_data.DataError(f"{path}: the file holds no points")
    return to_spec(dataset)


def edited_spec(spec: fr.DataSpec | None, points: np.ndarray) -> fr.DataSpec:
    """The data after an edit: its points replaced (the held-out set is the new points, as in
    `Dataset.with_train`). The mixture/grid no longer describe the data, so the exact score becomes the one of
    the point set. An empty result is the empty canvas."""
    points = fr.frozen_array(np.asarray(points, dtype=np.float32).reshape(-1, spec.dim if spec else 2))
    name = spec.name if spec is not None and not spec.empty else "painted"
    return fr.DataSpec(version=0, name=name, train=points, heldout=points)


def empty_spec(dim: int = 2) -> fr.DataSpec:
    empty = np.zeros((0, dim), dtype=np.float32)
    return fr.DataSpec(version=0, name="empty", train=empty, heldout=empty)


def stamped(spec: fr.DataSpec, version: int, reset: bool) -> fr.DataSpec:
    """The same data under a new version number (what the worker compares to drop stale caches)."""
    return dataclasses.replace(spec, version=version, reset=reset)


def _check_dim(dataset, where: str):
    if dataset.dim > MAX_WINDOW_DIM:
        raise core_data.DataError(f"{where}: {dataset.dim}-D data cannot be shown in the window (up to "
                                  f"{MAX_WINDOW_DIM}-D); use the command line for it")
    return dataset


def user_message(exc: Exception, what: str) -> str:
    """One line for the window: a DataError's own text, anything else named with its type."""
    if isinstance(exc, core_data.DataError):
        return str(exc)
    return f"Could not load {what}: {type(exc).__name__}: {exc}"


def describe(spec: fr.DataSpec | None) -> str:
    """'moons · 4,000 points · 2-D · exact score from the mixture' for the status bar."""
    if spec is None or spec.empty:
        return "no data"
    kind = "mixture" if spec.mixture is not None else "density" if spec.grid is not None else "points"
    return f"{spec.name} · {spec.train.shape[0]:,} points · {spec.dim}-D · exact score from the {kind}"


# --- Dataset <-> spec (torch on one side, NumPy on the other) ----------------------------------------------------

def to_spec(dataset) -> fr.DataSpec:
    """A core Dataset as a spec (version 0, reset)."""
    mix = None
    if dataset.mixture is not None:
        m = dataset.mixture
        mix = fr.MixtureSpec(weights=m.weights.numpy(), means=m.means.numpy(), covs=m.covs.numpy())
    grid = None
    if dataset.grid is not None:
        grid = fr.GridSpec(values=np.asarray(dataset.grid.values), bounds=tuple(dataset.grid.bounds))
    return fr.DataSpec(version=0, name=dataset.name, train=_numpy(dataset.train), heldout=_numpy(dataset.heldout),
                       mixture=mix, grid=grid)


def dataset_from_spec(spec: fr.DataSpec):
    """The worker's own Dataset (fresh tensors) for a spec; None for the empty canvas."""
    if spec.empty:
        return None
    mixture = None
    if spec.mixture is not None:
        mixture = GaussianMixture(torch.tensor(spec.mixture.weights), torch.tensor(spec.mixture.means),
                                  torch.tensor(spec.mixture.covs))
    grid = DensityGrid(np.array(spec.grid.values), spec.grid.bounds) if spec.grid is not None else None
    return core_data.Dataset(name=spec.name, train=torch.tensor(spec.train), heldout=torch.tensor(spec.heldout),
                             mixture=mixture, grid=grid)


def _numpy(points) -> np.ndarray:
    return points.detach().cpu().numpy().astype(np.float32, copy=False)
