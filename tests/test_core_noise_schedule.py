"""TrainingNoise: where training draws its noise levels (sample_sigma, log_density) and how it weights them."""
import math

import numpy as np
import pytest
import torch

from scoreviz import names
from scoreviz.core.schedule.training_noise import DISTRIBUTIONS, WEIGHTINGS, TrainingNoise
from scoreviz.core.processes import PROCESSES, make_process

DATA = torch.randn(400, 2, generator=torch.Generator().manual_seed(0))
N = 40_000


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_the_choices_are_the_names():
    assert list(DISTRIBUTIONS) == list(names.NOISE_DISTRIBUTIONS)
    assert list(WEIGHTINGS) == list(names.LOSS_WEIGHTINGS)
    for d in names.NOISE_DISTRIBUTIONS:
        for w in names.LOSS_WEIGHTINGS:
            assert TrainingNoise(distribution=d, weighting=w).config()["weighting"] == w


@pytest.mark.parametrize("kwargs,message", [
    (dict(distribution="gamma"), "unknown noise distribution 'gamma'; choose one of process, uniform_t"),
    (dict(weighting="snr"), "unknown loss weighting 'snr'; choose one of sigma2, edm, min_snr"),
    (dict(p_std=0.0), "p_std must be positive"),
    (dict(p_std=-1.0), "p_std must be positive"),
    (dict(min_snr_gamma=0.0), "min_snr_gamma must be positive"),
    (dict(p_mean=float("nan")), "p_mean"),
])
def test_bad_settings_are_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TrainingNoise(**kwargs)


def test_config_round_trip():
    noise = TrainingNoise("log_normal", p_mean=-0.4, p_std=1.0, weighting="min_snr", min_snr_gamma=3.0)
    assert TrainingNoise.from_config(noise.config()) == noise
    assert TrainingNoise.from_config({}) == TrainingNoise()
    with pytest.raises(ValueError, match="bogus"):
        TrainingNoise.from_config({"bogus": 1})


@pytest.mark.parametrize("name", list(PROCESSES))
def test_process_distribution_is_the_old_draw_exactly(name):
    p = make_process(name, DATA)
    got = TrainingNoise().sample_sigma(p, 257, _gen(4))
    assert torch.equal(got, p.noise_level(p.train_times(257, _gen(4))))


def test_log_normal_matches_its_mean_and_std_away_from_the_clamps():
    p = make_process("ve", sigma_min=1e-5, sigma_max=1e5)   # ±9 std: the clamps hold nothing
    noise = TrainingNoise("log_normal", p_mean=-0.7, p_std=1.3)
    u = torch.log(noise.sample_sigma(p, N, _gen(1))).double()
    se = 1.3 / math.sqrt(N)
    assert float(u.mean()) == pytest.approx(-0.7, abs=4 * se)
    assert float(u.std()) == pytest.approx(1.3, abs=4 * 1.3 / math.sqrt(2 * N))


def test_log_normal_is_clamped_to_the_range():
    p = make_process("ve", sigma_min=0.1, sigma_max=2.0)
    sigma = TrainingNoise("log_normal", p_mean=0.0, p_std=2.0).sample_sigma(p, N, _gen(2))
    assert float(sigma.min()) == pytest.approx(0.1) and float(sigma.max()) == pytest.approx(2.0)
    below = float((sigma <= 0.1 * (1 + 1e-6)).double().mean())
    assert below == pytest.approx(0.5 * (1 + math.erf(math.log(0.1) / 2 / math.sqrt(2))), abs=0.01)


@pytest.mark.parametrize("name", ["vp", "cosine", "ncsn"])
def test_log_uniform_is_uniform_in_log_sigma(name):
    p = make_process(name, DATA)
    lo, hi = p.noise_range()
    u = (torch.log(TrainingNoise("log_uniform").sample_sigma(p, N, _gen(3))).double() - math.log(lo)) / math.log(hi / lo)
    assert float(u.min()) >= -1e-6 and float(u.max()) <= 1 + 1e-6
    counts = np.histogram(u.numpy(), bins=10, range=(0, 1))[0]
    assert np.all(np.abs(counts - N / 10) < 5 * math.sqrt(N / 10))


