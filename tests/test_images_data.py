"""Image data: IDX and .npz reading, locating data sets, montages. Synthetic files plus real MNIST t10k."""

from __future__ import annotations

import gzip
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from scoreviz.datasets import idx, locate
from scoreviz.datasets import montage as grid
from scoreviz.datasets.idx import ImageDataError, load_image_dataset, load_npz, read_idx

REAL_MNIST = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnist"


def idx_bytes(array: np.ndarray, code: int | None = None) -> bytes:
    """Serialise ``array`` in the IDX format (big-endian), with its dtype's code unless ``code`` is given."""
    codes = {np.dtype(v).newbyteorder("="): k for k, v in idx.IDX_DTYPES.items()}
    code = codes[array.dtype] if code is None else code
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write(path: Path, data: bytes, gz: bool = False) -> Path:
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def fake_split(folder: Path, split: str, n: int, gz: bool, seed: int = 0, labels: bool = True):
    """Write ``{split}-images-idx3-ubyte[.gz]`` (n, 28, 28) uint8 and its labels; returns the arrays."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    ys = rng.integers(0, 10, size=n, dtype=np.uint8)
    suffix = ".gz" if gz else ""
    write(folder / f"{split}-images-idx3-ubyte{suffix}", idx_bytes(images), gz)
    if labels:
        write(folder / f"{split}-labels-idx1-ubyte{suffix}", idx_bytes(ys), gz)
    return images, ys


# ------------------------------------------------------------------------------------------- read_idx


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize(
    "array",
    [
        np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4),
        np.array([-3, 0, 7], dtype=np.int8),
        np.array([[-300, 2], [5, 30000]], dtype=np.int16),
        np.array([1, -2, 70000], dtype=np.int32),
        np.array([0.5, -1.25], dtype=np.float32),
        np.array([[1e-300, 3.0]], dtype=np.float64),
    ],
    ids=["u8", "i8", "i16", "i32", "f32", "f64"],
)
def test_read_idx_round_trip(tmp_path, array, gz):
    path = write(tmp_path / "data.idx", idx_bytes(array), gz)
    out = read_idx(path)
    assert out.shape == array.shape
    assert out.dtype == array.dtype and out.dtype.isnative
    np.testing.assert_array_equal(out, array)


def test_read_idx_detects_gzip_by_magic_not_suffix(tmp_path):
    array = np.arange(10, dtype=np.uint8)
    gz_without_suffix = write(tmp_path / "labels-idx1-ubyte", idx_bytes(array), gz=True)
    plain_with_gz_suffix = write(tmp_path / "labels-idx1-ubyte.gz", idx_bytes(array), gz=False)
    np.testing.assert_array_equal(read_idx(gz_without_suffix), array)
    np.testing.assert_array_equal(read_idx(plain_with_gz_suffix), array)


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda b: b"\x01\x02" + b[2:], "magic number"),
        (lambda b: b[:2] + b"\x07" + b[3:], "unknown IDX dtype code 0x07"),
        (lambda b: b[:-5], "truncated file"),
        (lambda b: b[:9], "truncated IDX header"),
        (lambda b: b[:3], "not an IDX file"),
        (lambda b: b + b"\x00\x00", "trailing bytes"),
    ],
    ids=["magic", "dtype", "truncated-data", "truncated-header", "tiny", "trailing"],
)
@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_rejects_malformed_files(tmp_path, mutate, message, gz):
    good = idx_bytes(np.zeros((4, 5, 6), dtype=np.uint8))
    path = write(tmp_path / "bad-images-idx3-ubyte", mutate(good), gz)
    with pytest.raises(ImageDataError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_read_idx_corrupt_gzip_and_missing_file(tmp_path):
    data = gzip.compress(idx_bytes(np.zeros((50, 28, 28), dtype=np.uint8)))
    path = write(tmp_path / "cut.gz", data[: len(data) // 2])
    with pytest.raises(ImageDataError, match="gzip") as info:
        read_idx(path)
    assert str(path) in str(info.value)
    missing = tmp_path / "nope.gz"
    with pytest.raises(ImageDataError, match="cannot read") as info:
        read_idx(missing)
    assert str(missing) in str(info.value)
    assert isinstance(info.value, ValueError)


# ----------------------------------------------------------------------------------- load_image_dataset


def test_load_image_dataset_concatenates_train_and_t10k(tmp_path):
    train, train_y = fake_split(tmp_path, "train", 7, gz=True, seed=1)
    test, test_y = fake_split(tmp_path, "t10k", 3, gz=False, seed=2)
    ds = load_image_dataset(tmp_path)
    assert ds.name == "MNIST" and ds.source == str(tmp_path) and len(ds) == 10
    assert ds.images.shape == (10, 1, 28, 28) and ds.images.dtype == torch.float32
    assert 0.0 <= ds.images.min() and ds.images.max() <= 1.0
    expected = np.concatenate([train, test])[:, None].astype(np.float32) / 255
    np.testing.assert_allclose(ds.images.numpy(), expected)
    assert ds.labels.dtype == torch.int64
    np.testing.assert_array_equal(ds.labels.numpy(), np.concatenate([train_y, test_y]))
    assert ds.class_names == [str(d) for d in range(10)] and ds.num_classes == 10


def test_load_image_dataset_single_file_fashion_and_missing_labels(tmp_path):
    fake_split(tmp_path, "t10k", 4, gz=True)
    ds = load_image_dataset(tmp_path / "t10k-images-idx3-ubyte.gz", kind="fashion")
    assert ds.name == "Fashion-MNIST" and ds.labels.shape == (4,)
    assert ds.class_names[0] == "T-shirt/top" and ds.class_names[9] == "Ankle boot"

    unlabelled = tmp_path / "unlabelled"
    unlabelled.mkdir()
    fake_split(unlabelled, "train", 5, gz=False, labels=False)
    ds = load_image_dataset(unlabelled)
    assert ds.labels is None and ds.class_names == [] and ds.num_classes == 0 and len(ds) == 5


def test_load_image_dataset_label_count_mismatch_names_both_files(tmp_path):
    fake_split(tmp_path, "train", 6, gz=True)
    write(tmp_path / "train-labels-idx1-ubyte.gz", idx_bytes(np.zeros(5, dtype=np.uint8)), gz=True)
    with pytest.raises(ImageDataError) as info:
        load_image_dataset(tmp_path)
    message = str(info.value)
    assert "train-labels-idx1-ubyte.gz" in message and "train-images-idx3-ubyte.gz" in message
    assert "5" in message and "6" in message


def test_load_image_dataset_errors(tmp_path):
    with pytest.raises(ImageDataError, match="no IDX image files"):
        load_image_dataset(tmp_path)
    with pytest.raises(ImageDataError, match="no such file"):
        load_image_dataset(tmp_path / "missing")
    with pytest.raises(ValueError, match="unknown data set kind"):
        load_image_dataset(tmp_path, kind="cifar")


def test_real_mnist_t10k():
    images_path = REAL_MNIST / "t10k-images-idx3-ubyte.gz"
    labels_path = REAL_MNIST / "t10k-labels-idx1-ubyte.gz"
    if not (images_path.is_file() and labels_path.is_file()):
        pytest.skip(f"real MNIST not present at {REAL_MNIST}")
    images = read_idx(images_path)
    assert images.shape == (10_000, 28, 28) and images.dtype == np.uint8
    labels = read_idx(labels_path)
    assert labels.shape == (10_000,) and labels.dtype == np.uint8
    assert set(np.unique(labels)) == set(range(10))
    assert labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]  # the well-known first test labels
    assert 30 < images.mean() < 40  # MNIST's mean intensity is about 33/255

    ds = load_image_dataset(REAL_MNIST)
    assert ds.images.shape == (10_000, 1, 28, 28) and ds.labels.shape == (10_000,)
    assert float(ds.images.max()) == 1.0 and float(ds.images.min()) == 0.0


# ------------------------------------------------------------------------------------------- load_npz


@pytest.mark.parametrize(
    "key, shape, transform",
    [
        ("x", (6, 8, 10), lambda a: a),
        ("images", (6, 8, 10, 1), lambda a: a[..., None]),
        ("arr_0", (6, 1, 8, 10), lambda a: a[:, None]),
    ],
)
def test_load_npz_shapes_uint8(tmp_path, key, shape, transform):
    base = np.random.default_rng(0).integers(0, 256, size=(6, 8, 10), dtype=np.uint8)
    path = tmp_path / "d.npz"
    np.savez(path, **{key: transform(base), "y": np.arange(6) % 3})
    ds = load_npz(path)
    assert ds.images.shape == (6, 1, 8, 10) and ds.images.dtype == torch.float32
    np.testing.assert_allclose(ds.images[:, 0].numpy(), base / 255, atol=1e-7)
    assert ds.labels.tolist() == [0, 1, 2, 0, 1, 2] and ds.class_names == ["0", "1", "2"]
    assert ds.name == "d" and ds.source == str(path)


def test_load_npz_float_ranges_and_rgb(tmp_path):
    unit = np.random.default_rng(1).random((3, 4, 4, 3)).astype(np.float32)  # NHWC RGB in [0, 1]
    np.savez(tmp_path / "unit.npz", images=unit)
    ds = load_npz(tmp_path / "unit.npz")  # axis 1 (4) could be RGBA too: the smaller axis is channels
    assert ds.images.shape == (3, 3, 4, 4) and ds.labels is None and ds.class_names == []
    np.testing.assert_allclose(ds.images.numpy(), unit.transpose(0, 3, 1, 2))

    np.savez(tmp_path / "signed.npz", x=unit * 2 - 1)  # [-1, 1]
    np.savez(tmp_path / "byte_range.npz", x=unit * 255)  # floats in [0, 255]
    for name in ("signed.npz", "byte_range.npz"):
        np.testing.assert_allclose(load_npz(tmp_path / name).images.numpy(), ds.images.numpy(), atol=1e-6)

    ds = load_image_dataset(tmp_path / "unit.npz", kind="fashion")  # dispatch by suffix: a generic set
    assert ds.name == "unit" and ds.images.shape == (3, 3, 4, 4)


def test_load_npz_errors(tmp_path):
    np.savez(tmp_path / "nokey.npz", pixels=np.zeros((2, 4, 4)))
    with pytest.raises(ImageDataError, match="no image array.*pixels"):
        load_npz(tmp_path / "nokey.npz")
    np.savez(tmp_path / "count.npz", x=np.zeros((3, 4, 4), np.uint8), labels=np.zeros(2, np.int64))
    with pytest.raises(ImageDataError, match="2 labels.*3 images"):
        load_npz(tmp_path / "count.npz")
    np.savez(tmp_path / "shape.npz", x=np.zeros((3, 4)))
    with pytest.raises(ImageDataError, match="cannot interpret"):
        load_npz(tmp_path / "shape.npz")
    (tmp_path / "junk.npz").write_bytes(b"this is not a zip file")
    with pytest.raises(ImageDataError, match="junk.npz"):
        load_npz(tmp_path / "junk.npz")


# --------------------------------------------------------------------------------------------- locate


@pytest.fixture
def isolated_home(tmp_path, monkeypatch):
    """HOME, cwd and the fixed system locations all point into tmp_path; no $SCOREVIZ_DATA."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv(locate.DATA_ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(locate, "REPO_SHARED_MNIST_DIR", tmp_path / "shared" / "data" / "mnist")
    monkeypatch.setattr(locate, "DEBIAN_FASHION_MNIST_DIR", tmp_path / "usr-share" / "fashion-mnist")
    return home


