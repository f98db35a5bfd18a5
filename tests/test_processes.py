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
    t = torch.linspace(max(p.t_min, 0.01), 1.0, 50)
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
