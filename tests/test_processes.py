"""Noise processes: marginals consistent with their SDEs, σ↔t inverse, data-derived defaults."""
import math

import pytest
import torch

from scoreviz.core.processes import PROCESSES, make_process, max_pairwise_distance, process_from_config

DATA = torch.randn(500, 2, generator=torch.Generator().manual_seed(0)) * torch.tensor([2.0, 0.5]) + 1.0
TIMES = torch.tensor([0.05, 0.2, 0.5, 0.8, 0.95], dtype=torch.float64)


@pytest.mark.parametrize("name", list(PROCESSES))
def test_marginals_solve_the_forward_sde(name):
    """For dx = f(t)x dt + g dw: dα/dt = f α and d(s²)/dt = 2 f s² + g² (the moment ODEs)."""
    p = make_process(name, DATA)
    h = 1e-4
    for t in TIMES.tolist():
        x = torch.ones(1, 2)
        drift, g = p.sde(x, t)
        f = float(drift[0, 0])
        dalpha = (float(p.alpha(t + h)) - float(p.alpha(t - h))) / (2 * h)
        dvar = (float(p.std(t + h)) ** 2 - float(p.std(t - h)) ** 2) / (2 * h)
        assert dalpha == pytest.approx(f * float(p.alpha(t)), rel=1e-3, abs=1e-6)
        assert dvar == pytest.approx(2 * f * float(p.std(t)) ** 2 + float(g) ** 2, rel=2e-3)


@pytest.mark.parametrize("name", list(PROCESSES))
def test_time_of_inverts_noise_level(name):
    p = make_process(name, DATA)
    t = torch.linspace(max(p.t_min, 0.01), p.t_max, 50)
    assert torch.allclose(p.time_of(p.noise_level(t)), t, atol=2e-4)
    lo, hi = p.noise_range()
    assert 0 < lo < hi


def test_ve_defaults_follow_the_data():
    p = make_process("ve", DATA)
    assert p.sigma_max >= max_pairwise_distance(DATA) - 1e-6
    assert p.sigma_min < 0.05 * float(DATA.std())
    assert p.prior_mean == pytest.approx(DATA.mean(0).tolist(), abs=1e-6)
    prior = p.prior_sample((20000, 2), torch.Generator().manual_seed(0))
    assert prior.mean(0).tolist() == pytest.approx(DATA.mean(0).tolist(), abs=0.3)
    assert float(prior.std()) == pytest.approx(p.sigma_max, rel=0.03)


def test_ncsn_ladder_is_geometric_and_trains_on_its_levels():
    p = make_process("ncsn", DATA, sigma_max=20.0, sigma_min=1.0, n_levels=10)
    sig = p.sigmas
    assert sig[0] == pytest.approx(20.0) and sig[-1] == pytest.approx(1.0)
    ratios = sig[:-1] / sig[1:]
    assert torch.allclose(ratios, ratios[0].expand(9))
    seen = p.noise_level(p.train_times(2000, torch.Generator().manual_seed(0)))
    assert torch.isclose(seen[:, None], sig[None].float(), rtol=1e-4).any(1).all()


def test_vp_prior_is_standard_normal_and_overrides_apply():
    p = make_process("vp", DATA, beta_max=10.0)
    assert p.beta_max == 10.0
    assert float(p.std(1.0)) == pytest.approx(math.sqrt(1 - math.exp(-0.5 * (10.0 - 0.1) - 0.1)), rel=1e-5)


@pytest.mark.parametrize("name", list(PROCESSES))
def test_config_round_trip(name):
    p = make_process(name, DATA)
    assert process_from_config(p.config()) == p


def test_unknown_process_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown noise process 'xx'"):
        make_process("xx", DATA)


# --- the cosine schedule -------------------------------------------------------------------------------------------

def test_cosine_process_is_improved_ddpm_in_continuous_time():
    from scoreviz.core.cosine_process import BETA_CAP, COSINE_OFFSET, COSINE_T_MAX

    p = make_process("cosine")
    t = torch.linspace(p.t_min, p.t_max, 400, dtype=torch.float64)
    assert torch.allclose(p.alpha(t) ** 2 + p.std(t) ** 2, torch.ones_like(t), atol=1e-12)   # variance preserving
    f = lambda t: math.cos((t + COSINE_OFFSET) / (1 + COSINE_OFFSET) * math.pi / 2) ** 2
    assert float(p.alpha(0.0)) ** 2 == pytest.approx(1.0, abs=1e-12)
    assert float(p.alpha(0.3)) ** 2 == pytest.approx(f(0.3) / f(0.0), rel=1e-12)   # ᾱ = f(t)/f(0)
    sigma = p.noise_level(t)
    assert torch.all(sigma[1:] > sigma[:-1])
    assert torch.allclose(p.time_of(sigma), t, atol=1e-10)
    # β = −d ln ᾱ/dt, and t_max is where β·Δt reaches 0.999 (Δt = 1/1000): the clip never binds on [t_min, t_max]
    h = 1e-6
    for s in (0.1, 0.5, 0.9):
        numeric = -(math.log(f(s + h)) - math.log(f(s - h))) / (2 * h)
        assert float(p.beta(s)) == pytest.approx(numeric, rel=1e-6)
    assert p.t_max == COSINE_T_MAX and 0.99 < p.t_max < 1 and float(p.beta(p.t_max)) == pytest.approx(BETA_CAP)
    assert float(p.beta(0.9999)) == BETA_CAP and 300 < p.noise_range()[1] < 400
    assert p.variance_preserving and make_process("vp").variance_preserving
    assert not make_process("subvp").variance_preserving and not make_process("ve").variance_preserving


