"""Data sets: the toy presets, point files (.npy / .csv), density images (.png) and painted densities.

A ``Dataset`` holds the training points, an independent held-out draw for evaluation, and, where it is known,
the exact distribution: a ``GaussianMixture`` (mixture presets) or a ``DensityGrid`` (images, paintings).
``exact_score`` / ``exact_log_density`` give ∇ log / log of p_data convolved with N(0, σ²I):
closed form for a mixture (each component's covariance gains σ²I), the exact blurred grid for a density, and
otherwise the training set itself ("ideal denoiser", a mixture of N Gaussians N(yⱼ, σ²I)).

Every user-facing failure is a ``DataError``: one line that names the file or preset.
"""
from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import Tensor

from scoreviz.core import toy_shapes as shapes
from scoreviz.core.density_grid import DensityGrid
from scoreviz.core.exact import pointset_log_prob, pointset_score
from scoreviz.core.mixture import GaussianMixture

DEFAULT_BOUNDS = (-4.0, 4.0, -4.0, 4.0)
MAX_IMAGE_SIDE = 128  # larger images are downsampled (box filter) to keep the exact grid fast
MIN_POINTS_FOR_SPLIT = 50  # smaller point files use the training set itself as the held-out set
HELDOUT_FRACTION = 0.2
FILE_TYPES = (".npy", ".csv", ".png")
MAX_DIM = 8  # points have D = 1 … MAX_DIM coordinates (presets, .npy / .csv files, painted data)


class DataError(ValueError):
    """A clear, one-line, user-facing message (names the file / preset)."""


# ----- the data set -------------------------------------------------------------------------------------------
def tensor_fingerprint(tensor: Tensor, *tags) -> str:
    """Short sha256 hex (16 digits) of the tags, the shape and the bytes of a CPU tensor."""
    h = hashlib.sha256("".join(f"{t}|" for t in (*tags, tuple(tensor.shape))).encode())
    h.update(tensor.numpy().tobytes())
    return h.hexdigest()[:16]


@dataclass(frozen=True, eq=False)
class Dataset:
    """Training points train (N, D) and held-out points heldout (M, D), float32, 1 ≤ D ≤ MAX_DIM (8).

    ``mixture`` (exact parameters of a mixture preset, also its "modes") or ``grid`` (a density image or a
    painting) describe the true distribution when it is known; with neither, the training set is the data.
    """

    name: str
    train: Tensor
    heldout: Tensor
    mixture: GaussianMixture | None = None
    grid: DensityGrid | None = None

    def __post_init__(self):
        object.__setattr__(self, "train", _as_points(self.train, self.name))
        object.__setattr__(self, "heldout", _as_points(self.heldout, f"{self.name} (held-out)"))
        if self.heldout.shape[1] != self.train.shape[1]:
            raise DataError(f"{self.name}: train and held-out points differ in dimension")
        if self.mixture is not None and self.mixture.dim != self.dim:
            raise DataError(f"{self.name}: the mixture is {self.mixture.dim}-D but the points are {self.dim}-D")
        if self.grid is not None and self.dim != 2:
            raise DataError(f"{self.name}: a density grid needs 2-D points")

    @property
    def dim(self) -> int:
        return int(self.train.shape[1])

    def bounds(self, margin: float = 0.15) -> tuple[np.ndarray, np.ndarray]:
        """Display box of the data (`display_bounds`)."""
        return display_bounds(self.train.double().numpy(), margin, self.grid.bounds if self.grid is not None else None)

    def exact_score(self, x: Tensor, sigma: float) -> Tensor:
        """∇ₓ log (p_data ∗ N(0, σ²I))(x) (N, D) for x (N, D), dtype of x; finite for σ ≥ 1e-4.

        Mixture → closed form (covariances Σₖ + σ²I); grid → ``DensityGrid.score``; otherwise the point set
        ``train`` (``exact.pointset_score``, Tweedie: (E[y|x] − x)/σ²).
        """
        return self._exact(x, sigma, "score")

    def exact_log_density(self, x: Tensor, sigma: float) -> Tensor:
        """log (p_data ∗ N(0, σ²I))(x) (N,) for x (N, D), normalised, dtype of x; the same three cases."""
        return self._exact(x, sigma, "log")

    def _exact(self, x: Tensor, sigma: float, what: str) -> Tensor:
        if x.ndim != 2 or x.shape[1] != self.dim:
            raise ValueError(f"{self.name}: expected query points (N, {self.dim}), got {tuple(x.shape)}")
        sigma = float(sigma)
        q = x.detach().to(torch.float64)  # float64 inside: scores grow like 1/σ² at small σ
        if self.mixture is not None:
            out = self.mixture.score(q, sigma) if what == "score" else self.mixture.log_prob(q, sigma)
        elif self.grid is not None:
            out = self.grid.score(q, sigma) if what == "score" else self.grid.log_density(q, sigma)
        else:
            fn = pointset_score if what == "score" else pointset_log_prob
            out = fn(q, self.train, sigma)
        return out.to(x.dtype)

    def fingerprint(self) -> str:
        """Short sha256 hex (16 digits) of the name, the shape and the bytes of ``train``."""
        return tensor_fingerprint(self.train, self.name)

    def with_train(self, train) -> Dataset:
        """A copy whose training points are ``train`` (e.g. the user painted points). The old exact
        distribution no longer applies, so ``mixture`` and ``grid`` are dropped, and the held-out set is the
        new training set itself (``metrics.quality_report`` then splits it in halves for its floor)."""
        pts = _as_points(train, self.name)
        if pts.shape[1] != self.dim:
            raise DataError(f"{self.name}: new points are {pts.shape[1]}-D but the data set is {self.dim}-D")
        return replace(self, train=pts, heldout=pts, mixture=None, grid=None)


