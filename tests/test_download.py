"""download_mnist against a real HTTP server on 127.0.0.1 serving small fake gzipped IDX files."""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path

import numpy as np
import pytest

from local_server import bypass_proxies, idx_gz, serve
from scoreviz.datasets.download import DownloadCancelled, DownloadError, download_mnist
from scoreviz.datasets.idx import read_idx

NAMES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch):
    bypass_proxies(monkeypatch)


@pytest.fixture
def requested():
    """The paths the test's server was asked for, in order."""
    return []


@pytest.fixture
def site(tmp_path, requested):
    """A server with ``/good/`` (the files), ``/bad/`` (other content), ``/empty/`` (404), ``/big/``.

    Yields ``(base_url, files)`` where ``files`` maps each name in NAMES to ``(bytes, md5)``.
    """
    root = tmp_path / "www"
    rng = np.random.default_rng(0)
    contents = {
        NAMES[0]: idx_gz(rng.integers(0, 256, size=(20, 28, 28))),
        NAMES[1]: idx_gz(rng.integers(0, 10, size=20)),
    }
    for sub in ("good", "bad", "empty", "big", "slow"):
        (root / sub).mkdir(parents=True)
    for name, data in contents.items():
        (root / "good" / name).write_bytes(data)
        (root / "slow" / name).write_bytes(data)
        (root / "bad" / name).write_bytes(data[:-1] + bytes([data[-1] ^ 0xFF]))
    (root / "big" / "big.bin").write_bytes(rng.integers(0, 256, size=256 * 1024, dtype=np.uint8).tobytes())

    with serve(root, requested) as base:
        yield base, {name: (data, hashlib.md5(data).hexdigest()) for name, data in contents.items()}


def _checksums(files):
    return {name: md5 for name, (_, md5) in files.items()}


def _leftovers(dest: Path) -> list[str]:
    return sorted(p.name for p in dest.iterdir()) if dest.exists() else []


def test_success_progress_and_files(site, tmp_path):
    base, files = site
    dest = tmp_path / "out" / "mnist"
    calls = []
    result = download_mnist(
        dest, mirrors=[base + "good/"], files=_checksums(files), chunk_size=1024,
        progress=lambda done, total, name: calls.append((name, done, total)), timeout=5,
    )
    assert result == dest
    assert _leftovers(dest) == sorted(NAMES)
    for name, (data, _) in files.items():
        assert (dest / name).read_bytes() == data
        mine = [(done, total) for n, done, total in calls if n == name]
        assert len(mine) >= 2
        dones = [done for done, _ in mine]
        assert dones == sorted(dones) and dones[0] == 0
        assert mine[-1] == (len(data), len(data))
        assert all(total == len(data) for _, total in mine)
    assert read_idx(dest / NAMES[0]).shape == (20, 28, 28)

    # Already there and verified: nothing is fetched (the mirror is unreachable now).
    calls.clear()
    download_mnist(dest, [base + "empty/"], files=_checksums(files), progress=lambda *a: calls.append(a))
    assert [c[2] for c in calls] == list(NAMES)


def test_bad_checksum_leaves_nothing(site, tmp_path):
    base, files = site
    dest = tmp_path / "dest"
    with pytest.raises(DownloadError, match="checksum mismatch") as info:
        download_mnist(dest, mirrors=[base + "bad/"], files=_checksums(files), timeout=5)
    assert NAMES[0] in str(info.value)
    assert _leftovers(dest) == []


def test_first_mirror_404_then_second(site, tmp_path):
    base, files = site
    dest = tmp_path / "dest"
    mirrors = [base + "empty/", base + "bad", base + "good/"]  # 404, wrong checksum (no slash), good
    download_mnist(dest, mirrors, files=_checksums(files), timeout=5)
    assert _leftovers(dest) == sorted(NAMES)
    for name, (data, _) in files.items():
        assert (dest / name).read_bytes() == data


def test_all_mirrors_fail_lists_reasons(site, tmp_path):
    base, files = site
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/"
    dest = tmp_path / "dest"
    with pytest.raises(DownloadError) as info:
        download_mnist(dest, mirrors=[dead, base + "empty/"], files=_checksums(files), timeout=5)
    message = str(info.value)
    assert "cannot connect" in message and "HTTP 404" in message and "\n" not in message
    assert _leftovers(dest) == []


def test_timeout_is_an_error_and_next_mirror_is_tried(site, requested, tmp_path):
    base, files = site
    dest = tmp_path / "dest"
    only_labels = {NAMES[1]: files[NAMES[1]][1]}
    download_mnist(dest, mirrors=[base + "slow/", base + "good/"], files=only_labels, timeout=0.3)
    # the slow mirror answers after 1.5 s: a 0.3 s timeout gives up on it and takes the file from the next one
    assert requested == ["/slow/" + NAMES[1], "/good/" + NAMES[1]]
    assert _leftovers(dest) == [NAMES[1]]
    with pytest.raises(DownloadError, match="timed out"):
        download_mnist(tmp_path / "other", mirrors=[base + "slow/"], files=only_labels, timeout=0.3)


def test_cancel_midway_leaves_no_part_file(site, tmp_path):
    base, _ = site
    data = (tmp_path / "www" / "big" / "big.bin").read_bytes()
    dest = tmp_path / "dest"
    seen = []

    def progress(done, total, name):
        seen.append(done)
        if done > 0:
            assert (dest / "big.bin.part").exists()  # really mid-way, writing the .part file

    with pytest.raises(DownloadCancelled):
        download_mnist(
            dest, mirrors=[base + "big/"], files={"big.bin": hashlib.md5(data).hexdigest()},
            chunk_size=4096, progress=progress, cancelled=lambda: len(seen) > 3, timeout=5,
        )
    assert 0 < seen[-1] < len(data)
    assert _leftovers(dest) == []


def test_cancel_before_start(site, tmp_path):
    base, files = site
    with pytest.raises(DownloadCancelled):
        download_mnist(tmp_path / "d", [base + "good/"], files=_checksums(files), cancelled=lambda: True)
    assert _leftovers(tmp_path / "d") == []
