"""NCSNv2's schedule rules against the published numbers and closed forms, and the warnings: silent on the app's
defaults, firing on data built to trigger each one."""
import json
import math

import numpy as np
import pytest
import torch

from scoreviz.core import samplers
from scoreviz.core.data import make_preset
from scoreviz.core.mixture import GaussianMixture
from scoreviz.core.processes import make_process, max_pairwise_distance
from scoreviz.core.schedule.rules import (EMA_RATE, LANGEVIN_SNR, _ratio_condition, analyse, beta_clipped,
                                          level_ratio, levels_for,
                                          ncsnv2_step_size, prior_w2, sigma_max_rule, step_size, variance_ratio)

CIFAR = dict(sigma_max=50.0, sigma_min=0.01, n_levels=232, steps_each=5)


def test_cifar10_level_ratio_and_levels():
    """NCSNv2 technique 2 for D = 3072: γ ≈ 1.0398, about 220 levels from 50 to 0.01."""
    gamma = level_ratio(3072)
    assert gamma == pytest.approx(1.0398, abs=1e-4)
    assert levels_for(50.0, 0.01, gamma) == 220


def test_cifar10_step_size_matches_ncsnv2():
    """Technique 4 for CIFAR-10's config: ε ≈ 6.19e-6 (NCSNv2 ships 6.2e-6)."""
    assert step_size(**CIFAR) == pytest.approx(6.19e-6, rel=0.01)


@pytest.mark.parametrize("dim", [5, 6, 10, 100, 784, 3072, 10**6])
def test_level_ratio_solves_its_equation_and_tends_to_one(dim):
    gamma = level_ratio(dim)
    assert _ratio_condition(gamma, dim) == pytest.approx(0.5, abs=1e-9)
    # large D: the crossing is where √(2D)(γ−1) = 3γ, i.e. γ = 1/(1 − 3/√(2D)) (the upper Φ within 1e-9 of 1)
    assert gamma == pytest.approx(1 / (1 - 3 / math.sqrt(2 * dim)), rel=1e-8)


def test_level_ratio_falls_to_one_and_imposes_nothing_for_small_d():
    ratios = [level_ratio(d) for d in (5, 50, 500, 5000, 50000)]
    assert all(a > b for a, b in zip(ratios, ratios[1:])) and ratios[-1] < 1.014
    for dim in (1, 2, 3, 4):   # the condition stays above 0.99 for every γ: no constraint
        assert level_ratio(dim) is None
        assert min(_ratio_condition(g, dim) for g in np.geomspace(1.0, 1e6, 200)) > 0.99


@pytest.mark.parametrize("gamma,steps", [(1.0376, 5), (1.5, 100), (3.0, 10), (1.01, 1)])
def test_step_size_minimises_the_variance_ratio(gamma, steps):
    """r(u) > 1 everywhere (no root), so ε is its minimiser: r at ε is the minimum of a fine grid to 1e-6,
    and the step a relative 1e-4 either side is no better."""
    sigma_min = 0.1
    n_levels = 12
    eps = step_size(sigma_min * gamma ** (n_levels - 1), sigma_min, n_levels, steps)
    u = eps / sigma_min**2
    grid = np.linspace(1e-7, 1 - 1e-7, 400_001)
    r = variance_ratio(grid, gamma, steps)
    assert r.min() > 1
    assert variance_ratio(u, gamma, steps) == pytest.approx(r.min(), abs=1e-6)
    best = variance_ratio(u, gamma, steps)
    assert best <= variance_ratio(u * (1 + 1e-4), gamma, steps) + 1e-15
    assert best <= variance_ratio(u * (1 - 1e-4), gamma, steps) + 1e-15


def test_samplers_use_the_one_step_rule():
    levels = torch.exp(torch.linspace(math.log(10.0), math.log(0.1), 12, dtype=torch.float64))
    assert samplers.ncsnv2_step_size is ncsnv2_step_size
    assert ncsnv2_step_size(levels, 100) == pytest.approx(step_size(10.0, 0.1, 12, 100), rel=1e-9)


def test_constants_and_sigma_max_rule():
    assert EMA_RATE == 0.999 and LANGEVIN_SNR == 0.16
    data = make_preset("ncsn").train
    assert sigma_max_rule(data) == pytest.approx(max_pairwise_distance(data), rel=1e-6)
    assert sigma_max_rule(data.numpy()) == pytest.approx(max_pairwise_distance(data), rel=1e-6)


def _gaussian_w2(mean, eig, process):
    """W₂ between N(α m, α²Σ + s²I) and the prior N(m_p, c²I) in closed form."""
    a, s, c = float(process.alpha(process.t_max)), float(process.std(process.t_max)), process.prior_std()
    m_p = np.zeros_like(mean) if getattr(process, "prior_mean", None) is None else np.asarray(process.prior_mean)
    return math.sqrt(np.sum((a * mean - m_p) ** 2) + np.sum((np.sqrt(a * a * eig + s * s) - c) ** 2))


@pytest.mark.parametrize("name,overrides", [("ve", dict(sigma_max=5.0, prior_mean=None)), ("ve", {}),
                                            ("vp", dict(beta_max=3.0)), ("cosine", {})])
