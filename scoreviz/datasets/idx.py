"""Reading image data sets from disk: IDX files (MNIST, Fashion-MNIST) and generic ``.npz`` archives.

The IDX format (LeCun et al.): two zero bytes, a dtype code, the number of dimensions ``ndim``, then
``ndim`` big-endian uint32 sizes, then the values in big-endian C order. Files are often gzipped; we detect
that by the gzip magic bytes, not by the suffix.

Every problem with a file is reported as :class:`ImageDataError` (a ``ValueError``) with a one-line message
that names the file.
"""

from __future__ import annotations

import gzip
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

__all__ = [
    "CLASS_NAMES",
    "IDX_DTYPES",
    "ImageDataError",
    "ImageDataset",
    "find_idx_pairs",
    "load_image_dataset",
    "load_npz",
    "read_idx",
]

#: IDX dtype code -> big-endian NumPy dtype.
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

#: Class names per data-set kind (label ``k`` is ``CLASS_NAMES[kind][k]``).
CLASS_NAMES: dict[str, list[str]] = {
    "mnist": [str(d) for d in range(10)],
    "fashion": [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ],
}

_DISPLAY_NAMES = {"mnist": "MNIST", "fashion": "Fashion-MNIST"}

#: Split prefixes in the order their images are concatenated.
_SPLITS = ("train", "t10k")

_GZIP_MAGIC = b"\x1f\x8b"


class ImageDataError(ValueError):
    """A data file is missing, unreadable or malformed. The message names the file."""


@dataclass(frozen=True, eq=False)  # eq=False: compared by identity (tensors have no plain ==)
class ImageDataset:
    """An image data set in memory, ready for training.

    Attributes:
        name: display name, e.g. ``"MNIST"``.
        images: ``(N, C, H, W)`` float32 in ``[0, 1]`` (``(N, 1, 28, 28)`` for MNIST).
        labels: ``(N,)`` int64 class indices, or ``None`` when the data set has no labels.
        class_names: ``class_names[k]`` names label ``k`` (empty when unlabelled).
        source: where it was loaded from (a folder or a file), for display.
    """

    name: str
    images: Tensor
    labels: Tensor | None
    class_names: list[str]
    source: str

    def __len__(self) -> int:
        return int(self.images.shape[0])

    @property
    def num_classes(self) -> int:
        """Number of classes (0 when unlabelled)."""
        return len(self.class_names) if self.labels is not None else 0


# --------------------------------------------------------------------------------------------- IDX files


def _read_bytes(path: Path) -> bytes:
    """The file's content, decompressed when it starts with the gzip magic bytes."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImageDataError(f"{path}: cannot read file ({exc.strerror or exc})") from exc
    if not raw.startswith(_GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise ImageDataError(f"{path}: corrupt or truncated gzip data ({exc})") from exc


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (optionally gzipped) into an array.

    Args:
        path: the file, e.g. ``t10k-images-idx3-ubyte.gz``.

    Returns:
        An array of the file's shape (``(N, 28, 28)`` uint8 for MNIST images, ``(N,)`` uint8 for labels) in
        native byte order.

    Raises:
        ImageDataError: unreadable file, wrong magic number, unknown dtype code, or a size that does not
            match the header (truncated or trailing data).
    """
    path = Path(path)
    data = _read_bytes(path)
    if len(data) < 4:
        raise ImageDataError(f"{path}: not an IDX file (only {len(data)} bytes)")
    if data[0] != 0 or data[1] != 0:
        raise ImageDataError(
            f"{path}: not an IDX file (magic number 0x{data[:4].hex()} does not start with 0x0000)"
        )
    code, ndim = data[2], data[3]
    if code not in IDX_DTYPES:
        raise ImageDataError(f"{path}: unknown IDX dtype code 0x{code:02x}")
    dtype = IDX_DTYPES[code]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ImageDataError(f"{path}: truncated IDX header ({len(data)} of {header} bytes)")
    shape = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) < expected:
        raise ImageDataError(
            f"{path}: truncated file ({len(data)} bytes, header {shape} promises {expected})"
        )
    if len(data) > expected:
        raise ImageDataError(
            f"{path}: {len(data) - expected} unexpected trailing bytes after the data for shape {shape}"
        )
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))  # a native-order, writable copy


def _existing(folder: Path, stem: str) -> Path | None:
    """``folder/stem`` or ``folder/stem.gz``, whichever exists first; also accepts ``.``-for-``-`` names."""
    variants = (stem, stem.replace("-idx", ".idx"))
    for variant in variants:
        for suffix in ("", ".gz"):
            candidate = folder / (variant + suffix)
            if candidate.is_file():
                return candidate
    return None


