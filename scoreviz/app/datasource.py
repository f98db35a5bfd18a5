"""The app's adapter to `scoreviz.core.data`: datasets to and from `frames.DataSpec` (what crosses threads).

The GUI thread loads presets and files (so a bad file gives its message at once and changes nothing); the
worker rebuilds the same dataset from the spec's NumPy arrays, so no tensor is shared between threads.
"""
from __future__ import annotations

import numpy as np
import torch

from scoreviz.core import data as core_data
from scoreviz.core.density_grid import DensityGrid
from scoreviz.core.mixture import GaussianMixture

from scoreviz.lab import frames as fr

DEFAULT_PRESET = "moons"


def preset_names(max_dim: int = 2) -> list[str]:
    """The presets the window can show (1-D and 2-D)."""
    names = []
    for name in core_data.preset_names():
        try:
            if core_data.make_preset(name, n_train=2, n_heldout=2).dim <= max_dim:
                names.append(name)
        except Exception:  # a broken preset is left out of the menu, not fatal
            continue
    return names


def preset(name: str, n_train: int = 4000):
    return _check_dim(core_data.make_preset(name, n_train=n_train), f"preset {name!r}")


def load(path: str):
    return _check_dim(core_data.load_data(str(path)), str(path))


def _check_dim(dataset, where: str):
    if dataset.dim > 2:
        raise core_data.DataError(f"{where}: {dataset.dim}-D data cannot be shown in the window (1-D and 2-D "
                                  "only); use the command line for it")
    return dataset


def edited(dataset, points: np.ndarray):
    """The dataset after an edit: its points replaced, or None for an empty canvas. The mixture/grid no longer
    describe the data (Dataset.with_train drops them), so the exact score becomes the one of the point set."""
    points = np.asarray(points, dtype=np.float32).reshape(-1, 2)
    if len(points) == 0:
        return None
    if dataset is None:
        pts = torch.from_numpy(np.ascontiguousarray(points))
        return core_data.Dataset("painted", pts, pts)
    return dataset.with_train(points)


def train_points(dataset) -> np.ndarray:
    if dataset is None:
        return np.zeros((0, 2), dtype=np.float32)
    return dataset.train.detach().cpu().numpy().astype(np.float32, copy=False)


def user_message(exc: Exception, what: str) -> str:
    if isinstance(exc, core_data.DataError):
        return str(exc)
    return f"Could not load {what}: {type(exc).__name__}: {exc}"


# --- crossing threads -------------------------------------------------------------------------------------------

def to_spec(dataset, version: int, reset: bool, dim: int = 2) -> fr.DataSpec:
    if dataset is None:
        empty = np.zeros((0, dim), dtype=np.float32)
        return fr.DataSpec(version, "empty", empty, empty, None, None, reset)
    mix = None
    if dataset.mixture is not None:
        m = dataset.mixture
        mix = fr.MixtureSpec(m.weights.numpy(), m.means.numpy(), m.covs.numpy())
    grid = None
    if getattr(dataset, "grid", None) is not None:
        grid = fr.GridSpec(np.asarray(dataset.grid.values), tuple(dataset.grid.bounds))
    heldout = dataset.heldout.detach().cpu().numpy() if dataset.heldout is not None else np.zeros((0, dataset.dim))
    return fr.DataSpec(version, dataset.name, train_points(dataset), heldout.astype(np.float32), mix, grid, reset)


def dataset_from_spec(spec: fr.DataSpec):
    """The worker's own copy of the dataset (fresh tensors); None for an empty canvas."""
    if spec.empty:
        return None
    mixture = None
    if spec.mixture is not None:
        mixture = GaussianMixture(torch.tensor(spec.mixture.weights), torch.tensor(spec.mixture.means),
                                  torch.tensor(spec.mixture.covs))
    grid = DensityGrid(np.array(spec.grid.values), spec.grid.bounds) if spec.grid is not None else None
    return core_data.Dataset(name=spec.name, train=torch.tensor(spec.train), heldout=torch.tensor(spec.heldout),
                             mixture=mixture, grid=grid)


def describe(dataset) -> str:
    if dataset is None:
        return "no data"
    n = dataset.train.shape[0]
    kind = "mixture" if dataset.mixture is not None else "density" if getattr(dataset, "grid", None) is not None \
        else "points"
    return f"{dataset.name} · {n:,} points · {dataset.dim}-D · exact score from the {kind}"

