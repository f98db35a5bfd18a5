"""A user-started, cancellable, checksum-verified download of the four MNIST (or Fashion-MNIST) files.

Qt-free and blocking: the GUI runs :func:`download_mnist` in a worker thread, passes a ``progress``
callback and a ``cancelled`` poll. Each file is streamed into ``<name>.part`` and only renamed to its final
name (``os.replace``) once its MD5 matches; on cancel, error or mismatch the ``.part`` file is deleted, so
the destination never holds a half-written or unverified file.
"""

from __future__ import annotations

import hashlib
import os
import socket
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

__all__ = [
    "FASHION_MNIST_FILES",
    "FASHION_MNIST_MIRRORS",
    "MNIST_FILES",
    "MNIST_MIRRORS",
    "DownloadCancelled",
    "DownloadError",
    "download_mnist",
    "md5_of_file",
]

#: Mirrors tried in order; each holds the four files under their published names.
MNIST_MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)

#: Published file name -> published MD5.
MNIST_FILES: Mapping[str, str] = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}

#: Fashion-MNIST (Zalando Research, MIT licence): the same four names, its own published MD5s (as torchvision
#: and the project's own README list them). Pass ``files=FASHION_MNIST_FILES, mirrors=FASHION_MNIST_MIRRORS``.
FASHION_MNIST_MIRRORS: tuple[str, ...] = (
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",   # plain HTTP: the MD5 check still applies
)

FASHION_MNIST_FILES: Mapping[str, str] = {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}

ProgressCallback = Callable[[int, int, str], None]
"""``progress(done_bytes, total_bytes, filename)``: bytes of the current file so far and its size
(``0`` when the server does not say). Called at least once per file, last with ``done == total``."""

_CHUNK = 64 * 1024
_USER_AGENT = "scoreviz (data set download)"


class DownloadError(RuntimeError):
    """A file could not be fetched from any mirror, or failed its checksum everywhere."""


class DownloadCancelled(Exception):
    """The ``cancelled`` callback returned True; no partial file was left behind."""


def md5_of_file(path: str | Path, chunk_size: int = 1 << 20) -> str:
    """Hex MD5 of a file, read in chunks."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        while chunk := f.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def _fetch(
    url: str,
    part: Path,
    name: str,
    progress: ProgressCallback,
    cancelled: Callable[[], bool],
    timeout: float,
    chunk_size: int,
) -> str:
    """Stream ``url`` into ``part``; returns the hex MD5 of what was written.

    Raises ``DownloadCancelled``, ``urllib.error.URLError``, ``OSError`` (incl. timeouts) or ``ValueError``
    (a malformed URL). The caller deletes ``part`` on any failure.
    """
    digest = hashlib.md5(usedforsecurity=False)
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout) as response, open(part, "wb") as out:
        total = int(response.headers.get("Content-Length") or 0)
        done = 0
        progress(done, total, name)
        while True:
            if cancelled():
                raise DownloadCancelled(f"download of {name} cancelled")
            chunk = response.read(chunk_size)
            if not chunk:
                break
            out.write(chunk)
            digest.update(chunk)
            done += len(chunk)
            progress(done, max(total, done), name)
    if total and done != total:
        raise OSError(f"connection closed after {done} of {total} bytes")
    return digest.hexdigest()


def _describe(exc: BaseException) -> str:
    """A short reason for one failed attempt."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return f"cannot connect ({exc.reason})"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "timed out"
    return str(exc) or type(exc).__name__


def _download_one(
    name: str,
    md5: str,
    dest: Path,
    mirrors: Sequence[str],
    progress: ProgressCallback,
    cancelled: Callable[[], bool],
    timeout: float,
    chunk_size: int,
) -> None:
    """Fetch ``name`` from the first mirror that serves it with the right MD5 into ``dest/name``."""
    final, part = dest / name, dest / (name + ".part")
    failures = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + name
        try:
            got = _fetch(url, part, name, progress, cancelled, timeout, chunk_size)
            if got != md5:
                failures.append(f"{url}: checksum mismatch (md5 {got}, expected {md5})")
                continue
            os.replace(part, final)
            return
        except urllib.error.HTTPError as exc:
            exc.close()  # releases the error response's socket
            failures.append(f"{url}: {_describe(exc)}")
        except (urllib.error.URLError, OSError, ValueError) as exc:
            failures.append(f"{url}: {_describe(exc)}")
        finally:
            part.unlink(missing_ok=True)
    raise DownloadError(f"could not download {name}: " + "; ".join(failures or ["no mirrors given"]))


def download_mnist(
    dest_dir: str | Path,
    mirrors: Sequence[str] = MNIST_MIRRORS,
    progress: ProgressCallback | None = None,
    cancelled: Callable[[], bool] | None = None,
    timeout: float = 30,
    files: Mapping[str, str] = MNIST_FILES,
    chunk_size: int = _CHUNK,
) -> Path:
    """Download and verify the MNIST files into ``dest_dir`` (created if needed).

    Files already present with the right MD5 are kept and not downloaded again.

    Args:
        dest_dir: target folder, e.g. :func:`scoreviz.datasets.locate.default_download_dir`.
        mirrors: base URLs tried in order for each file (a failed or mismatching mirror → the next one).
        progress: ``progress(done_bytes, total_bytes, filename)``, per file, ``done`` non-decreasing.
        cancelled: polled between chunks; returning True stops the download.
        timeout: seconds for connecting and for each read.
        files: ``{file name: hex MD5}`` to fetch (default: the four published MNIST files).
        chunk_size: bytes read per chunk.

    Returns:
        ``dest_dir`` as a ``Path``.

    Raises:
        DownloadCancelled: ``cancelled()`` returned True (the current ``.part`` file is deleted).
        DownloadError: a file failed on every mirror; the message lists each attempt's reason.
    """
    dest = Path(dest_dir).expanduser()
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(f"cannot create folder {dest}: {exc.strerror or exc}") from exc
    report = progress or (lambda done, total, name: None)
    is_cancelled = cancelled or (lambda: False)
    for name, md5 in files.items():
        if is_cancelled():
            raise DownloadCancelled(f"download of {name} cancelled")
        existing = dest / name
        if existing.is_file() and md5_of_file(existing) == md5.lower():
            size = existing.stat().st_size
            report(size, size, name)
            continue
        _download_one(name, md5.lower(), dest, mirrors, report, is_cancelled, timeout, chunk_size)
    return dest
