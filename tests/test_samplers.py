"""Every sampler, driven by the exact score, must reproduce known moments and mode weights (GUIDE §6)."""
import pytest
import torch

from scoreviz.core.mixture import GaussianMixture
from scoreviz.core.processes import make_process
from scoreviz.core.samplers import (SAMPLERS, ScoreFunction, SamplerStep, ncsnv2_step_size, run_sampler,
                                    sample)

GAUSS = GaussianMixture.isotropic([1.0], [[1.0, -0.5]], 0.5)
NCSN_TOY = GaussianMixture.isotropic([0.8, 0.2], [[5.0, 5.0], [-5.0, -5.0]], 1.0)
GAUSS_DATA = GAUSS.sample(2000, torch.Generator().manual_seed(1))
TOY_DATA = NCSN_TOY.sample(2000, torch.Generator().manual_seed(1))

CASES = [("ncsn", "annealed"), ("ve", "em"), ("ve", "pc"), ("ve", "ode"), ("vp", "em"), ("vp", "ode"),
         ("vp", "ddpm"), ("subvp", "em"), ("subvp", "pc"), ("subvp", "ode")]


def _exact(mixture, process):
    return ScoreFunction(lambda y, s: mixture.score(y, s), process)


def _options(sampler):
    return dict(steps_per_level=60) if sampler == "annealed" else dict(steps=150)


@pytest.mark.parametrize("process_name,sampler", CASES)
def test_sampler_reproduces_gaussian_mean_and_std(process_name, sampler):
    process = make_process(process_name, GAUSS_DATA)
    gen = torch.Generator().manual_seed(0)
    x = sample(sampler, _exact(GAUSS, process), process.prior_sample((3000, 2), gen), generator=gen, **_options(sampler))
    assert x.mean(0).tolist() == pytest.approx([1.0, -0.5], abs=0.05)
    assert x.std(0).tolist() == pytest.approx([0.5, 0.5], rel=0.06)


@pytest.mark.parametrize("process_name,sampler", [("ve", "em"), ("ve", "pc"), ("ve", "ode"), ("vp", "ddpm")])
def test_sampler_recovers_unequal_mode_weights(process_name, sampler):
    process = make_process(process_name, TOY_DATA)
    gen = torch.Generator().manual_seed(0)
    x = sample(sampler, _exact(NCSN_TOY, process), process.prior_sample((3000, 2), gen), generator=gen,
               **_options(sampler))
    assert float((x[:, 0] > 0).float().mean()) == pytest.approx(0.8, abs=0.03)


def test_annealed_langevin_recovers_weights_but_plain_langevin_does_not():
    """NCSN's toy: with the exact score, Langevin at a small σ from a uniform start leaves about half of the
    particles in each mode; annealed Langevin (σ from 20 to 1, 10 levels, 100 steps each) gives ≈ 0.8 / 0.2."""
    process = make_process("ve", TOY_DATA)
    score = _exact(NCSN_TOY, process)
    gen = torch.Generator().manual_seed(0)
    start = torch.rand(3000, 2, generator=gen) * 16 - 8
    plain = sample("langevin", score, start, noise_level=1e-3, steps=500, step_size=0.05, generator=gen)
    levels = torch.exp(torch.linspace(torch.log(torch.tensor(20.0)), 0.0, 10))
    annealed = sample("annealed", score, start, levels=levels, steps_per_level=100, step_size=0.05, generator=gen)
    heavy = lambda x: float((x[:, 0] > 0).float().mean())  # noqa: E731
    assert heavy(plain) == pytest.approx(0.5, abs=0.06)
    assert heavy(annealed) == pytest.approx(0.8, abs=0.03)


def test_langevin_at_fixed_sigma_samples_the_noised_density():
    process = make_process("ve", GAUSS_DATA)
    gen = torch.Generator().manual_seed(0)
    x = sample("langevin", _exact(GAUSS, process), torch.zeros(4000, 2), noise_level=1.0, steps=300, step_size=0.05,
               generator=gen)
    assert x.std(0).tolist() == pytest.approx([(0.25 + 1.0) ** 0.5] * 2, rel=0.06)