def find_idx_pairs(folder: str | Path) -> list[tuple[Path, Path | None]]:
    """The IDX image files in ``folder`` under their standard names, each with its label file.

    Looks for ``train-images-idx3-ubyte[.gz]`` then ``t10k-images-idx3-ubyte[.gz]`` (and
    ``train-labels-idx1-ubyte[.gz]`` etc.). Returns ``[(images_path, labels_path or None), ...]`` in that
    order; empty when there are none (or ``folder`` is not a folder).
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    pairs = []
    for split in _SPLITS:
        images = _existing(folder, f"{split}-images-idx3-ubyte")
        if images is not None:
            pairs.append((images, _existing(folder, f"{split}-labels-idx1-ubyte")))
    return pairs


def _labels_path_for(images: Path) -> Path | None:
    """The label file beside a given image file (``…images-idx3…`` → ``…labels-idx1…``)."""
    name = images.name
    for old, new in (("images-idx3", "labels-idx1"), ("images.idx3", "labels.idx1")):
        if old in name:
            stem = name.replace(old, new).removesuffix(".gz")
            return _existing(images.parent, stem)
    return None


def _read_pair(images_path: Path, labels_path: Path | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Images ``(N, H, W)`` and labels ``(N,)`` (or ``None``) of one split, checked against each other."""
    images = read_idx(images_path)
    if images.ndim != 3:
        raise ImageDataError(f"{images_path}: expected images of shape (N, H, W), got {images.shape}")
    if labels_path is None:
        return images, None
    labels = read_idx(labels_path)
    if labels.ndim != 1:
        raise ImageDataError(f"{labels_path}: expected labels of shape (N,), got {labels.shape}")
    if len(labels) != len(images):
        raise ImageDataError(
            f"{labels_path.name} has {len(labels)} labels but {images_path.name} has {len(images)} images"
            f" (in {images_path.parent})"
        )
    return images, labels


def load_image_dataset(folder_or_file: str | Path, kind: str = "mnist") -> ImageDataset:
    """Load MNIST or Fashion-MNIST from IDX files (or any data set from an ``.npz``).

    Args:
        folder_or_file: a folder holding the standard file names (all image files found are used: train
            then t10k, concatenated), one image IDX file (its label file is looked up beside it), or an
            ``.npz`` file (loaded by :func:`load_npz` as a generic data set; ``kind`` is not used).
        kind: ``"mnist"`` or ``"fashion"``: sets the name and class names.

    Returns:
        An :class:`ImageDataset` with images ``(N, 1, 28, 28)`` float32 in ``[0, 1]`` and labels ``(N,)``
        int64 (``None`` if any split lacks its label file).

    Raises:
        ImageDataError: no data found, a malformed file, or label and image counts that differ.
        ValueError: an unknown ``kind``.
    """
    if kind not in CLASS_NAMES:
        raise ValueError(f"unknown data set kind {kind!r}; expected one of {sorted(CLASS_NAMES)}")
    path = Path(folder_or_file).expanduser()
    if path.is_file() and path.suffix == ".npz":
        return load_npz(path)
    if path.is_file():
        pairs = [(path, _labels_path_for(path))]
    elif path.is_dir():
        pairs = find_idx_pairs(path)
        if not pairs:
            raise ImageDataError(
                f"{path}: no IDX image files found (expected train-images-idx3-ubyte[.gz]"
                " or t10k-images-idx3-ubyte[.gz])"
            )
    else:
        raise ImageDataError(f"{path}: no such file or folder")

    splits = [_read_pair(images, labels) for images, labels in pairs]
    shapes = {s[0].shape[1:] for s in splits}
    if len(shapes) > 1:
        raise ImageDataError(f"{path}: image files have different image sizes {sorted(shapes)}")
    images = np.concatenate([s[0] for s in splits])
    labels = None if any(s[1] is None for s in splits) else np.concatenate([s[1] for s in splits])
    return _make_dataset(
        images[:, None], labels, name=_DISPLAY_NAMES[kind], class_names=CLASS_NAMES[kind], source=path
    )


# --------------------------------------------------------------------------------------------- NPZ files

_IMAGE_KEYS = ("x", "images", "arr_0")
_LABEL_KEYS = ("y", "labels")
_CHANNEL_COUNTS = (1, 3, 4)


def _to_channels_first(array: np.ndarray, path: Path) -> np.ndarray:
    """``(N, H, W)``, ``(N, H, W, C)`` or ``(N, C, H, W)`` → ``(N, C, H, W)`` (C in 1, 3, 4).

    When both axis 1 and axis 3 could be channels, the smaller one is (a tie means channels-first).
    """
    if array.ndim == 3:
        return array[:, None]
    if array.ndim == 4:
        first, last = (array.shape[i] in _CHANNEL_COUNTS for i in (1, 3))
        if last and (not first or array.shape[3] < array.shape[1]):
            return array.transpose(0, 3, 1, 2)
        if first:
            return array
    raise ImageDataError(
        f"{path}: cannot interpret image array of shape {array.shape}"
        " (expected (N, H, W), (N, H, W, C) or (N, C, H, W) with C in 1, 3, 4)"
    )


