"""The image session's data side, without Qt: find and load a data set (or say why not), download MNIST with
progress, and keep the first images of a large set. Each function returns a data set or a frame."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from scoreviz.datasets.download import MNIST_FILES, MNIST_MIRRORS, DownloadCancelled, DownloadError, download_mnist
from scoreviz.datasets.idx import ImageDataError, ImageDataset, load_image_dataset
from scoreviz.datasets.locate import default_download_dir, find_dataset
from scoreviz.names import IMAGE_DATA

from scoreviz.lab.images import frames as fr


def _missing(kind: str, reason: str) -> fr.DataMissing:
    return fr.DataMissing(kind=kind, reason=reason, download_dir=str(default_download_dir(kind)),
                          can_download=kind == "mnist")


def load(kind: str = "mnist", folder: str | Path | None = None) -> ImageDataset | fr.DataMissing:
    """``kind`` (a key of names.IMAGE_DATA) from ``folder``, a folder or file the user picked (used as is: a bad
    one is reported naming it), else from the usual places; a DataMissing saying why when it cannot."""
    found = Path(folder).expanduser() if folder else find_dataset(kind)
    if found is None:
        return _missing(kind, f"{IMAGE_DATA.get(kind, kind)} not found in the usual places (or $SCOREVIZ_DATA)")
    try:
        return load_image_dataset(found, kind)
    except (ImageDataError, ValueError) as exc:
        return _missing(kind, str(exc))


def first(data: ImageDataset, max_images: int | None) -> ImageDataset:
    """The first ``max_images`` images of ``data`` (all of them when None)."""
    if not max_images or len(data) <= max_images:
        return data
    m = max_images
    return ImageDataset(data.name, data.images[:m], None if data.labels is None else data.labels[:m],
                        data.class_names, data.source)


def download(dest: str | Path | None, emit: Callable[[fr.DownloadProgress], None], *, mirrors=None, files=None,
             timeout: float = 30, cancelled: Callable[[], bool] | None = None) -> Path | None:
    """Download MNIST into ``dest`` (blocking; ``cancelled()`` is polled between chunks), reporting
    DownloadProgress to ``emit``, the last one ``finished``; the folder, or None when it failed."""
    dest = Path(dest or default_download_dir("mnist"))

    def progress(done, total, name):
        emit(fr.DownloadProgress(done=done, total=total, filename=name))

    try:
        download_mnist(dest, mirrors=mirrors or MNIST_MIRRORS, files=files or MNIST_FILES, progress=progress,
                       cancelled=cancelled, timeout=timeout)
    except (DownloadCancelled, DownloadError) as exc:
        text = "Download cancelled." if isinstance(exc, DownloadCancelled) else str(exc)
        emit(fr.DownloadProgress(done=0, total=0, filename="", finished=True, ok=False, text=text))
        return None
    emit(fr.DownloadProgress(done=1, total=1, filename="", finished=True, ok=True, text=f"Downloaded to {dest}"))
    return dest