def display_bounds(points: np.ndarray, margin: float = 0.15, grid_bounds=None) -> tuple[np.ndarray, np.ndarray]:
    """Display box (lo (D,), hi (D,)) float64 of points (N, D): their extent widened by ``margin`` of its span per
    axis (a zero span counts as 1); a density grid's own bounds (xmin, xmax, ymin, ymax), as given, when there is
    one (painted/PNG data). The window's NumPy specs and the core's datasets share it."""
    if grid_bounds is not None:
        xmin, xmax, ymin, ymax = grid_bounds
        return np.array([xmin, ymin], dtype=np.float64), np.array([xmax, ymax], dtype=np.float64)
    pts = np.asarray(points, dtype=np.float64)
    lo, hi = pts.min(0), pts.max(0)
    span = np.where(hi > lo, hi - lo, 1.0)
    return lo - margin * span, hi + margin * span


def _as_points(points, where: str) -> Tensor:
    """Validate a point set and return it as a contiguous float32 CPU tensor (N, D).

    A 1-D array of N numbers is read as N points in 1-D. Raises DataError naming ``where``.
    """
    if isinstance(points, Tensor):
        arr = points.detach().cpu().numpy()
    else:
        arr = np.asarray(points)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise DataError(f"{where}: expected numbers, got data of type {arr.dtype}")
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or not 1 <= arr.shape[1] <= MAX_DIM:
        hint = " (one point per row: is it transposed?)" if arr.ndim == 2 and 1 <= arr.shape[0] <= MAX_DIM else ""
        raise DataError(f"{where}: expected an N×D array of points with D from 1 to {MAX_DIM}, got shape "
                        f"{arr.shape}{hint}")
    if arr.shape[0] == 0:
        raise DataError(f"{where}: the canvas is empty (no points)")
    arr = arr.astype(np.float32)
    bad = ~np.isfinite(arr).all(1)
    if bad.any():
        raise DataError(f"{where}: {int(bad.sum())} of {arr.shape[0]} points have non-finite values (NaN or inf)")
    return torch.from_numpy(np.ascontiguousarray(arr))


# ----- seeds ---------------------------------------------------------------------------------------------------
def _generator(seed: int, *stream: str) -> torch.Generator:
    """A torch.Generator for (seed, stream names): independent, reproducible streams (train / heldout / split)."""
    digest = hashlib.sha256(f"{int(seed)}|{'|'.join(stream)}".encode()).digest()
    return torch.Generator().manual_seed(int.from_bytes(digest[:8], "little") & ((1 << 63) - 1))


