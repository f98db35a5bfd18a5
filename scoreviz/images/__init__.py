"""Image mode: MNIST-style data sets, small noise-conditional networks (a fast conv net, a U-Net), and montages.

Qt-free (part of the core): reading IDX / ``.npz`` data (:mod:`.idx`), finding it on disk
(:mod:`.locate`), a user-started verified download (:mod:`.download`), the backbones (:mod:`.convnet`, the
CPU default, and :mod:`.unet`) and montages (:mod:`.grid`).
"""

from scoreviz.core.model import count_parameters

from .convnet import ConvNetConfig, ConvScoreNet
from .download import MNIST_FILES, MNIST_MIRRORS, DownloadCancelled, DownloadError, download_mnist
from .grid import make_grid, save_grid_png
from .idx import CLASS_NAMES, ImageDataError, ImageDataset, load_image_dataset, load_npz, read_idx
from .locate import candidate_dirs, default_download_dir, find_dataset
from .unet import PRESETS, UNet, UNetConfig

__all__ = [
    "CLASS_NAMES",
    "ConvNetConfig",
    "ConvScoreNet",
    "MNIST_FILES",
    "MNIST_MIRRORS",
    "PRESETS",
    "DownloadCancelled",
    "DownloadError",
    "ImageDataError",
    "ImageDataset",
    "UNet",
    "UNetConfig",
    "candidate_dirs",
    "count_parameters",
    "default_download_dir",
    "download_mnist",
    "find_dataset",
    "load_image_dataset",
    "load_npz",
    "make_grid",
    "read_idx",
    "save_grid_png",
]