def test_find_dataset_order(tmp_path, monkeypatch, isolated_home):
    assert locate.find_dataset("mnist") is None
    assert locate.find_dataset("fashion") is None

    places = {
        "shared": locate.REPO_SHARED_MNIST_DIR,
        "home_data": isolated_home / "data" / "MNIST" / "raw",
        "cwd_data": tmp_path / "data" / "MNIST" / "raw",
        "cache": isolated_home / ".cache" / "scoreviz" / "mnist",
        "env_raw": tmp_path / "env" / "MNIST" / "raw",
        "env_mnist": tmp_path / "env" / "mnist",
        "env": tmp_path / "env",
        "user": tmp_path / "picked",
    }
    monkeypatch.setenv(locate.DATA_ENV_VAR, str(tmp_path / "env"))
    assert locate.default_download_dir() == places["cache"]
    # Add the candidates from the last to the first; each new one must win.
    for name, folder in places.items():
        folder.mkdir(parents=True, exist_ok=True)
        fake_split(folder, "t10k", 2, gz=True)
        user_dir = places["user"] if name == "user" else None
        assert locate.find_dataset("mnist", user_dir=user_dir) == folder, name


def test_find_dataset_fashion_and_user_file(tmp_path, isolated_home):
    debian = locate.DEBIAN_FASHION_MNIST_DIR
    debian.mkdir(parents=True)
    fake_split(debian, "train", 2, gz=True)
    assert locate.find_dataset("fashion") == debian
    assert locate.find_dataset("mnist") is None  # fashion files are not MNIST's
    npz = tmp_path / "mine.npz"
    np.savez(npz, x=np.zeros((1, 28, 28), np.uint8))
    assert locate.find_dataset("mnist", user_dir=npz) == npz
    with pytest.raises(ValueError, match="unknown data set"):
        locate.find_dataset("cifar")