# ----- preset factories ----------------------------------------------------------------------------------------
def _sampled(sampler: Callable[[int, torch.Generator], Tensor]):
    def factory(name: str, n_train: int, n_heldout: int, seed: int) -> Dataset:
        draw = lambda n, stream: sampler(n, _generator(seed, name, stream)).to(torch.float32)  # noqa: E731
        return Dataset(name, draw(n_train, "train"), draw(n_heldout, "heldout"))

    return factory


def _from_mixture(build: Callable[[], GaussianMixture]):
    def factory(name: str, n_train: int, n_heldout: int, seed: int) -> Dataset:
        mix = build()
        draw = lambda n, stream: mix.sample(n, _generator(seed, name, stream)).to(torch.float32)  # noqa: E731
        return Dataset(name, draw(n_train, "train"), draw(n_heldout, "heldout"), mixture=mix)

    return factory


def _from_grid(build: Callable[[], DensityGrid]):
    def factory(name: str, n_train: int, n_heldout: int, seed: int) -> Dataset:
        return _grid_dataset(build(), n_train, n_heldout, seed, name)

    return factory


# name -> (factory(name, n_train, n_heldout, seed) -> Dataset, one-line description)
_PRESETS: dict[str, tuple[Callable[..., Dataset], str]] = {
    "moons": (_sampled(shapes.moons), "two interleaved half circles"),
    "rings": (_sampled(shapes.rings), "three concentric rings"),
    "8gaussians": (_from_mixture(shapes.circle_of_gaussians), "8 Gaussians on a circle of radius 3 (exact mixture)"),
    "25gaussians": (_from_mixture(shapes.grid_of_gaussians), "25 Gaussians on a 5×5 grid (exact mixture)"),
    "swissroll": (_sampled(shapes.swissroll), "a 2-D swiss roll"),
    "spirals": (_sampled(shapes.spirals), "two interleaved spirals"),
    "checkerboard": (_sampled(shapes.checkerboard), "uniform on a checkerboard"),
    "pinwheel": (_sampled(shapes.pinwheel), "five curved blades"),
    "bimodal1d": (_from_mixture(shapes.bimodal1d), "1-D: 0.3·N(−2, 0.5²) + 0.7·N(1.5, 0.7²) (exact mixture)"),
    "ncsn": (_from_mixture(shapes.ncsn), "NCSN toy: 0.8·N((5,5), I) + 0.2·N((−5,−5), I) (exact mixture)"),
    "gaussian": (_from_mixture(shapes.gaussian), "one Gaussian N((1, −0.5), diag(1, 0.36)) (exact)"),
    "gaussian3d": (_from_mixture(shapes.gaussian3d), "one 3-D Gaussian (exact)"),
    "helix3d": (_sampled(shapes.helix3d), "a noisy 3-D helix"),
    "swissroll3d": (_sampled(shapes.swissroll3d), "a 3-D swiss roll (sklearn's make_swiss_roll, height 6)"),
    "mixture3d": (_from_mixture(shapes.mixture3d), "3-D: three Gaussians weighted 0.5 / 0.3 / 0.2 (exact mixture)"),
    "mixture5d": (_from_mixture(shapes.mixture5d), "5-D: four Gaussians 0.4 / 0.3 / 0.2 / 0.1, 6 std apart, "
                                                   "no axis pair shows them (exact mixture)"),
    "mixture8d": (_from_mixture(shapes.mixture8d), "8-D: four Gaussians 0.4 / 0.3 / 0.2 / 0.1, 6 std apart, "
                                                   "no axis pair shows them (exact mixture)"),
    "smiley": (_from_grid(shapes.smiley), "a painted smiley face (exact density grid)"),
}

PRESETS: dict[str, Callable[..., Dataset]] = {
    name: (lambda n_train=4000, n_heldout=4000, seed=0, _name=name: make_preset(_name, n_train, n_heldout, seed))
    for name in _PRESETS
}
PRESET_DESCRIPTIONS: dict[str, str] = {name: desc for name, (_, desc) in _PRESETS.items()}


