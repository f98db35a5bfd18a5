"""Flow matching: the flow process's marginals, the velocity ↔ score ↔ denoiser conversions against the exact
score of a Gaussian, the flow-matching loss as a weighted DSM loss, logit-normal times, and sampling."""
import math

import pytest
import torch

from scoreviz.core.flow_process import FlowProcess, score_from_velocity, velocity_from_denoised, velocity_from_score
from scoreviz.core.losses import dsm_loss, fm_loss
from scoreviz.core.model import build_denoiser
from scoreviz.core.networks.mlp import MLPConfig
from scoreviz.core.processes import make_process
from scoreviz.core.sampler_runs import run_to_end
from scoreviz.core.samplers import ScoreFunction, probability_flow_velocity
from scoreviz.core.schedule.training_noise import TrainingNoise
from scoreviz.core.training import TrainConfig, Trainer

M, V = torch.tensor([1.0, -0.5], dtype=torch.float64), torch.tensor([0.5, 2.0], dtype=torch.float64)


def _exact(x, t):
    """N(M, V) pushed through x_t = (1 − t)x₀ + tε: its score and E[x₀ | x_t]."""
    var = (1 - t) ** 2 * V + t**2
    score = -(x - (1 - t) * M) / var
    x0 = M + (1 - t) * V / var * (x - (1 - t) * M)
    return score, x0


def test_flow_marginals_on_a_gaussian():
    p = make_process("flow")
    gen = torch.Generator().manual_seed(0)
    x0 = M + V.sqrt() * torch.randn(200_000, 2, generator=gen, dtype=torch.float64)
    for t in (0.1, 0.5, 0.9):
        xt = p.alpha(t) * x0 + p.std(t) * torch.randn(x0.shape, generator=gen, dtype=torch.float64)
        assert torch.allclose(xt.mean(0), (1 - t) * M, atol=0.01)
        assert torch.allclose(xt.var(0), (1 - t) ** 2 * V + t**2, rtol=0.01)
        assert float(p.noise_level(t)) == pytest.approx(t / (1 - t)) and float(p.time_of(t / (1 - t))) == pytest.approx(t)


def test_velocity_score_and_denoiser_conversions_are_exact():
    gen = torch.Generator().manual_seed(1)
    x = 2 * torch.randn(500, 2, generator=gen, dtype=torch.float64)
    for t in (0.05, 0.3, 0.7, 0.95):
        score, x0 = _exact(x, t)
        eps = (x - (1 - t) * x0) / t                         # E[ε | x_t]
        v = velocity_from_denoised(x, t, x0)
        assert torch.allclose(v, eps - x0, atol=1e-12)       # v = E[ε − x₀ | x_t]
        assert torch.allclose(score_from_velocity(x, t, v), score, atol=1e-12)
        assert torch.allclose(velocity_from_score(x, t, score), v, atol=1e-12)
        # the probability-flow ODE of the flow process is dx/dt = v
        sf = ScoreFunction(lambda y, s: -(y - M) / (V + s**2), FlowProcess())
        assert torch.allclose(probability_flow_velocity(sf, FlowProcess(), x, t), v, atol=1e-10)
        # the VE-coordinate denoiser: D(x_t/(1 − t), σ̃) = E[x₀ | x_t]
        assert torch.allclose(sf.denoised(x, t), x0, atol=1e-10)


def test_flow_matching_loss_is_dsm_weighted_by_one_plus_sigma_squared():
    torch.manual_seed(0)
    model = build_denoiser(MLPConfig(), 1.0)
    x0 = torch.randn(64, 2)
    sigma = torch.exp(torch.linspace(-4, 4, 64))
    fm = fm_loss(model, x0, sigma, torch.Generator().manual_seed(3))
    dsm = dsm_loss(model, x0, sigma, torch.Generator().manual_seed(3))
    assert torch.allclose(fm, (1 + sigma) ** 2 * dsm, rtol=1e-3, atol=1e-6)


def test_logit_normal_times_on_the_flow_process():
    p = make_process("flow")
    sigma = TrainingNoise("logit_normal").sample_sigma(p, 100_000, torch.Generator().manual_seed(2))
    logit_t = torch.log(sigma).double()                      # ln σ̃ = logit t on the flow process
    assert float(logit_t.mean()) == pytest.approx(0.0, abs=0.02) and float(logit_t.std()) == pytest.approx(1.0, abs=0.02)
    shifted = TrainingNoise("logit_normal", logit_mean=1.0, logit_std=0.5).sample_sigma(p, 50_000)
    assert float(torch.log(shifted).mean()) == pytest.approx(1.0, abs=0.02)


@pytest.mark.parametrize("sampler,options", [("ode", dict(steps=60)), ("em", dict(steps=500))])
def test_samplers_with_the_exact_score_of_a_gaussian(sampler, options):
    p = make_process("flow")
    m, v = M.float(), V.float()
    score = ScoreFunction(lambda y, s: -(y - m) / (v + s**2), p)
    gen = torch.Generator().manual_seed(4)
    x = run_to_end(sampler, score, p.prior_sample((4000, 2), gen), generator=gen, **options)
    assert torch.allclose(x.mean(0), m, atol=0.08) and torch.allclose(x.var(0), v, rtol=0.1)


def test_a_flow_model_trains_with_the_flow_matching_loss():
    data = torch.randn(256, 2) * 0.5 + 1.0
    noise = TrainingNoise("logit_normal")
    trainer = Trainer(data, make_process("flow"), MLPConfig(), TrainConfig(steps=30, batch_size=64, loss="fm",
                                                                           noise=noise))
    stats = trainer.train()
    assert stats.step == 30 and math.isfinite(stats.loss)
