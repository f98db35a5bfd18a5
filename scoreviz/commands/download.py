"""`scoreviz download mnist | fashion-mnist [--dir DIR]`: the checksum-verified downloader of
`scoreviz.datasets.download` with a progress bar per file (tqdm, on stderr).

By default the files go where scoreviz looks without being told (`default_download_dir`), so the next
`scoreviz train --data mnist` or the window's image mode finds them at once.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from scoreviz.datasets.download import (FASHION_MNIST_FILES, FASHION_MNIST_MIRRORS, MNIST_FILES, MNIST_MIRRORS,
                                        download_mnist)
from scoreviz.datasets.locate import candidate_dirs, default_download_dir


@dataclass(frozen=True)
class Source:
    title: str
    name: str                   # the data layer's name ("mnist", "fashion")
    files: dict                 # file name → published MD5
    mirrors: tuple[str, ...]


DATASETS = {
    "mnist": Source("MNIST", "mnist", dict(MNIST_FILES), MNIST_MIRRORS),
    "fashion-mnist": Source("Fashion-MNIST", "fashion", dict(FASHION_MNIST_FILES), FASHION_MNIST_MIRRORS),
}


class _Bars:
    """One tqdm bar per file: bytes, rate and time left; closed when the next file starts."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.bar = None
        self.name = None

    def __call__(self, done: int, total: int, name: str) -> None:
        from tqdm import tqdm

        if name != self.name:
            self.close()
            self.name = name
            self.bar = tqdm(total=total or None, desc=name, unit="B", unit_scale=True, unit_divisor=1024,
                            file=sys.stderr, disable=self.quiet, dynamic_ncols=True, mininterval=0.2)
        if total and self.bar.total != total:
            self.bar.total = total
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def download(args) -> None:
    source = DATASETS[args.dataset]
    dest = Path(args.dir).expanduser() if args.dir else default_download_dir(source.name)
    mirrors = tuple(args.mirror or ()) + tuple(source.mirrors)
    bars = _Bars(args.quiet)
    try:
        download_mnist(dest, mirrors=mirrors, files=source.files, progress=bars, timeout=args.timeout)
    finally:
        bars.close()
    print(f"{source.title}: {len(source.files)} files in {dest}, checksums verified", file=sys.stderr)
    if dest.resolve() not in {d.resolve() for d in candidate_dirs(source.name)}:
        print(f"  scoreviz does not look there by itself: use --data {source.name}:{dest} or SCOREVIZ_DATA={dest}",
              file=sys.stderr)