def preset_names() -> list[str]:
    return list(_PRESETS)


def preset_dim(name: str) -> int:
    """The dimension D of the preset ``name`` (builds a one-point draw of it)."""
    return make_preset(name, 1, 1).dim


def make_preset(name: str, n_train: int = 4000, n_heldout: int = 4000, seed: int = 0) -> Dataset:
    """The preset ``name`` with n_train training and n_heldout held-out points; deterministic in seed."""
    if name not in _PRESETS:
        raise DataError(f"unknown preset {name!r}; valid presets: {', '.join(_PRESETS)}")
    _check_counts(name, n_train, n_heldout)
    return _PRESETS[name][0](name, int(n_train), int(n_heldout), int(seed))


def _check_counts(name: str, n_train, n_heldout) -> None:
    for label, n in (("n_train", n_train), ("n_heldout", n_heldout)):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise DataError(f"{name}: {label} must be a positive integer, got {n!r}")


# ----- point sets and densities --------------------------------------------------------------------------------
def from_points(points, name: str = "points", seed: int = 0) -> Dataset:
    """A data set from points (N, D), 1 ≤ D ≤ MAX_DIM (a 1-D array is N points in 1-D).

    With N ≥ 50 a random 20 % (fixed by ``seed``) is held out; below that the held-out set is the training
    set itself.
    """
    pts = _as_points(points, name)
    n = pts.shape[0]
    if n < MIN_POINTS_FOR_SPLIT:
        return Dataset(name, pts, pts)
    perm = torch.randperm(n, generator=_generator(seed, name, "split"))
    n_held = max(1, int(round(HELDOUT_FRACTION * n)))
    return Dataset(name, pts[perm[n_held:]], pts[perm[:n_held]])


def from_density(
    values,
    bounds=DEFAULT_BOUNDS,
    n_train: int = 4000,
    n_heldout: int = 4000,
    seed: int = 0,
    name: str = "painted",
) -> Dataset:
    """A data set from a nonnegative density image values (H, W) over bounds (xmin, xmax, ymin, ymax).

    Row 0 of ``values`` is the LOWEST y (``DensityGrid``'s convention; flip an image with np.flipud).
    Points are drawn from the piecewise-constant density; ``grid`` keeps it for the exact score.
    """
    try:
        grid = DensityGrid(np.asarray(values, dtype=np.float64), tuple(bounds))
    except (ValueError, TypeError) as e:
        raise DataError(f"{name}: {_one_line(e)}") from None
    _check_counts(name, n_train, n_heldout)
    return _grid_dataset(grid, int(n_train), int(n_heldout), int(seed), name)


def _grid_dataset(grid: DensityGrid, n_train: int, n_heldout: int, seed: int, name: str) -> Dataset:
    train = grid.sample(n_train, _generator(seed, name, "train"))
    heldout = grid.sample(n_heldout, _generator(seed, name, "heldout"))
    return Dataset(name, train, heldout, grid=grid)


# ----- files ---------------------------------------------------------------------------------------------------
_PNG_WITH_BOUNDS = re.compile(r"^(?P<path>.+\.png):(?P<box>[^:/\\]*)$", re.IGNORECASE)