def test_prior_w2_is_exact_for_gaussian_data(name, overrides):
    """A Dataset with a one-component mixture: exact moments, so the Gelbrich bound is W₂ itself."""
    data = make_preset("gaussian")
    process = make_process(name, data.train, **overrides)
    mixture = data.mixture
    expected = _gaussian_w2(mixture.mean().numpy(), np.linalg.eigvalsh(mixture.covariance().numpy()), process)
    assert prior_w2(data, process) == pytest.approx(expected, rel=1e-9)


def test_prior_w2_from_points_in_more_dimensions():
    mean, std, dim = np.linspace(-1, 1, 10), 0.8, 10
    points = GaussianMixture.isotropic([1.0], mean[None], std).sample(20000, torch.Generator().manual_seed(0))
    process = make_process("ve", sigma_max=4.0)
    expected = _gaussian_w2(mean, np.full(dim, std**2), process)
    assert prior_w2(points, process) == pytest.approx(expected, rel=0.02)
    # D > N: the covariance's eigenvalues through the Gram matrix agree with the D × D route
    few = points[:6].reshape(6, 10)
    via_cov = np.linalg.eigvalsh(np.cov(few.double().numpy().T))
    assert prior_w2(few, process) == pytest.approx(_gaussian_w2(few.double().numpy().mean(0), via_cov, process),
                                                   rel=1e-9)


@pytest.mark.parametrize("preset", ["moons", "8gaussians", "ncsn"])
@pytest.mark.parametrize("name", ["ve", "ncsn", "vp"])
def test_no_warnings_on_the_app_defaults(preset, name):
    data = make_preset(preset).train
    report = analyse(make_process(name, data), points=data)
    assert report.warnings == ()
    assert report.sigma_max_rule > 0 and report.prior_w2 >= 0 and report.level_ratio is None
    json.dumps(report.to_dict())


def _warned(report, phrase):
    hits = [w for w in report.warnings if phrase in w]
    assert hits, report.warnings
    assert all(w.endswith(".") for w in hits)   # whole sentences
    return hits[0]


def test_sigma_max_below_the_largest_distance():
    data = make_preset("ncsn").train
    report = analyse(make_process("ve", data, sigma_max=3.0), points=data)
    _warned(report, "cannot move mass between modes")


def test_sigma_min_large_against_the_data():
    data = make_preset("moons").train
    _warned(analyse(make_process("ve", data, sigma_min=1.0), points=data), "blurred by about σ_min")


def test_prior_mismatch():
    data = make_preset("ncsn").train + 60.0     # far from the origin, and a prior centred at 0
    report = analyse(make_process("ve", data, prior_mean=None), points=data)
    assert report.prior_w2 > 0.1 * report.prior_scale
    _warned(report, "centre the data")


def test_vp_terminal_snr_and_beta_clipping():
    data = make_preset("moons").train
    short = analyse(make_process("vp", data, beta_max=2.0), points=data)
    _warned(short, "terminal signal-to-noise ratio")
    assert not any("clipped" in w for w in short.warnings)
    # A linear VP reaches a discrete β of 0.999 over T = 1000 steps only once α(1) underflows (β_max ≳ 7000):
    # such a process is refused with a clear error; on a coarse grid the count itself is visible.
    with pytest.raises(ValueError, match="lower β_max"):
        analyse(make_process("vp", data, beta_max=20000.0), points=data)
    # 10 steps of Δt ≈ 0.1: β_i = 1 − exp(−Δt·β(t_mid)) ≥ 0.999 where β(t_mid) ≥ 69, i.e. t_mid ≥ 0.35: 7 of 10
    assert beta_clipped(make_process("vp", data, beta_max=200.0), steps=10) == pytest.approx(0.7)
    assert beta_clipped(make_process("vp", data), steps=1000) == 0.0
    assert beta_clipped(make_process("cosine", data), steps=1000) == 0.0   # its t_max stops short of the clip


def test_too_few_levels_for_the_dimension():
    process = make_process("ncsn", sigma_max=50.0, sigma_min=0.01, n_levels=100)
    _warned(analyse(process, dim=3072, steps_each=5), "too few for D = 3072")
    assert analyse(make_process("ncsn", sigma_max=50.0, sigma_min=0.01, n_levels=232), dim=3072,
                   steps_each=5).warnings == ()


def test_langevin_step_outside_the_stable_range():
    data = make_preset("moons").train
    process = make_process("ve", data)
    lo = process.sigma_min
    _warned(analyse(process, points=data, langevin_step=2.5 * lo**2), "diverge")
    _warned(analyse(process, points=data, langevin_step=1.5 * lo**2), "oscillates")
    # levels far apart and two steps each: even the best step leaves the variance far too large
    _warned(analyse(process, points=data, n_levels=3, steps_each=2), "more steps per level")


def test_levels_training_never_visits():
    data = make_preset("moons").train
    process = make_process("ncsn", data)
    _warned(analyse(process, points=data, n_levels=2 * process.n_levels), "almost no training")