def test_debian_fashion_location_is_the_packaged_one():
    assert locate.DEBIAN_FASHION_MNIST_DIR == Path("/usr/share/datasets/fashion-mnist")
    if not (locate.DEBIAN_FASHION_MNIST_DIR / "t10k-images-idx3-ubyte.gz").is_file():
        pytest.skip("dataset-fashion-mnist is not installed")
    images = read_idx(locate.DEBIAN_FASHION_MNIST_DIR / "t10k-images-idx3-ubyte.gz")
    assert images.shape == (10_000, 28, 28)


# ----------------------------------------------------------------------------------------------- grid


def test_make_grid_layout():
    images = torch.stack([torch.full((1, 3, 2), (k + 1) / 10) for k in range(5)])  # (5, 1, 3, 2)
    out = grid.make_grid(images, nrow=2, pad=1, pad_value=0.0)
    assert out.dtype == np.float32 and out.shape == (3 * (3 + 1) + 1, 2 * (2 + 1) + 1)
    for k in range(5):
        r, c = divmod(k, 2)
        tile = out[1 + r * 4 : 1 + r * 4 + 3, 1 + c * 3 : 1 + c * 3 + 2]
        np.testing.assert_allclose(tile, (k + 1) / 10)
    assert out[9:12, 4:6].max() == 0.0  # the empty sixth slot is padding
    assert out[0].max() == 0.0 and out[:, 0].max() == 0.0