@pytest.mark.parametrize("name", list(PROCESSES))
@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
def test_log_density_integrates_to_one(name, distribution):
    p = make_process(name, DATA)
    grid = np.exp(np.linspace(*np.log(p.noise_range()), 3001))
    density = TrainingNoise(distribution, p_mean=0.5, p_std=1.5).log_density(p, grid)
    assert density.shape == grid.shape and np.all(density >= 0)
    assert np.trapezoid(density, np.log(grid)) == pytest.approx(1.0, abs=2e-3)
    lo, hi = p.noise_range()   # on a wider grid: nothing outside the range (bar a mass's nearest point), same total
    wide = np.exp(np.linspace(math.log(lo) - 2, math.log(hi) + 2, 3001))
    density = TrainingNoise(distribution).log_density(p, wide)
    cell = np.log(wide[1] / wide[0])
    outside = (np.log(wide) < math.log(lo) - cell) | (np.log(wide) > math.log(hi) + cell)
    assert np.all(density[outside] == 0) and np.trapezoid(density, np.log(wide)) == pytest.approx(1.0, abs=2e-3)


@pytest.mark.parametrize("name,distribution", [("vp", "process"), ("cosine", "uniform_t"), ("ve", "log_normal"),
                                               ("subvp", "log_uniform")])
def test_log_density_describes_the_samples(name, distribution):
    p = make_process(name, DATA)
    noise = TrainingNoise(distribution, p_mean=-0.5, p_std=1.0)
    u = torch.log(noise.sample_sigma(p, N, _gen(5))).double().numpy()
    lo, hi = np.log(p.noise_range())
    inner = np.linspace(lo, hi, 12)[1:-1]   # interior bins, away from clamp masses at the ends
    counts = np.histogram(u, bins=inner)[0] / N
    centres = (inner[1:] + inner[:-1]) / 2
    expected = noise.log_density(p, np.exp(centres)) * (inner[1] - inner[0])
    assert np.allclose(counts, expected, atol=0.01, rtol=0.08)


def test_ncsn_process_density_puts_one_over_l_on_each_level():
    p = make_process("ncsn", DATA, n_levels=6)
    grid = np.exp(np.linspace(*np.log(p.noise_range()), 501))
    density = TrainingNoise().log_density(p, grid)
    assert np.count_nonzero(density) == 6
    assert np.trapezoid(density, np.log(grid)) == pytest.approx(1.0)
    assert np.trapezoid(TrainingNoise("uniform_t").log_density(p, grid), np.log(grid)) == pytest.approx(1.0)


def test_edm_weight_is_the_old_edm_weighted_factor():
    sigma = torch.exp(torch.linspace(-6, 3, 50))
    sd = 0.31
    old = (sigma.to(torch.float32) ** 2 + sd**2) / sd**2     # the factor edm_weighted multiplied the DSM loss by
    w = TrainingNoise(weighting="edm").weight(sigma, sd)
    assert torch.equal(w, old)
    assert np.allclose(TrainingNoise(weighting="edm").weight(sigma.numpy(), sd), old.numpy(), rtol=1e-6)
    # w·‖σs + ε‖² = λ_EDM·‖D − x₀‖² with ‖D − x₀‖² = σ²‖σs + ε‖² and λ_EDM = (σ² + σ_d²)/(σσ_d)²
    assert torch.allclose(w, (sigma**2 + sd**2) / (sigma * sd) ** 2 * sigma**2)


@pytest.mark.parametrize("gamma", [5.0, 1.0])
def test_min_snr_weight(gamma):
    noise = TrainingNoise(weighting="min_snr", min_snr_gamma=gamma)
    edge = 1 / math.sqrt(gamma)   # SNR = 1/σ² = γ
    sigma = np.array([0.1 * edge, 0.5 * edge, 2 * edge, 10 * edge])
    expected = np.minimum(1 / sigma**2, gamma) * sigma**2      # min(SNR, γ)/SNR
    assert np.allclose(noise.weight(sigma, 0.5), expected)
    assert np.allclose(expected[:2], gamma * sigma[:2] ** 2) and np.allclose(expected[2:], 1.0)
    t = noise.weight(torch.tensor(sigma, dtype=torch.float32), 0.5)
    assert isinstance(t, torch.Tensor) and t.dtype == torch.float32 and np.allclose(t.numpy(), expected, rtol=1e-6)


def test_sigma2_weight_is_one():
    assert torch.equal(TrainingNoise().weight(torch.rand(7), 0.5), torch.ones(7))
    assert np.array_equal(TrainingNoise().weight(np.array([0.1, 3.0]), 0.5), np.ones(2))