def test_cosine_t_max_can_be_lowered_but_not_raised():
    p = make_process("cosine", t_max=0.9)
    assert p.noise_range()[1] < make_process("cosine").noise_range()[1]
    with pytest.raises(ValueError, match="t_max"):
        make_process("cosine", t_max=0.9995)


# --- ρ sampling times (EDM) ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["ve", "vp", "cosine"])
def test_rho_sampling_times_give_the_edm_sigma_sequence(name):
    p = make_process(name, DATA, rho=7.0)
    lo, hi = p.noise_range()
    sigma = p.noise_level(p.sampling_times(20).double())
    assert float(sigma[0]) == pytest.approx(hi, rel=1e-4) and float(sigma[-1]) == pytest.approx(lo, rel=1e-4)
    expected = (hi ** (1 / 7) + torch.arange(21) / 20 * (lo ** (1 / 7) - hi ** (1 / 7))) ** 7
    assert torch.allclose(sigma, expected.double(), rtol=2e-4)
    roots = sigma ** (1 / 7)   # σ^{1/ρ} equally spaced
    assert torch.allclose(roots[1:] - roots[:-1], (roots[1] - roots[0]).expand(20), rtol=1e-3)
    # no ρ: uniform in t, as before
    assert torch.equal(make_process(name, DATA).sampling_times(5), torch.linspace(p.t_max, p.t_min, 6))


# --- parameters and their checks -----------------------------------------------------------------------------------

def test_schedule_parameters_list_the_editable_fields():
    from scoreviz.core.processes import schedule_parameters

    assert list(schedule_parameters(make_process("ve", DATA))) == ["sigma_min", "sigma_max", "rho"]
    assert list(schedule_parameters(make_process("ncsn", DATA))) == ["sigma_min", "sigma_max", "n_levels", "rho"]
    assert list(schedule_parameters(make_process("vp"))) == ["beta_min", "beta_max", "t_min", "rho"]
    assert list(schedule_parameters(make_process("subvp"))) == ["beta_min", "beta_max", "t_min", "rho"]
    assert list(schedule_parameters(make_process("cosine"))) == ["t_min", "t_max", "rho"]
    for name in PROCESSES:   # each round-trips through make_process
        p = make_process(name, DATA, rho=5.0)
        assert make_process(name, DATA, **schedule_parameters(p)) == p and p.config()["rho"] == 5.0


@pytest.mark.parametrize("name,overrides,message", [
    ("ve", dict(sigma_min=5.0, sigma_max=1.0), "sigma_min < sigma_max"),
    ("ncsn", dict(sigma_min=2.0, sigma_max=2.0), "sigma_min < sigma_max"),
    ("ve", dict(sigma_min=-1.0), "sigma_min"),
    ("ncsn", dict(n_levels=1), "at least 2 levels"),
    ("vp", dict(beta_min=5.0, beta_max=1.0), "beta_min ≤ beta_max"),
    ("subvp", dict(beta_min=-0.1), "beta_min"),
    ("vp", dict(t_min=0.0), r"t_min must be in \(0, 0.5\)"),
    ("cosine", dict(t_min=0.6), r"t_min must be in \(0, 0.5\)"),
    ("ve", dict(rho=0.0), "rho must be positive"),
    ("vp", dict(sigma_max=3.0), "the vp process has no parameter sigma_max"),
    ("ve", dict(n_levels=4), "no parameter n_levels"),
])
def test_bad_schedule_parameters_are_clear_errors(name, overrides, message):
    with pytest.raises(ValueError, match=message):
        make_process(name, DATA, **overrides)


def test_overrides_without_data_and_old_configs():
    p = make_process("ncsn", sigma_max=50.0)   # no data: the ladder size follows the overridden range
    assert p.sigma_min == 0.01 and p.n_levels > 20
    old = process_from_config({"name": "vp", "beta_min": 0.1, "beta_max": 20.0, "t_min": 1e-3})   # before ρ
    assert old == make_process("vp") and old.rho is None
