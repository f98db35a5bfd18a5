"""Every sampler, driven by the exact score, must reproduce known moments and mode weights (NCSN's 0.8/0.2
mixture, Song & Ermon 2019)."""
import pytest
import torch

from scoreviz.core.mixture import GaussianMixture
from scoreviz.core.processes import make_process
from scoreviz.core.sampler_registry import SAMPLERS
from scoreviz.core.sampler_runs import run_sampler, run_to_end, sampler_options
from scoreviz.core.samplers import ScoreFunction, SamplerStep, ncsnv2_step_size

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
    x = run_to_end(sampler, _exact(GAUSS, process), process.prior_sample((3000, 2), gen), generator=gen,
                   **_options(sampler))
    assert x.mean(0).tolist() == pytest.approx([1.0, -0.5], abs=0.05)
    assert x.std(0).tolist() == pytest.approx([0.5, 0.5], rel=0.06)


@pytest.mark.parametrize("process_name,sampler", [("ve", "em"), ("ve", "pc"), ("ve", "ode"), ("vp", "ddpm")])
def test_sampler_recovers_unequal_mode_weights(process_name, sampler):
    process = make_process(process_name, TOY_DATA)
    gen = torch.Generator().manual_seed(0)
    x = run_to_end(sampler, _exact(NCSN_TOY, process), process.prior_sample((3000, 2), gen), generator=gen,
               **_options(sampler))
    assert float((x[:, 0] > 0).float().mean()) == pytest.approx(0.8, abs=0.03)


def test_annealed_langevin_recovers_weights_but_plain_langevin_does_not():
    """NCSN's toy: with the exact score, Langevin at a small σ from a uniform start leaves about half of the
    particles in each mode; annealed Langevin (σ from 20 to 1, 10 levels, 100 steps each) gives ≈ 0.8 / 0.2."""
    process = make_process("ve", TOY_DATA)
    score = _exact(NCSN_TOY, process)
    gen = torch.Generator().manual_seed(0)
    start = torch.rand(3000, 2, generator=gen) * 16 - 8
    plain = run_to_end("langevin", score, start, noise_level=1e-3, steps=500, step_size=0.05, generator=gen)
    levels = torch.exp(torch.linspace(torch.log(torch.tensor(20.0)), 0.0, 10))
    annealed = run_to_end("annealed", score, start, levels=levels, steps_per_level=100, step_size=0.05,
                          generator=gen)
    heavy = lambda x: float((x[:, 0] > 0).float().mean())  # noqa: E731
    assert heavy(plain) == pytest.approx(0.5, abs=0.06)
    assert heavy(annealed) == pytest.approx(0.8, abs=0.03)


def test_langevin_at_fixed_sigma_samples_the_noised_density():
    process = make_process("ve", GAUSS_DATA)
    gen = torch.Generator().manual_seed(0)
    x = run_to_end("langevin", _exact(GAUSS, process), torch.zeros(4000, 2), noise_level=1.0, steps=300,
                   step_size=0.05, generator=gen)
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
        x = run_to_end(name, score, process.prior_sample((200, 1, 4, 4)), **_options(name))
        assert x.shape == (200, 1, 4, 4)
        assert float(x.mean()) == pytest.approx(0.5, abs=0.05)


def test_seeded_runs_repeat_exactly():
    process = make_process("ve", GAUSS_DATA)
    start = process.prior_sample((50, 2), torch.Generator().manual_seed(5))
    runs = [run_to_end("pc", _exact(GAUSS, process), start, steps=30, generator=torch.Generator().manual_seed(9))
            for _ in range(2)]
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
        run_to_end("ddpm", _exact(GAUSS, process), torch.zeros(1, 2), steps=5)
    assert set(SAMPLERS) == {"langevin", "annealed", "em", "pc", "ode", "ddpm", "heun", "dpmpp2m", "dpmpp_sde",
                             "ddim", "euler", "euler_a"}


