"""Finding MNIST / Fashion-MNIST on this machine without any network access.

:func:`candidate_dirs` lists the places we look, in order; :func:`find_dataset` returns the first one that
holds IDX image files under their standard names (see :func:`scoreviz.datasets.idx.find_idx_pairs`).
"""

from __future__ import annotations

import os
from pathlib import Path

from scoreviz.paths import cache_dir

from scoreviz.datasets.idx import find_idx_pairs

__all__ = [
    "DATA_ENV_VAR",
    "DEBIAN_FASHION_MNIST_DIR",
    "REPO_SHARED_MNIST_DIR",
    "candidate_dirs",
    "default_download_dir",
    "find_dataset",
]

#: Environment variable naming a folder of data sets.
DATA_ENV_VAR = "SCOREVIZ_DATA"

#: Where Debian's ``dataset-fashion-mnist`` package installs the four gzipped IDX files.
DEBIAN_FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")

#: ``../shared/data/mnist`` beside the repository root (development checkouts; holds the t10k files).
REPO_SHARED_MNIST_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mnist"

#: Per data set: sub-folders tried under ``$SCOREVIZ_DATA``, the user-cache folder name, the
#: torchvision-style ``<Name>/raw`` folder, and fixed system/development locations.
_LAYOUT: dict[str, dict] = {
    "mnist": {
        "env_subdirs": ("", "mnist", "MNIST/raw"),
        "cache": "mnist",
        "torchvision": "MNIST/raw",
    },
    "fashion": {
        "env_subdirs": ("", "fashion", "fashion-mnist", "FashionMNIST/raw"),
        "cache": "fashion-mnist",
        "torchvision": "FashionMNIST/raw",
    },
}


def _fixed_dirs(name: str) -> list[Path]:
    """System or development locations (read at call time so tests can patch the module constants)."""
    return [REPO_SHARED_MNIST_DIR] if name == "mnist" else [DEBIAN_FASHION_MNIST_DIR]


def default_download_dir(name: str = "mnist") -> Path:
    """Where a user-started download goes: platformdirs' user cache folder, e.g. ``~/.cache/scoreviz/mnist`` on
    Linux (a download can be repeated, so it is cache, not data). Not created here. ``$SCOREVIZ_DATA`` is only
    looked in (:func:`candidate_dirs`): a folder the user filled by hand is never written to."""
    return cache_dir() / _LAYOUT[_check_name(name)]["cache"]


def _check_name(name: str) -> str:
    if name not in _LAYOUT:
        raise ValueError(f"unknown data set {name!r}; expected one of {sorted(_LAYOUT)}")
    return name


def candidate_dirs(name: str = "mnist", user_dir: str | Path | None = None) -> list[Path]:
    """The folders :func:`find_dataset` tries, in order, without duplicates.

    For ``"mnist"``: ``user_dir``; ``$SCOREVIZ_DATA``, ``$SCOREVIZ_DATA/mnist``,
    ``$SCOREVIZ_DATA/MNIST/raw``; :func:`default_download_dir`; ``./data/MNIST/raw``; ``~/data/MNIST/raw``;
    ``../shared/data/mnist`` beside the repository. For ``"fashion"`` the same pattern with
    ``fashion``/``fashion-mnist``/``FashionMNIST/raw``, then ``/usr/share/datasets/fashion-mnist``.
    """
    layout = _LAYOUT[_check_name(name)]
    dirs: list[Path] = []
    if user_dir:
        dirs.append(Path(user_dir).expanduser())
    env = os.environ.get(DATA_ENV_VAR)
    if env:
        root = Path(env).expanduser()
        dirs.extend(root / sub if sub else root for sub in layout["env_subdirs"])
    dirs.append(default_download_dir(name))
    dirs.append(Path.cwd() / "data" / layout["torchvision"])
    dirs.append(Path.home() / "data" / layout["torchvision"])
    dirs.extend(_fixed_dirs(name))
    return list(dict.fromkeys(dirs))


def find_dataset(name: str = "mnist", user_dir: str | Path | None = None) -> Path | None:
    """The first candidate folder that holds the data set's IDX image files, or ``None``.

    Args:
        name: ``"mnist"`` or ``"fashion"``.
        user_dir: a folder the user picked (tried first). A file path (an ``.npz`` or an IDX file) that
            exists is returned as is.

    Returns:
        A path to pass to :func:`scoreviz.datasets.idx.load_image_dataset`, or ``None`` when nothing was found.
    """
    if user_dir and Path(user_dir).expanduser().is_file():
        return Path(user_dir).expanduser()
    for folder in candidate_dirs(name, user_dir):
        if find_idx_pairs(folder):
            return folder
    return None