def _to_unit_range(array: np.ndarray) -> np.ndarray:
    """Any numeric image array → float32 in ``[0, 1]``.

    Integers are divided by 255 (uint8 convention). Floats already in ``[0, 1]`` are kept; floats with
    negative values are taken as ``[-1, 1]``; floats above 1 as ``[0, 255]``. The result is clipped.
    """
    if array.dtype == np.bool_:
        return array.astype(np.float32)
    if np.issubdtype(array.dtype, np.integer):
        return np.clip(array.astype(np.float32) / 255.0, 0.0, 1.0)
    x = array.astype(np.float32)
    if x.size and float(x.min()) < 0.0:
        x = (x + 1.0) / 2.0
    elif x.size and float(x.max()) > 1.0:
        x = x / 255.0
    return np.clip(x, 0.0, 1.0)


def _first_key(keys: list[str], wanted: tuple[str, ...]) -> str | None:
    return next((k for k in wanted if k in keys), None)


def load_npz(
    path: str | Path, name: str | None = None, class_names: list[str] | None = None
) -> ImageDataset:
    """Load a generic ``.npz`` image data set.

    Args:
        path: the archive. Images under key ``x``, ``images`` or ``arr_0`` with shape ``(N, H, W)``,
            ``(N, H, W, C)`` or ``(N, C, H, W)``, uint8 (0..255) or float; optional integer labels ``(N,)``
            under ``y`` or ``labels``.
        name: display name (default: the file's stem).
        class_names: names of the classes (default: ``"0"``, ``"1"``, … up to the largest label).

    Returns:
        An :class:`ImageDataset` with images ``(N, C, H, W)`` float32 in ``[0, 1]``.

    Raises:
        ImageDataError: unreadable archive, no image key, bad shape, or a label count that differs.
    """
    path = Path(path).expanduser()
    try:
        with np.load(path, allow_pickle=False) as archive:
            keys = list(archive.files)
            image_key = _first_key(keys, _IMAGE_KEYS)
            if image_key is None:
                raise ImageDataError(
                    f"{path}: no image array (looked for keys {', '.join(_IMAGE_KEYS)}; found {keys})"
                )
            raw_images = archive[image_key]
            label_key = _first_key(keys, _LABEL_KEYS)
            raw_labels = archive[label_key] if label_key is not None else None
    except ImageDataError:
        raise
    except (OSError, ValueError, EOFError, zlib.error, zipfile.BadZipFile) as exc:
        raise ImageDataError(f"{path}: cannot read .npz archive ({type(exc).__name__}: {exc})") from exc

    if not (np.issubdtype(raw_images.dtype, np.number) or raw_images.dtype == np.bool_):
        raise ImageDataError(f"{path}: image array {image_key!r} has non-numeric dtype {raw_images.dtype}")
    images = _to_unit_range(_to_channels_first(raw_images, path))
    labels = None
    if raw_labels is not None:
        labels = raw_labels.reshape(-1) if raw_labels.ndim == 2 and raw_labels.shape[1] == 1 else raw_labels
        if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
            raise ImageDataError(
                f"{path}: labels {label_key!r} must be integers of shape (N,),"
                f" got {labels.dtype} {labels.shape}"
            )
        if len(labels) != len(images):
            raise ImageDataError(
                f"{path}: {len(labels)} labels ({label_key!r}) but {len(images)} images ({image_key!r})"
            )
    if class_names is None:
        count = int(labels.max()) + 1 if labels is not None and len(labels) else 0
        class_names = [str(k) for k in range(count)]
    return _make_dataset(images, labels, name=name or path.stem, class_names=class_names, source=path)


def _make_dataset(
    images: np.ndarray, labels: np.ndarray | None, name: str, class_names: list[str], source: Path
) -> ImageDataset:
    """Wrap ``(N, C, H, W)`` images (uint8 or already in ``[0, 1]``) and ``(N,)`` labels as tensors."""
    if images.dtype == np.uint8:
        images = images.astype(np.float32) / np.float32(255.0)
    tensor = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32))
    label_tensor = None if labels is None else torch.from_numpy(labels.astype(np.int64))
    if label_tensor is not None and len(label_tensor) and int(label_tensor.min()) < 0:
        raise ImageDataError(f"{source}: negative class labels")
    return ImageDataset(
        name=name,
        images=tensor,
        labels=label_tensor,
        class_names=list(class_names) if label_tensor is not None else [],
        source=str(source),
    )