def test_a_run_is_checked_when_it_is_created():
    """Every mistake is a ValueError at the call to run_sampler, before the first step is asked for."""
    process = make_process("ve", GAUSS_DATA)
    score, x = _exact(GAUSS, process), torch.zeros(3, 2)
    with pytest.raises(ValueError, match="step_sise"):
        run_sampler("langevin", score, x, noise_level=0.1, step_sise=0.01)   # misspelt
    with pytest.raises(ValueError, match="noise_level"):
        run_sampler("em", score, x, noise_level=0.1)                        # not an option of EM
    with pytest.raises(ValueError, match="needs noise_level"):
        run_sampler("langevin", score, x)
    with pytest.raises(ValueError, match="VP"):
        run_sampler("ddpm", score, x, steps=5)
    with pytest.raises(ValueError, match="VP"):
        run_sampler("ddpm", score, x, process=make_process("subvp", GAUSS_DATA))
    with pytest.raises(ValueError, match="rk4"):
        run_sampler("ode", score, x, method="euler")
    with pytest.raises(ValueError, match="positive integer"):
        run_sampler("pc", score, x, steps=0)
    with pytest.raises(ValueError, match="unknown sampler"):
        sampler_options("leapfrog", process)


def test_every_sampler_takes_process_and_generator():
    """The options every caller may pass: `process` (filled from the score when absent) and `generator`."""
    process = make_process("vp", GAUSS_DATA)
    score = _exact(GAUSS, process)
    for name in SAMPLERS:
        opts = sampler_options(name, process, 2, generator=torch.Generator().manual_seed(0))
        out = run_to_end(name, score, process.prior_sample((4, 2)), **opts)
        assert out.shape == (4, 2) and torch.isfinite(out).all()


def test_sampler_options_fill_a_recipes_defaults_and_take_overrides():
    process = make_process("ve", GAUSS_DATA)
    table = {"em": {"steps": 300}, "annealed": {"steps_per_level": 20, "n_levels": 20}}
    assert sampler_options("em", process, defaults=table) == {"process": process, "steps": 300}
    assert sampler_options("em", process, 8, defaults=table)["steps"] == 7          # NFE 8 = 7 steps + 1
    assert sampler_options("em", process, own_steps=7, defaults=table)["steps"] == 7
    assert sampler_options("annealed", process, defaults=table) == {"process": process, "steps_per_level": 20,
                                                                    "n_levels": 20}
    assert sampler_options("annealed", process, 61, defaults=table)["steps_per_level"] == 3   # 20·3 + 1
    assert sampler_options("ode", process, defaults=table) == {"process": process}   # the sampler's own default
    # the 2-D window's calls: annealed over 10 levels, Langevin at the slider's σ
    gen = torch.Generator()
    annealed = sampler_options("annealed", process, 51, n_levels=10, generator=gen)
    assert annealed == {"process": process, "steps_per_level": 5, "n_levels": 10, "generator": gen}
    langevin = sampler_options("langevin", process, 30, noise_level=0.4, generator=gen)
    assert langevin == {"process": process, "noise_level": 0.4, "steps": 30, "generator": gen}
    assert sampler_options("langevin", process)["noise_level"] == pytest.approx(5 * process.noise_range()[0])
    with pytest.raises(ValueError, match="noise_level"):
        sampler_options("ode", process, noise_level=0.4)
    with pytest.raises(ValueError, match="not both"):
        sampler_options("em", process, 8, own_steps=7)


def test_annealed_defaults_recover_the_weights_of_the_ncsn_preset():
    """With no hand-set schedule (the process's ladder and the default step), annealed Langevin on the ncsn
    preset and the exact score puts 0.8 ± 0.03 of the particles in the heavy mode."""
    from scoreviz.core.data import make_preset

    ds = make_preset("ncsn")
    process = make_process("ve", ds.train)
    gen = torch.Generator().manual_seed(0)
    x = run_to_end("annealed", _exact(ds.mixture, process), process.prior_sample((2000, 2), gen),
                   steps_per_level=100, generator=gen)
    assert float((x[:, 0] > 0).float().mean()) == pytest.approx(0.8, abs=0.03)


def test_autoguidance_steps_away_from_the_guide_model():
    """s_guide + w·(s − s_guide), checked with two Denoiser stand-ins whose scores are exact Gaussians
    (means 1 and 0, variance 1 + σ²): the guided score is that of a Gaussian with mean w at every σ."""
    from scoreviz.core.guidance import model_score

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
