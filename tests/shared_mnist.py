"""The real MNIST test set beside the repository (../shared/data/mnist), for the tests that read it; they skip
cleanly where it is absent. Never copied into the repository."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

SHARED_MNIST = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnist"


def require_shared_mnist() -> Path:
    """The folder, or a skip of the calling test when the images are not there."""
    if not (SHARED_MNIST / "t10k-images-idx3-ubyte.gz").is_file():
        pytest.skip("the shared MNIST test set is absent")
    return SHARED_MNIST


def first_digits(n: int) -> tuple[np.ndarray, np.ndarray]:
    """(images (n, 28, 28) uint8, labels (n,) int64): the first n of the test set."""
    from scoreviz.datasets.idx import read_idx

    folder = require_shared_mnist()
    images = read_idx(folder / "t10k-images-idx3-ubyte.gz")[:n]
    labels = read_idx(folder / "t10k-labels-idx1-ubyte.gz")[:n]
    return np.asarray(images, np.uint8), np.asarray(labels, np.int64)
