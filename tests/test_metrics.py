"""Sample-quality metrics against closed-form answers."""
from __future__ import annotations

import math

import pytest
import torch

from scoreviz.core.data import from_points, make_preset
from scoreviz.core.metrics import energy_distance, mode_weights, quality_report, sliced_wasserstein


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _normal_quantiles(n: int) -> torch.Tensor:
    """The n quantiles Φ⁻¹((i + ½)/n) of N(0, 1) as (n, 1): a sample with exactly known W₂ to its shifts."""
    q = (torch.arange(n, dtype=torch.float64) + 0.5) / n
    return (math.sqrt(2) * torch.special.erfinv(2 * q - 1))[:, None]


def test_sliced_wasserstein_of_a_set_with_itself_is_zero():
    a = torch.randn(500, 2, generator=_gen(0))
    assert sliced_wasserstein(a, a) == 0.0
    assert sliced_wasserstein(a, a[torch.randperm(500, generator=_gen(1))]) == pytest.approx(0.0, abs=1e-12)


def test_sliced_wasserstein_in_1d_is_w2():
    a = _normal_quantiles(1000)
    assert sliced_wasserstein(a, a + 1.7) == pytest.approx(1.7, rel=1e-12)  # W₂(N(0,1), N(m,1)) = |m|
    x = torch.randn(20000, 1, generator=_gen(2))
    y = torch.randn(20000, 1, generator=_gen(3)) - 1.5
    assert sliced_wasserstein(x, y) == pytest.approx(1.5, abs=0.03)


def test_sliced_wasserstein_resamples_unequal_sizes_exactly():
    # quantile functions: a = {0, 1} steps at ½; b = {0, ½, 1} steps at ⅓, ⅔ → W₂² = ¼·(⅙ + ⅙) = 1/12
    a = torch.tensor([[0.0], [1.0]])
    b = torch.tensor([[1.0], [0.5], [0.0]])
    assert sliced_wasserstein(a, b) == pytest.approx(math.sqrt(1 / 12), rel=1e-12)
    assert sliced_wasserstein(b, a) == pytest.approx(math.sqrt(1 / 12), rel=1e-12)


@pytest.mark.parametrize("dim", [2, 3])
def test_sliced_wasserstein_of_a_shift_averages_over_directions(dim):
    """W₂² along θ between a set and its shift by m is (θ·m)², whose mean over the sphere is |m|²/D."""
    shift = torch.zeros(dim)
    shift[0] = 2.0
    a = torch.randn(1000, dim, generator=_gen(4))
    assert sliced_wasserstein(a, a + shift, n_projections=4096, generator=_gen(5)) ** 2 == pytest.approx(4.0 / dim, rel=0.04)
    # independent samples of N(0, I) and N(m, I): the same, up to the samples' own mean offset and a small floor
    b = torch.randn(1000, dim, generator=_gen(6)) + shift
    offset = b.double().mean(0) - a.double().mean(0)
    expected = (offset**2).sum().item() / dim
    assert sliced_wasserstein(a, b, n_projections=4096, generator=_gen(7)) ** 2 == pytest.approx(expected, rel=0.05)


def test_sliced_wasserstein_is_deterministic_for_a_generator():
    a, b = torch.randn(300, 2, generator=_gen(8)), torch.randn(300, 2, generator=_gen(9))
    assert sliced_wasserstein(a, b, generator=_gen(1)) == sliced_wasserstein(a, b, generator=_gen(1))
    assert sliced_wasserstein(a, b) == sliced_wasserstein(a, b)


def test_energy_distance_closed_forms():
    a = torch.zeros(10, 2)
    b = torch.tensor([3.0, 4.0]).expand(7, 2)
    assert energy_distance(a, b) == pytest.approx(2 * 5.0)  # 2·|Δ| − 0 − 0
    c = torch.randn(800, 2, generator=_gen(10))
    assert energy_distance(c, c) == pytest.approx(0.0, abs=1e-12)
    # 1-D N(0,1) vs N(1,1): 2E|Z| − 2·(2/√π), Z ~ N(1, 2), E|Z| = s√(2/π)e^{−μ²/2s²} + μ(1 − 2Φ(−μ/s))
    s, mu = math.sqrt(2), 1.0
    e_abs = s * math.sqrt(2 / math.pi) * math.exp(-(mu**2) / (2 * s * s)) + mu * math.erf(mu / (s * math.sqrt(2)))
    expected = 2 * e_abs - 2 * (2 / math.sqrt(math.pi))
    x = torch.randn(4000, 1, generator=_gen(11))
    y = torch.randn(4000, 1, generator=_gen(12)) + 1.0
    value = energy_distance(x, y, max_points=4000)
    assert value == pytest.approx(expected, abs=0.06)  # ≈ 3 standard deviations of the estimate at this size
    assert value > 0