def load_data(spec: str, n_train: int = 4000, n_heldout: int = 4000, seed: int = 0) -> Dataset:
    """A preset name, or a path to .npy / .csv (an N×D point set, D ≤ 8) or .png (a grayscale density image).

    Point files: the held-out set is a random 20 % split (N ≥ 50) or the points themselves; n_train and
    n_heldout are not used. PNG: bright = mass, the image's top row is y = ymax; bounds default to [−4, 4]²,
    or ``"image.png:xmin,xmax,ymin,ymax"``. Images larger than 128 pixels a side are downsampled.
    """
    spec = str(spec).strip()
    if spec in _PRESETS:
        return make_preset(spec, n_train, n_heldout, seed)
    bounds = DEFAULT_BOUNDS
    match = _PNG_WITH_BOUNDS.match(spec)
    if match and not Path(spec).exists():
        spec, bounds = match["path"], _parse_bounds(match["box"], match["path"])
    path = Path(spec).expanduser()
    ext = path.suffix.lower()
    if ext not in FILE_TYPES:
        if not ext and not path.exists():
            raise DataError(f"unknown data set {spec!r}: not a preset ({', '.join(_PRESETS)}) and not a .npy/.csv/.png file")
        raise DataError(f"{path}: unsupported file type {ext or '(none)'!r}; use .npy, .csv or .png, or a preset name")
    if not path.exists():
        raise DataError(f"{path}: file not found")
    if not path.is_file():
        raise DataError(f"{path}: not a file")
    if ext == ".png":
        return from_density(_read_png(path), bounds, n_train, n_heldout, seed, name=path.name)
    points = _read_npy(path) if ext == ".npy" else _read_csv(path)
    return from_points(points, name=path.name, seed=seed)


def _parse_bounds(text: str, where: str) -> tuple[float, float, float, float]:
    try:
        box = tuple(float(v) for v in text.split(","))
    except ValueError:
        box = ()
    if len(box) != 4 or not all(map(math.isfinite, box)) or box[0] >= box[1] or box[2] >= box[3]:
        raise DataError(f"{where}: bad bounds {text!r}; expected ':xmin,xmax,ymin,ymax' with xmin < xmax and ymin < ymax")
    return box


def _read_npy(path: Path) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except Exception as e:  # numpy raises ValueError / OSError / EOFError / UnpicklingError for bad files
        raise DataError(f"{path}: cannot read .npy file ({_one_line(e)})") from None


def _read_csv(path: Path) -> np.ndarray:
    """Numbers separated by commas (or whitespace), one point per row (up to MAX_DIM columns, checked by
    ``_as_points``); an optional non-numeric header line; '#' comments."""
    try:
        lines = [ln.split("#", 1)[0].strip() for ln in path.read_text().splitlines()]
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(f"{path}: cannot read CSV file ({_one_line(e)})") from None
    lines = [ln for ln in lines if ln]
    if not lines:
        raise DataError(f"{path}: the canvas is empty (no rows)")
    delimiter = "," if "," in lines[0] else None
    if not _is_numeric_row(lines[0], delimiter):
        lines = lines[1:]  # a header
    if not lines:
        raise DataError(f"{path}: the canvas is empty (only a header)")
    try:
        return np.loadtxt(lines, delimiter=delimiter, ndmin=2, dtype=np.float64)
    except ValueError as e:
        raise DataError(f"{path}: cannot parse CSV ({_one_line(e)})") from None


def _is_numeric_row(line: str, delimiter: str | None) -> bool:
    try:
        [float(v) for v in line.split(delimiter)]
    except ValueError:
        return False
    return True


def _read_png(path: Path) -> np.ndarray:
    """Grayscale (times alpha, if any) in [0, 1], flipped so that row 0 is the lowest y: (H, W) float64."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            img.load()
            if img.mode in ("I", "I;16", "I;16B", "I;16L", "F"):  # 16-bit / float grayscale: scale by the maximum
                values = np.asarray(img, dtype=np.float64)
                values = values / values.max() if values.max() > 0 else values
            else:
                values = np.asarray(img.convert("L"), dtype=np.float64) / 255.0
                if img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info:
                    values = values * np.asarray(img.convert("RGBA").getchannel("A"), dtype=np.float64) / 255.0
    except (UnidentifiedImageError, OSError, ValueError) as e:
        raise DataError(f"{path}: cannot read image ({_one_line(e)})") from None
    if not np.isfinite(values).all() or not (values > 0).any():
        raise DataError(f"{path}: the canvas is empty (the image is all black)")
    scale = MAX_IMAGE_SIDE / max(values.shape)
    if scale < 1:
        size = (max(1, round(values.shape[1] * scale)), max(1, round(values.shape[0] * scale)))
        values = np.asarray(Image.fromarray(values.astype(np.float32)).resize(size, Image.Resampling.BOX), dtype=np.float64)
    return np.flipud(values)


def _one_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__
