"""Data beyond 2D (issue 13, the Qt-free part): D from 1 to 8 in the loaders, the 3-D / 5-D / 8-D presets, exact
scores in any D against autograd, the exact-score samplers recovering unequal mode weights, the command line."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from scoreviz.core import toy_shapes as shapes
from scoreviz.core.data import PRESET_DESCRIPTIONS, DataError, load_data, make_preset, preset_dim, preset_names
from scoreviz.core.exact import pointset_log_prob, pointset_score
from scoreviz.core.metrics import mode_weights, quality_report
from scoreviz.core.mixture import GaussianMixture
from scoreviz.core.processes import make_process
from scoreviz.lab.schedule.compare import sample_schedule

NEW_PRESETS = {"swissroll3d": 3, "mixture3d": 3, "mixture5d": 5, "mixture8d": 8}
pytestmark = pytest.mark.usefixtures("one_torch_thread")  # small tensors: no OpenMP spin on a busy machine
WEIGHTS = {"mixture3d": [0.5, 0.3, 0.2], "mixture5d": [0.4, 0.3, 0.2, 0.1], "mixture8d": [0.4, 0.3, 0.2, 0.1]}


def _autograd_score(log_prob, x):
    x = x.clone().double().requires_grad_(True)
    (grad,) = torch.autograd.grad(log_prob(x).sum(), x)
    return grad


# ----- presets -------------------------------------------------------------------------------------------------
def test_new_presets_are_listed_with_their_dimension_and_exact_weights():
    for name, dim in {**NEW_PRESETS, "helix3d": 3}.items():
        assert name in preset_names() and preset_dim(name) == dim and PRESET_DESCRIPTIONS[name]
    for name, weights in WEIGHTS.items():
        mix = make_preset(name, 10, 10).mixture
        assert torch.allclose(mix.weights, torch.tensor(weights, dtype=torch.float64), atol=1e-15)


def test_mixture3d_modes_are_apart():
    seps = shapes.mixture3d().separations()
    assert seps[~torch.eye(3, dtype=torch.bool)].min() > 6


def _local_maxima_2d(values: torch.Tensor) -> int:
    pad = torch.nn.functional.pad(values[None, None], (1, 1, 1, 1), value=-torch.inf)[0, 0]
    n, m = values.shape
    neigh = torch.stack([pad[1 + dx:n + 1 + dx, 1 + dy:m + 1 + dy]
                         for dx in (-1, 0, 1) for dy in (-1, 0, 1) if (dx, dy) != (0, 0)])
    return int((values > neigh.max(0).values).sum())


@pytest.mark.parametrize("name", ["mixture5d", "mixture8d"])
def test_hidden_modes_are_apart_in_full_d_and_overlap_in_every_axis_pair(name):
    mix = make_preset(name, 10, 10).mixture
    k = mix.n_components
    off_diagonal = ~torch.eye(k, dtype=torch.bool)
    assert mix.separations()[off_diagonal].min() > 5.9  # neighbours 6 std apart (Mahalanobis) in D dimensions
    grid = torch.linspace(-6, 6, 121, dtype=torch.float64)
    plane = torch.cartesian_prod(grid, grid)
    for pair in itertools.combinations(range(mix.dim), 2):
        panel = mix.marginal(pair)
        seps = panel.separations()
        assert max(float(seps[i, i + 1]) for i in range(k - 1)) < 1.0, pair  # neighbours < 1 projected std
        assert _local_maxima_2d(panel.log_prob(plane).reshape(121, 121)) == 1, pair  # one blob per panel
    # ... while along the hidden direction the full density has K separate modes
    line = torch.linspace(-4, 4, 801, dtype=torch.float64)[:, None] * shapes.hidden_direction(mix.dim)
    lp = mix.log_prob(line)
    assert int(((lp[1:-1] > lp[:-2]) & (lp[1:-1] > lp[2:])).sum()) == k


def test_marginal_is_the_mixture_of_the_chosen_coordinates():
    mix = shapes.mixture8d()
    panel = mix.marginal((2, 5))
    assert panel.dim == 2 and torch.allclose(panel.weights, mix.weights)
    samples = mix.sample(100_000, torch.Generator().manual_seed(0)).double()[:, [2, 5]]
    assert torch.allclose(samples.mean(0), panel.mean(), atol=0.02)
    assert torch.allclose(torch.cov(samples.T), panel.covariance(), atol=0.03)
    with pytest.raises(ValueError, match="axes"):
        mix.marginal((0, 8))


# ----- loaders -------------------------------------------------------------------------------------------------
def test_point_files_with_up_to_eight_columns(tmp_path):
    pts = np.random.default_rng(0).normal(size=(120, 8))
    np.save(tmp_path / "p8.npy", pts)
    assert load_data(str(tmp_path / "p8.npy")).dim == 8
    rows = "\n".join(",".join(f"{v:.6f}" for v in row) for row in pts[:, :5])
    (tmp_path / "p5.csv").write_text("a,b,c,d,e\n" + rows + "\n")
    ds = load_data(str(tmp_path / "p5.csv"))
    assert ds.dim == 5 and ds.train.shape[0] + ds.heldout.shape[0] == 120


def test_more_than_eight_columns_is_a_clear_error(tmp_path):
    wide = "\n".join(",".join(["1"] * 9) for _ in range(20))
    (tmp_path / "wide.csv").write_text(wide)
    with pytest.raises(DataError, match=r"wide\.csv: expected an N×D array of points with D from 1 to 8, got "
                                        r"shape \(20, 9\)$"):
        load_data(str(tmp_path / "wide.csv"))
    np.save(tmp_path / "t.npy", np.zeros((3, 500)))
    with pytest.raises(DataError, match=r"t\.npy: .*\(3, 500\).*transposed"):
        load_data(str(tmp_path / "t.npy"))


# ----- exact scores in any D -----------------------------------------------------------------------------------
@pytest.fixture
def mixture_5d():
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(3, 5, 5, generator=gen, dtype=torch.float64)
    covs = a @ a.transpose(1, 2) / 5 + 0.1 * torch.eye(5, dtype=torch.float64)  # anisotropic, correlated
    means = 2 * torch.randn(3, 5, generator=gen, dtype=torch.float64)
    return GaussianMixture(torch.tensor([0.5, 0.3, 0.2]), means, covs)


@pytest.mark.parametrize("sigma", [0.0, 0.05, 0.5, 3.0])
def test_mixture_score_in_5d_is_the_gradient_of_its_log_density(mixture_5d, sigma):
    x = 2 * torch.randn(64, 5, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    expected = _autograd_score(lambda y: mixture_5d.log_prob(y, sigma), x)
    assert torch.allclose(mixture_5d.score(x, sigma), expected, atol=1e-8)
    r = mixture_5d.responsibilities(x, sigma)
    assert r.shape == (64, 3) and torch.allclose(r.sum(1), torch.ones(64, dtype=torch.float64))


@pytest.mark.parametrize("sigma", [0.05, 0.5, 3.0])
def test_pointset_score_in_5d_is_the_gradient_of_its_log_density(sigma):
    gen = torch.Generator().manual_seed(2)
    points = torch.randn(400, 5, generator=gen)
    x = 1.5 * torch.randn(50, 5, generator=gen, dtype=torch.float64)
    expected = _autograd_score(lambda y: pointset_log_prob(y, points, sigma), x)
    assert torch.allclose(pointset_score(x, points, sigma), expected, atol=1e-8)


@pytest.mark.parametrize("name", ["mixture5d", "mixture8d"])
@pytest.mark.parametrize("sigma", [0.01, 0.3, 5.0])
def test_dataset_exact_score_in_5d_and_8d_matches_autograd(name, sigma):
    """Dataset.exact_score (the closed-form mixture; without it, the ideal denoiser of the 500 training points)
    against autograd of the log densities it is the gradient of, and Dataset.exact_log_density is that density."""
    ds = make_preset(name, 500, 100)
    x = ds.heldout.double() + 0.2 * torch.randn(100, ds.dim, generator=torch.Generator().manual_seed(3),
                                                  dtype=torch.float64)
    expected = _autograd_score(lambda y: ds.mixture.log_prob(y, sigma), x)
    assert torch.allclose(ds.exact_score(x, sigma), expected, rtol=1e-7, atol=1e-7)
    assert torch.allclose(ds.exact_log_density(x, sigma), ds.mixture.log_prob(x, sigma))
    pointset = ds.with_train(ds.train)
    expected = _autograd_score(lambda y: pointset_log_prob(y, ds.train, sigma), x)
    assert torch.allclose(pointset.exact_score(x, sigma), expected, rtol=1e-7, atol=1e-7)
    assert torch.allclose(pointset.exact_log_density(x, sigma), pointset_log_prob(x, ds.train, sigma))


def test_mode_weights_and_quality_report_in_8d():
    ds = make_preset("mixture8d", 4000, 4000)
    truth = torch.tensor(WEIGHTS["mixture8d"], dtype=torch.float64)
    draw = ds.mixture.sample(20_000, torch.Generator().manual_seed(5))
    assert (mode_weights(draw, ds.mixture) - truth).abs().max() < 0.01
    report = quality_report(ds.mixture.sample(4000, torch.Generator().manual_seed(6)), ds)
    assert 0.5 < report["sw_ratio"] < 2.0 and len(report["mode_weights"]) == 4
    merged = draw.clone()
    merged[:, :] = ds.mixture.means[0].float()  # everything in the heaviest mode
    assert mode_weights(merged, ds.mixture).tolist() == [1.0, 0.0, 0.0, 0.0]


# ----- what it must reach with the exact score -----------------------------------------------------------------
@pytest.mark.parametrize("sampler", ["annealed", "em"])
@pytest.mark.parametrize("name", ["mixture3d", "mixture5d", "mixture8d"])
def test_exact_score_samplers_recover_unequal_weights(name, sampler):
    """Annealed Langevin and the reverse SDE (Euler–Maruyama) with the exact score of the noised mixture, the
    default VE process and sampler lengths, 4000 particles: every mode's share within ±0.03 of its weight
    (max abs difference; binomial std ≤ 0.008 at this size)."""
    ds = make_preset(name)
    out = sample_schedule(ds, make_process("ve", ds.train), sampler=sampler, n=4000, seed=0)
    assert np.allclose(out.true_weights, WEIGHTS[name])
    assert np.abs(out.mode_weights - out.true_weights).max() <= 0.03, out.mode_weights
    assert out.sw_ratio < 2.0


# ----- command line and benchmark ------------------------------------------------------------------------------
def test_train_sample_eval_round_trip_in_5d(tmp_path, capsys):
    from cli_helpers import round_trip

    samples, report = round_trip(tmp_path, capsys, "mixture5d", train_steps=30, n=200)
    assert samples.shape == (200, 5) and np.isfinite(samples).all()
    assert report["data"] == "mixture5d" and report["sw_floor"] > 0 and len(report["mode_weights"]) == 4
    assert report["true_weights"] == pytest.approx(WEIGHTS["mixture5d"])
    assert np.isfinite(report["heldout_nll_nats"])


def test_presets_command_lists_the_dimension(capsys):
    from scoreviz.cli import main

    assert main(["presets"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert " 8-D " in lines["mixture8d"] and " 5-D " in lines["mixture5d"] and " 3-D " in lines["swissroll3d"]
    assert " 2-D " in lines["moons"] and " 1-D " in lines["bimodal1d"]


def test_highdim_bench_group_reports_exact_and_learned_and_the_time_needed(monkeypatch):
    from scoreviz.bench import high_dim
    from scoreviz.bench.run import run_benchmarks

    def fake_learned(dataset, factor=1, n=0, seed=1):  # mixtures good from 2× the default time, the rest at once
        row = {"sw_ratio": 1.2, "time_factor": factor, "train_seconds": 0.0, "steps": 1}
        if dataset.mixture is not None:
            row.update(weight_error=0.08 if factor < 2 else 0.02, mode_weights=[0.25] * 4)
        return row

    monkeypatch.setattr(high_dim, "learned", fake_learned)
    monkeypatch.setattr(high_dim, "exact_reference", lambda dataset: {"annealed": {"sw_ratio": 1.0}})
    out = run_benchmarks(only=["highdim"], verbose=False)["highdim"]
    assert list(out) == high_dim.HIGHDIM_PRESETS
    assert out["mixture8d"]["dim"] == 8 and out["mixture8d"]["time_needed"] == 2
    assert [row["time_factor"] for row in out["mixture8d"]["learned"]] == [1, 2]
    assert out["helix3d"]["time_needed"] == 1 and len(out["helix3d"]["learned"]) == 1