def test_samplers_yield_every_step_with_progress():
    process = make_process("vp", GAUSS_DATA)
    steps = list(run_sampler("em", _exact(GAUSS, process), process.prior_sample((10, 2)), steps=20))
    assert len(steps) == 21 and all(isinstance(s, SamplerStep) for s in steps)
    assert [s.index for s in steps] == list(range(1, 22)) and steps[-1].total == 21
    levels = [s.noise_level for s in steps]
    assert all(a >= b for a, b in zip(levels, levels[1:])) and levels[-1] == 0.0
    assert steps[-1].denoised is not None


def test_samplers_work_on_image_shaped_tensors():
    """The same code serves (N, C, H, W): an isotropic Gaussian 'image' distribution."""
    process = make_process("ve", torch.randn(50, 1, 4, 4))
    score = ScoreFunction(lambda y, s: -(y - 0.5) / (0.04 + s**2), process)
    for name in ("em", "ode", "pc", "annealed"):
        x = sample(name, score, process.prior_sample((200, 1, 4, 4)), **_options(name))
        assert x.shape == (200, 1, 4, 4)
        assert float(x.mean()) == pytest.approx(0.5, abs=0.05)


def test_seeded_runs_repeat_exactly():
    process = make_process("ve", GAUSS_DATA)
    runs = [sample("pc", _exact(GAUSS, process), process.prior_sample((50, 2), torch.Generator().manual_seed(5)),
                   steps=30, generator=torch.Generator().manual_seed(9)) for _ in range(2)]
    assert torch.equal(runs[0], runs[1])


def test_ncsnv2_step_size_rule():
    """ε from NCSNv2 technique 4 makes the variance ratio of the last level ≈ 1 and scales with σ_L²."""
    levels = torch.exp(torch.linspace(torch.log(torch.tensor(10.0)), torch.log(torch.tensor(0.1)), 12))
    eps = ncsnv2_step_size(levels, 100)
    assert 0 < eps < float(levels[-1]) ** 2
    assert ncsnv2_step_size(levels * 2, 100) == pytest.approx(4 * eps, rel=1e-6)


def test_unknown_sampler_and_ddpm_on_ve_are_clear_errors():
    process = make_process("ve", GAUSS_DATA)
    with pytest.raises(ValueError, match="unknown sampler"):
        run_sampler("leapfrog", _exact(GAUSS, process), torch.zeros(1, 2))
    with pytest.raises(ValueError, match="VP"):
        sample("ddpm", _exact(GAUSS, process), torch.zeros(1, 2), steps=5)
    assert set(SAMPLERS) == {"langevin", "annealed", "em", "pc", "ode", "ddpm"}


def test_annealed_defaults_recover_the_weights_of_the_ncsn_preset():
    """With no hand-set schedule (the process's ladder and the default step), annealed Langevin on the ncsn
    preset and the exact score puts 0.8 ± 0.03 of the particles in the heavy mode."""
    from scoreviz.core.data import make_preset

    ds = make_preset("ncsn")
    process = make_process("ve", ds.train)
    gen = torch.Generator().manual_seed(0)
    x = sample("annealed", _exact(ds.mixture, process), process.prior_sample((2000, 2), gen), steps_per_level=100,
               generator=gen)
    assert float((x[:, 0] > 0).float().mean()) == pytest.approx(0.8, abs=0.03)


def test_autoguidance_steps_away_from_the_guide_model():
    """s_guide + w·(s − s_guide), checked with two Denoiser stand-ins whose scores are exact Gaussians
    (means 1 and 0, variance 1 + σ²): the guided score is that of a Gaussian with mean w at every σ."""
    from scoreviz.core.samplers import model_score

    class Gaussian:
        def __init__(self, mean):
            self.mean = mean

        def score(self, y, sigma, labels=None):
            return -(y - self.mean) / (1 + sigma**2)

    good, bad = Gaussian(1.0), Gaussian(0.0)
    y = torch.linspace(-3, 3, 13)[:, None]
    for w in (1.0, 2.0, 3.5):
        s = model_score(good, guide=bad, autoguidance=w)(y, 0.7)
        assert torch.allclose(s, -(y - w) / (1 + 0.49), atol=1e-6)
    assert torch.equal(model_score(good)(y, 0.7), good.score(y, 0.7))
