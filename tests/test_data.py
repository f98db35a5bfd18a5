"""Data sets and the exact density grid, checked against exact answers."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch
from PIL import Image

from scoreviz.core.data import (
    PRESETS,
    DataError,
    Dataset,
    from_density,
    from_points,
    load_data,
    make_preset,
    preset_names,
)
from scoreviz.core.density_grid import DensityGrid
from scoreviz.core.exact import pointset_log_prob, pointset_score
from scoreviz.core.mixture import GaussianMixture

DIMS = {"bimodal1d": 1, "gaussian3d": 3, "helix3d": 3, "swissroll3d": 3, "mixture3d": 3, "mixture5d": 5,
        "mixture8d": 8}


# ----- presets -------------------------------------------------------------------------------------------------
def test_at_least_ten_presets_including_the_required_ones():
    names = preset_names()
    assert len(names) >= 10 and set(names) == set(PRESETS)
    for required in ("moons", "rings", "8gaussians", "swissroll", "spirals", "checkerboard", "pinwheel",
                     "bimodal1d", "ncsn", "gaussian", "25gaussians", "helix3d"):
        assert required in names


@pytest.mark.parametrize("name", preset_names())
def test_preset_is_deterministic_finite_and_well_shaped(name):
    ds = make_preset(name, n_train=300, n_heldout=200, seed=3)
    d = DIMS.get(name, 2)
    assert ds.train.shape == (300, d) and ds.heldout.shape == (200, d) and ds.dim == d
    assert ds.train.dtype == torch.float32 and ds.heldout.dtype == torch.float32
    assert torch.isfinite(ds.train).all() and torch.isfinite(ds.heldout).all()
    again = make_preset(name, n_train=300, n_heldout=200, seed=3)
    assert torch.equal(ds.train, again.train) and torch.equal(ds.heldout, again.heldout)
    assert ds.fingerprint() == again.fingerprint()
    other = make_preset(name, n_train=300, n_heldout=200, seed=4)
    assert not torch.equal(ds.train, other.train)
    assert not torch.equal(ds.train[:200], ds.heldout)  # independent draws, not a copy
    # sensibly scaled: within [-4, 4] up to noise tails (NCSN's modes sit at ±5 by definition; the hidden-mode
    # mixtures' wide directions have std 1.25)
    limit = {"ncsn": 9.0, "mixture5d": 6.5, "mixture8d": 6.5}.get(name, 5.0)
    assert ds.train.abs().max() < limit
    assert (ds.train.std(0) > 0.3).all()
    assert PRESETS[name](300, 200, 3).fingerprint() == ds.fingerprint()


def test_ncsn_mixture_is_exactly_as_specified():
    mix = make_preset("ncsn", 10, 10).mixture
    assert torch.allclose(mix.weights, torch.tensor([0.8, 0.2], dtype=torch.float64), atol=1e-15)
    assert torch.equal(mix.means, torch.tensor([[5.0, 5.0], [-5.0, -5.0]], dtype=torch.float64))
    assert torch.equal(mix.covs, torch.eye(2, dtype=torch.float64).expand(2, 2, 2))


def test_other_mixture_presets_parameters():
    bi = make_preset("bimodal1d", 10, 10).mixture
    assert torch.allclose(bi.weights, torch.tensor([0.3, 0.7], dtype=torch.float64))
    assert torch.allclose(bi.means[:, 0], torch.tensor([-2.0, 1.5], dtype=torch.float64))
    assert torch.allclose(bi.covs[:, 0, 0], torch.tensor([0.25, 0.49], dtype=torch.float64))
    eight = make_preset("8gaussians", 10, 10).mixture
    assert eight.n_components == 8 and torch.allclose(eight.means.norm(dim=1), torch.full((8,), 3.0, dtype=torch.float64))
    assert torch.allclose(eight.covs, 0.04 * torch.eye(2, dtype=torch.float64).expand(8, 2, 2))
    assert make_preset("25gaussians", 10, 10).mixture.n_components == 25
    g = make_preset("gaussian", 10, 10).mixture
    assert g.n_components == 1 and torch.allclose(g.means[0], torch.tensor([1.0, -0.5], dtype=torch.float64))
    assert make_preset("gaussian3d", 10, 10).mixture.dim == 3


def _closed_form_moments(mix: GaussianMixture) -> tuple[torch.Tensor, torch.Tensor]:
    w, mu = mix.weights, mix.means
    mean = (w[:, None] * mu).sum(0)
    second = (w[:, None, None] * (mix.covs + mu[:, :, None] * mu[:, None, :])).sum(0)
    return mean, second - torch.outer(mean, mean)


@pytest.mark.parametrize("name", ["ncsn", "bimodal1d", "gaussian3d", "8gaussians"])
def test_mixture_preset_samples_match_closed_form_moments(name):
    ds = make_preset(name, n_train=20000, n_heldout=20000, seed=1)
    mean, cov = _closed_form_moments(ds.mixture)
    for pts in (ds.train, ds.heldout):
        x = pts.double()
        scale = cov.diagonal().sqrt()
        assert ((x.mean(0) - mean).abs() / scale).max() < 0.04
        assert ((torch.cov(x.T).reshape(cov.shape) - cov).abs() / torch.outer(scale, scale)).max() < 0.05


def test_unknown_preset_lists_the_valid_names():
    with pytest.raises(DataError, match=r"unknown preset 'nope'.*moons.*ncsn"):
        make_preset("nope")
    with pytest.raises(DataError, match=r"'nope'.*moons"):
        load_data("nope")
    with pytest.raises(DataError, match="n_train"):
        make_preset("moons", n_train=0)


# ----- files ---------------------------------------------------------------------------------------------------
def _rows(t: torch.Tensor) -> list:
    return sorted(map(tuple, t.double().numpy().round(6).tolist()))


def test_npy_round_trip_with_split(tmp_path):
    pts = np.random.default_rng(0).normal(size=(100, 2)).astype(np.float32)
    np.save(tmp_path / "pts.npy", pts)
    ds = load_data(str(tmp_path / "pts.npy"), seed=5)
    assert ds.name == "pts.npy" and ds.heldout.shape == (20, 2) and ds.train.shape == (80, 2)
    assert _rows(torch.cat([ds.train, ds.heldout])) == _rows(torch.from_numpy(pts))
    assert torch.equal(load_data(str(tmp_path / "pts.npy"), seed=5).heldout, ds.heldout)


def test_small_point_file_uses_itself_as_heldout(tmp_path):
    pts = np.arange(30, dtype=np.float64).reshape(10, 3)
    np.save(tmp_path / "small.npy", pts)
    ds = load_data(str(tmp_path / "small.npy"))
    assert ds.dim == 3 and torch.equal(ds.train, ds.heldout) and _rows(ds.train) == _rows(torch.from_numpy(pts))
    assert load_data(str(tmp_path / "small.npy")).fingerprint() == ds.fingerprint()


@pytest.mark.parametrize("header", [True, False])
def test_csv_round_trip(tmp_path, header):
    pts = np.random.default_rng(1).uniform(-3, 3, size=(60, 2))
    path = tmp_path / "pts.csv"
    np.savetxt(path, pts, delimiter=",", header="x,y" if header else "", comments="")
    ds = load_data(str(path))
    assert ds.train.shape == (48, 2) and ds.heldout.shape == (12, 2)
    assert _rows(torch.cat([ds.train, ds.heldout])) == _rows(torch.from_numpy(pts).float())


def test_csv_single_column_and_whitespace(tmp_path):
    (tmp_path / "one.csv").write_text("value\n1.5\n-2\n3\n")
    ds = load_data(str(tmp_path / "one.csv"))
    assert ds.dim == 1 and _rows(ds.train) == [(-2.0,), (1.5,), (3.0,)]
    (tmp_path / "ws.csv").write_text("# comment\n1 2\n3 4\n")
    assert _rows(load_data(str(tmp_path / "ws.csv")).train) == [(1.0, 2.0), (3.0, 4.0)]


def _png(path, array):
    Image.fromarray(array).save(path)  # uint8 (H, W) → L, (H, W, 4) → RGBA
    return str(path)


def test_png_top_left_blob_means_negative_x_positive_y(tmp_path):
    img = np.zeros((32, 32), np.uint8)
    img[2:8, 3:9] = 255  # near the image's top-left corner
    ds = load_data(_png(tmp_path / "blob.png", img), n_train=500, n_heldout=100)
    assert ds.grid is not None and ds.grid.values.shape == (32, 32)
    x, y = ds.train[:, 0], ds.train[:, 1]
    assert (x < 0).all() and (y > 0).all()
    assert x.min() >= -4 + 3 * 0.25 - 1e-6 and x.max() <= -4 + 9 * 0.25 + 1e-6  # columns 3..8 of 32 over [-4, 4]
    assert y.max() <= 4 - 2 * 0.25 + 1e-6 and y.min() >= 4 - 8 * 0.25 - 1e-6  # rows 2..7 counted from the top
    boxed = load_data(_png(tmp_path / "blob.png", img) + ":0,1,10,12", n_train=200, n_heldout=10)
    assert boxed.grid.bounds == (0.0, 1.0, 10.0, 12.0)
    assert (boxed.train[:, 0] < 0.5).all() and (boxed.train[:, 1] > 11.0).all()
    assert np.allclose(boxed.bounds()[0], [0, 10]) and np.allclose(boxed.bounds()[1], [1, 12])


def test_png_alpha_masks_the_density(tmp_path):
    rgba = np.zeros((16, 16, 4), np.uint8)
    rgba[..., :3] = 255  # white everywhere...
    rgba[10:14, 10:14, 3] = 255  # ...but opaque only near the bottom-right
    ds = load_data(_png(tmp_path / "alpha.png", rgba), n_train=300, n_heldout=10)
    assert (ds.train[:, 0] > 0).all() and (ds.train[:, 1] < 0).all()


def test_large_png_is_downsampled(tmp_path):
    img = np.zeros((300, 200), np.uint8)
    img[100:200, 50:150] = 200
    ds = load_data(_png(tmp_path / "big.png", img), n_train=100, n_heldout=10)
    assert max(ds.grid.values.shape) <= 128


@pytest.mark.parametrize(
    "make, pattern",
    [
        (lambda p: str(p / "missing.npy"), r"missing\.npy: file not found"),
        (lambda p: (p / "notes.txt").write_text("1,2") and str(p / "notes.txt"), r"notes\.txt: unsupported file type '\.txt'"),
        (lambda p: np.save(p / "wide.npy", np.zeros((5, 9))) or str(p / "wide.npy"), r"wide\.npy: expected an N×D .*1 to 8.*\(5, 9\)"),
        (lambda p: np.save(p / "cube.npy", np.zeros((2, 3, 4))) or str(p / "cube.npy"), r"cube\.npy: expected an N×D"),
        (lambda p: np.save(p / "nan.npy", np.array([[0.0, np.nan], [1, 2]])) or str(p / "nan.npy"), r"nan\.npy: 1 of 2 points have non-finite"),
        (lambda p: np.save(p / "none.npy", np.zeros((0, 2))) or str(p / "none.npy"), r"none\.npy: the canvas is empty"),
        (lambda p: (p / "junk.npy").write_bytes(b"not numpy at all") and str(p / "junk.npy"), r"junk\.npy: cannot read \.npy"),
        (lambda p: (p / "junk.png").write_bytes(b"not a png") and str(p / "junk.png"), r"junk\.png: cannot read image"),
        (lambda p: _png(p / "black.png", np.zeros((8, 8), np.uint8)), r"black\.png: the canvas is empty"),
        (lambda p: (p / "bad.csv").write_text("x,y\n1,2\n3,oops\n") and str(p / "bad.csv"), r"bad\.csv: cannot parse CSV"),
        (lambda p: (p / "head.csv").write_text("x,y\n") and str(p / "head.csv"), r"head\.csv: the canvas is empty"),
        (lambda p: _png(p / "b.png", np.full((4, 4), 255, np.uint8)) + ":1,0,0,1", r"b\.png: bad bounds '1,0,0,1'"),
    ],
)
def test_bad_input_raises_a_one_line_data_error_naming_the_file(tmp_path, make, pattern):
    spec = make(tmp_path)
    with pytest.raises(DataError, match=pattern) as info:
        load_data(spec)
    assert "\n" not in str(info.value)


def test_bad_arrays_raise_data_error():
    with pytest.raises(DataError, match="painted: the canvas is empty"):
        from_density(np.zeros((16, 16)))
    with pytest.raises(DataError, match="canvas: the density contains negative"):
        from_density(-np.ones((4, 4)), name="canvas")
    with pytest.raises(DataError, match="points: the canvas is empty"):
        from_points(np.zeros((0, 2)))
    with pytest.raises(DataError, match="expected numbers"):
        from_points(np.array([["a", "b"]]))
    with pytest.raises(DataError, match="bounds"):
        from_density(np.ones((4, 4)), bounds=(1, 0, 0, 1))


# ----- the data set --------------------------------------------------------------------------------------------
def test_dataset_is_immutable_and_with_train_drops_the_exact_distribution():
    ds = make_preset("ncsn", 100, 100)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ds.name = "x"
    new = ds.with_train(torch.zeros(5, 2))
    assert new.mixture is None and new.grid is None and new.name == ds.name
    assert torch.equal(new.train, new.heldout) and new.fingerprint() != ds.fingerprint()
    with pytest.raises(DataError):
        ds.with_train(torch.zeros(5, 3))


def test_bounds_contain_the_data_with_a_margin():
    ds = make_preset("moons", 500, 10)
    lo, hi = ds.bounds(margin=0.1)
    span = ds.train.max(0).values.double().numpy() - ds.train.min(0).values.double().numpy()
    assert np.allclose(lo, ds.train.min(0).values.double().numpy() - 0.1 * span)
    assert np.allclose(hi, ds.train.max(0).values.double().numpy() + 0.1 * span)
    lo, hi = from_points(np.ones((3, 1))).bounds()
    assert lo[0] < 1 < hi[0]


def test_exact_score_dispatches_to_the_three_exact_cases():
    x = torch.randn(64, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 3
    pts = make_preset("moons", 200, 10)
    ref = pointset_score(x, pts.train, 0.3)
    assert torch.allclose(pts.exact_score(x, 0.3), ref, rtol=1e-12, atol=1e-12)
    assert torch.allclose(pts.exact_log_density(x, 0.3), pointset_log_prob(x, pts.train, 0.3), rtol=1e-12)
    mix = make_preset("ncsn", 10, 10)
    assert torch.allclose(mix.exact_score(x, 0.5), mix.mixture.score(x, 0.5))
    grid = make_preset("smiley", 10, 10)
    assert torch.allclose(grid.exact_score(x, 0.2), grid.grid.score(x, 0.2))
    assert grid.exact_score(x.float(), 0.2).dtype == torch.float32


@pytest.mark.parametrize("name", ["moons", "ncsn", "smiley", "bimodal1d", "helix3d"])
def test_exact_score_is_finite_at_tiny_sigma(name):
    ds = make_preset(name, 300, 10)
    x = torch.randn(200, ds.dim, generator=torch.Generator().manual_seed(1)) * 6
    for sigma in (1e-4, 1e-2, 5.0):
        assert torch.isfinite(ds.exact_score(x, sigma)).all()
        assert torch.isfinite(ds.exact_log_density(x, sigma)).all()


def test_exact_log_density_of_a_point_set_is_a_normalised_mixture():
    ds = from_points(np.array([[0.0], [1.0], [3.0]]))
    x = torch.tensor([[0.4]], dtype=torch.float64)
    expected = math.log(sum(math.exp(-((0.4 - y) ** 2) / 0.5) for y in (0, 1, 3)) / 3 / math.sqrt(2 * math.pi * 0.25))
    assert ds.exact_log_density(x, 0.5).item() == pytest.approx(expected, rel=1e-12)


# ----- the density grid ----------------------------------------------------------------------------------------
def _brute_force(grid: DensityGrid, x: torch.Tensor, sigma: float):
    """Eq. (2) summed cell by cell with erfc, and its gradient by autograd: (log p (N,), score (N, 2))."""
    x = x.clone().double().requires_grad_(True)
    xmin, _, ymin, _ = grid.bounds
    dx, dy = grid.cell
    h, w = grid.values.shape
    phi = lambda u: 0.5 * torch.special.erfc(-u / math.sqrt(2))  # noqa: E731

    def kernel(t, lo, width, n):  # (N, n): a cell convolved with N(0, σ²), upper tails by symmetry
        u1 = (t[:, None] - lo - width * torch.arange(n, dtype=torch.float64)) / sigma
        u2 = u1 - width / sigma
        return torch.where(u2 > 0, phi(-u2) - phi(-u1), phi(u1) - phi(u2)) / width

    p = torch.einsum("nr,rc,nc->n", kernel(x[:, 1], ymin, dy, h), torch.as_tensor(grid.weights), kernel(x[:, 0], xmin, dx, w))
    log_p = torch.log(p)
    (score,) = torch.autograd.grad(log_p.sum(), x)
    return log_p.detach(), score


@pytest.fixture(scope="module")
def small_grid() -> DensityGrid:
    rng = np.random.default_rng(0)
    values = rng.random((7, 9)) * (rng.random((7, 9)) > 0.4)
    return DensityGrid(values, (-2.0, 3.0, -1.0, 1.5))


def _queries(n=1500, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 2, generator=g, dtype=torch.float64) * torch.tensor([8.0, 5.5]) + torch.tensor([-3.5, -2.0])


def test_grid_exact_evaluation_matches_the_cell_by_cell_sum(small_grid):
    x = _queries()
    for sigma in (2.0, 0.3, 0.05):
        log_p, score = small_grid.evaluate_exact(x, sigma)
        ref_log_p, ref_score = _brute_force(small_grid, x, sigma)
        ok = ref_log_p > -600  # the brute-force sum underflows beyond
        assert ok.sum() > 1000
        assert torch.allclose(log_p[ok], ref_log_p[ok], rtol=1e-9, atol=1e-9)
        assert torch.allclose(score[ok], ref_score[ok], rtol=1e-7, atol=1e-7)


@pytest.mark.parametrize("sigma, tol_log, tol_score", [(2.0, 1e-4, 1e-3), (0.5, 1e-3, 3e-3), (0.1, 2e-2, 3e-2)])
def test_grid_lattice_matches_the_exact_density_and_score(small_grid, sigma, tol_log, tol_score):
    x = _queries(seed=1)
    ref_log_p, ref_score = small_grid.evaluate_exact(x, sigma)
    log_p, score = small_grid.log_density(x, sigma), small_grid.score(x, sigma)
    near = ref_log_p > -30  # where the density is not negligible
    assert (log_p[near] - ref_log_p[near]).abs().max() < tol_log
    scale = ref_score.norm(dim=1) + 1 / sigma
    assert ((score - ref_score).norm(dim=1) / scale)[near].max() < tol_score


@pytest.mark.parametrize("sigma", [1.0, 0.2, 0.04])
def test_grid_score_is_the_gradient_of_log_density(small_grid, sigma):
    x = _queries(400, seed=2)
    h = 1e-5
    fd = torch.stack(
        [(small_grid.log_density(x + h * e, sigma) - small_grid.log_density(x - h * e, sigma)) / (2 * h) for e in torch.eye(2, dtype=torch.float64)],
        dim=1,
    )
    score = small_grid.score(x, sigma)
    assert ((fd - score).norm(dim=1) / (score.norm(dim=1) + 1 / sigma)).max() < 1e-4


def test_rasterised_gaussian_has_the_gaussian_score():
    mu, s, sigma = np.array([0.3, -0.2]), 0.8, 0.5
    centres = -4 + (np.arange(128) + 0.5) / 16
    xx, yy = np.meshgrid(centres, centres)  # row 0 = lowest y
    grid = DensityGrid(np.exp(-((xx - mu[0]) ** 2 + (yy - mu[1]) ** 2) / (2 * s**2)), (-4, 4, -4, 4))
    x = torch.rand(500, 2, generator=torch.Generator().manual_seed(3), dtype=torch.float64) * 3 - 1.5
    var = s**2 + sigma**2 + (1 / 16) ** 2 / 12  # a uniform cell adds width²/12
    expected = -(x - torch.as_tensor(mu)) / var
    assert torch.allclose(grid.score(x, sigma), expected, atol=2e-3 * (1 + expected.abs().max()))
    d = x - torch.as_tensor(mu)
    log_expected = -(d**2).sum(1) / (2 * var) - math.log(2 * math.pi * var)
    assert torch.allclose(grid.log_density(x, sigma), log_expected, atol=2e-3)


def test_grid_matches_a_mixture_of_per_cell_gaussians_for_sigma_above_the_cell(small_grid):
    """Above the cell size a blurred cell is nearly Gaussian: N(centre, σ² + width²/12) per axis."""
    xc, yc = small_grid.cell_centres()
    dx, dy = small_grid.cell
    w = small_grid.weights
    r, c = np.nonzero(w)
    sigma = 3 * max(dx, dy)
    covs = torch.diag(torch.tensor([dx**2 / 12, dy**2 / 12], dtype=torch.float64)).expand(len(r), 2, 2)
    mix = GaussianMixture(torch.as_tensor(w[r, c]), torch.as_tensor(np.stack([xc[c], yc[r]], 1)), covs)
    x = _queries(500, seed=4)
    ref = mix.score(x, sigma)
    assert ((small_grid.score(x, sigma) - ref).norm(dim=1) / (ref.norm(dim=1) + 1 / sigma)).max() < 2e-3


def test_grid_score_is_finite_everywhere_and_points_back_to_the_mass():
    values = np.zeros((64, 64))
    values[40:44, 10:14] = 1.0  # the square [-2.75, -2.25] x [1, 1.5]
    grid = DensityGrid(values)
    centre = torch.tensor([-2.5, 1.25], dtype=torch.float64)
    far = torch.tensor([[100.0, 100.0], [-100.0, 3.0], [3.9, -3.9], [0.0, 0.0], [-1e4, -1e4]], dtype=torch.float64)
    for sigma in (1e-4, 0.01, 0.1, 1.0, 30.0):
        s = grid.score(far, sigma)
        assert torch.isfinite(s).all() and torch.isfinite(grid.log_density(far, sigma)).all()
        assert ((s * (centre - far)).sum(1) > 0).all()
    # σ → 0 far away: the Laplace limit −(x − nearest point of the square)/σ²
    s = grid.score(torch.tensor([[0.0, 1.25]], dtype=torch.float64), 0.01)
    assert s[0, 0].item() == pytest.approx(-(0.0 - (-2.25)) / 0.01**2, rel=1e-3)  # right edge x = -2.25
    assert abs(s[0, 1].item()) < 1e-3 * abs(s[0, 0].item())


def test_grid_sampling_picks_cells_in_proportion_and_stays_inside():
    grid = DensityGrid(np.array([[1.0, 0.0], [0.0, 3.0]]), (0, 2, 0, 2))  # row 0 = lowest y
    pts = grid.sample(20000, torch.Generator().manual_seed(0))
    assert pts.shape == (20000, 2) and pts.dtype == torch.float32
    low_left = ((pts[:, 0] < 1) & (pts[:, 1] < 1)).double().mean().item()
    high_right = ((pts[:, 0] > 1) & (pts[:, 1] > 1)).double().mean().item()
    assert low_left == pytest.approx(0.25, abs=0.01) and low_left + high_right == pytest.approx(1.0)
    assert pts.min() >= 0 and pts.max() <= 2


def test_grid_density_is_normalised_and_blurred_matches_log_density(small_grid):
    sigma = 0.2
    lin_x, lin_y = torch.linspace(-4, 5, 361, dtype=torch.float64), torch.linspace(-3, 3.5, 261, dtype=torch.float64)
    xx, yy = torch.meshgrid(lin_x, lin_y, indexing="xy")
    dens = torch.exp(small_grid.log_density(torch.stack([xx.reshape(-1), yy.reshape(-1)], 1), sigma))
    area = (lin_x[1] - lin_x[0]) * (lin_y[1] - lin_y[0])
    assert (dens.sum() * area).item() == pytest.approx(1.0, abs=2e-3)
    xc, yc = small_grid.cell_centres()
    cx, cy = np.meshgrid(xc, yc)
    at_centres = small_grid.log_density(torch.as_tensor(np.stack([cx.ravel(), cy.ravel()], 1)), sigma)
    assert np.allclose(np.log(small_grid.blurred(sigma)).ravel(), at_centres.numpy(), atol=1e-3)
    dx, dy = small_grid.cell
    assert small_grid.blurred(0).sum() * dx * dy == pytest.approx(1.0)


def test_from_density_samples_the_painting():
    values = np.zeros((32, 32))
    values[0:4, 28:32] = 1.0  # row 0 = lowest y: the bottom-right corner
    ds = from_density(values, n_train=300, n_heldout=50, seed=2)
    assert isinstance(ds, Dataset) and ds.grid is not None
    assert (ds.train[:, 0] >= 3).all() and (ds.train[:, 1] <= -3).all()
    assert torch.equal(from_density(values, n_train=300, n_heldout=50, seed=2).train, ds.train)