def test_make_grid_inputs_and_png(tmp_path):
    x = np.random.default_rng(0).random((3, 1, 28, 28)).astype(np.float64) * 1.4 - 0.2
    out = grid.make_grid(x, nrow=8)
    assert out.shape == (28 + 4, 3 * 30 + 2)  # cols = min(nrow, N)
    assert 0.0 <= out.min() and out.max() <= 1.0
    np.testing.assert_array_equal(grid.make_grid(x[:, 0]), out)  # (N, H, W) accepted
    assert grid.make_grid(torch.rand(4, 3, 5, 5, requires_grad=True), nrow=2).shape == (16, 16, 3)
    with pytest.raises(ValueError):
        grid.make_grid(np.zeros((0, 1, 4, 4)))

    path = grid.save_grid_png(torch.from_numpy(x).float(), tmp_path / "g.png", nrow=2)
    with Image.open(path) as img:
        assert img.mode == "L" and img.size == (2 * 30 + 2, 2 * 30 + 2)
        pixels = np.asarray(img)
    np.testing.assert_array_equal(pixels, np.round(grid.make_grid(x, nrow=2) * 255).astype(np.uint8))


# --------------------------------------------------------------------------------------------- no Qt


def test_images_package_is_qt_free():
    code = (
        "import sys, scoreviz.datasets, scoreviz.datasets.idx, scoreviz.datasets.locate, scoreviz.datasets.download,"
        " scoreviz.core.networks.unet, scoreviz.datasets.montage\n"
        "qt = ('PySide6', 'PyQt5', 'PyQt6', 'shiboken6', 'pyqtgraph')\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in qt)\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