def test_energy_distance_subsamples_to_max_points():
    a = torch.randn(5000, 2, generator=_gen(13))
    b = torch.randn(5000, 2, generator=_gen(14)) + 3.0
    small = energy_distance(a, b, max_points=500, generator=_gen(0))
    assert small == energy_distance(a, b, max_points=500, generator=_gen(0))
    assert small == pytest.approx(energy_distance(a, b, max_points=3000), rel=0.1)


def test_mode_weights_recovers_ncsn_weights():
    ds = make_preset("ncsn", 20000, 10, seed=2)
    w = mode_weights(ds.train, ds.mixture)
    assert w.shape == (2,) and w.sum().item() == pytest.approx(1.0)
    assert w[0].item() == pytest.approx(0.8, abs=0.01) and w[1].item() == pytest.approx(0.2, abs=0.01)
    pts = torch.tensor([[5.0, 4.0], [4.0, 6.0], [-6.0, -5.0], [float("nan"), 0.0]])
    assert mode_weights(pts, ds.mixture).tolist() == pytest.approx([2 / 3, 1 / 3])


def test_quality_report_floor_is_small_and_a_good_sampler_sits_on_it():
    ds = make_preset("gaussian", 3000, 3000, seed=0)
    good = ds.mixture.sample(2000, _gen(21))
    report = quality_report(good, ds)
    assert report["n"] == 2000 and report["n_used"] == 2000 and report["nonfinite"] == 0.0
    assert 0 < report["sw_floor"] < 0.1 and 0 < report["energy_floor"] < 0.01
    assert report["sw_ratio"] == pytest.approx(report["sliced_wasserstein"] / report["sw_floor"])
    assert report["sw_ratio"] < 2.5 and report["energy_ratio"] < 4
    assert report["mode_weights"] == [1.0] and report["true_weights"] == pytest.approx([1.0])
    assert quality_report(good, ds) == report  # deterministic


def test_quality_report_flags_a_collapsed_sampler():
    report = quality_report(torch.zeros(1000, 2), make_preset("gaussian", 2000, 2000, seed=0))
    assert report["sw_ratio"] > 5 and report["energy_ratio"] > 50
    ncsn = quality_report(torch.zeros(1000, 2), make_preset("ncsn", 2000, 2000, seed=0))
    assert ncsn["sliced_wasserstein"] > 3 * ncsn["sw_floor"]
    assert ncsn["mode_weights"] == pytest.approx([1.0, 0.0]) and ncsn["true_weights"] == pytest.approx([0.8, 0.2])


def test_quality_report_counts_and_drops_nonfinite_samples():
    ds = make_preset("moons", 1000, 1000, seed=0)
    samples = ds.heldout[:800].clone()
    samples[:200, 0] = float("nan")
    samples[200:240, 1] = float("inf")
    report = quality_report(samples, ds)
    assert report["nonfinite"] == pytest.approx(240 / 800)
    assert report["n"] == 800 and report["n_used"] == 560
    assert math.isfinite(report["sliced_wasserstein"]) and "mode_weights" not in report
    empty = quality_report(torch.full((5, 2), float("nan")), ds)
    assert empty["nonfinite"] == 1.0 and math.isnan(empty["sw_ratio"])


def test_quality_report_floor_when_heldout_is_the_training_set():
    pts = torch.randn(600, 2, generator=_gen(30))
    ds = from_points(pts).with_train(pts)
    report = quality_report(torch.randn(1000, 2, generator=_gen(31)), ds)
    assert report["n_used"] == 300 and report["sw_floor"] > 0 and report["sw_ratio"] < 3
