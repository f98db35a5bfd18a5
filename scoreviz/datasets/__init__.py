"""Image data sets, Qt-free: reading IDX / ``.npz`` files (:mod:`.idx`), finding them on disk (:mod:`.locate`),
a user-started, checksum-verified download (:mod:`.download`) and montages of image batches (:mod:`.montage`).

This layer sits on the core and under the lab: it knows nothing of models or of Qt.
"""

from scoreviz.datasets.download import MNIST_FILES, MNIST_MIRRORS, DownloadCancelled, DownloadError, download_mnist
from scoreviz.datasets.idx import CLASS_NAMES, ImageDataError, ImageDataset, load_image_dataset, load_npz, read_idx
from scoreviz.datasets.locate import candidate_dirs, default_download_dir, find_dataset
from scoreviz.datasets.montage import make_grid, save_grid_png

__all__ = [
    "CLASS_NAMES",
    "MNIST_FILES",
    "MNIST_MIRRORS",
    "DownloadCancelled",
    "DownloadError",
    "ImageDataError",
    "ImageDataset",
    "candidate_dirs",
    "default_download_dir",
    "download_mnist",
    "find_dataset",
    "load_image_dataset",
    "load_npz",
    "make_grid",
    "read_idx",
    "save_grid_png",
]
