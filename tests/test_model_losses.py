"""The preconditioned denoiser and the two score-matching losses, against closed forms."""

import pytest
import torch

from scoreviz.core.losses import dsm_loss, ssm_loss
from scoreviz.core.model import build_denoiser, config_from_dict, config_to_dict
from scoreviz.core.networks.mlp import MLPConfig


class ExactGaussianScore(torch.nn.Module):
    """A stand-in 'model' whose score is the exact one of N(μ, s²I) noised at σ, times `scale`."""

    def __init__(self, mu, s, scale=1.0):
        super().__init__()
        self.mu, self.s, self.scale = torch.as_tensor(mu), s, scale

    def score(self, y, sigma, labels=None):
        sigma = torch.as_tensor(sigma).reshape(-1, 1)
        return -self.scale * (y - self.mu) / (self.s**2 + sigma**2)


def test_score_equals_tweedie_of_the_denoiser():
    # float64: at σ = 0.01 the reference (D − y)/σ² loses four digits to cancellation, which in float32 is
    # ~1e-3 — as large as the tolerance (the model's own formula has no cancellation; that is its point)
    torch.manual_seed(0)
    model = build_denoiser(MLPConfig(dim=2), sigma_data=0.7).double()
    torch.nn.init.normal_(model.backbone.output.weight, std=0.3)
    y = torch.randn(16, 2, dtype=torch.float64)
    for sigma in (0.01, 0.5, 20.0):
        assert torch.allclose(model.score(y, sigma), (model(y, sigma) - y) / sigma**2, rtol=1e-3, atol=1e-3)


def test_untrained_model_is_the_score_of_a_wide_gaussian():
    """With F = 0 (zero-initialised output) the score is −y/(σ²+σ_d²): N(0, σ_d²) noised at σ."""
    model = build_denoiser(MLPConfig(dim=2), sigma_data=1.5)
    y = torch.randn(8, 2)
    assert torch.allclose(model.score(y, 2.0), -y / (4.0 + 2.25))


def test_per_sample_sigma_and_scalar_sigma_agree_and_samples_are_independent():
    # float64: batches of different sizes may take different float32 matmul kernels (last-bit differences)
    torch.manual_seed(0)
    model = build_denoiser(MLPConfig(dim=3, width=32, depth=2), sigma_data=1.0).double()
    torch.nn.init.normal_(model.backbone.output.weight)
    y = torch.randn(5, 3, dtype=torch.float64)
    scalar = model.score(y, 0.3)
    per_sample = model.score(y, torch.full((5,), 0.3, dtype=torch.float64))
    assert torch.allclose(scalar, per_sample, atol=1e-6)
    assert torch.allclose(model.score(y[:2], 0.3), scalar[:2], atol=1e-6)


def test_mlp_config_round_trip():
    cfg = MLPConfig(dim=1, width=48, depth=2)
    assert config_from_dict(config_to_dict(cfg)) == cfg


@pytest.mark.parametrize("sigma", [0.1, 1.0, 5.0])
def test_dsm_loss_of_the_exact_score_has_its_closed_form(sigma):
    """For data N(μ, s²I), E‖σ s*(y) + ε‖²/D = σ²/(s² + σ²) · ... = s²/(s² + σ²) per dimension."""
    mu, s = torch.tensor([1.0, -2.0]), 0.5
    x0 = mu + s * torch.randn(50_000, 2, generator=torch.Generator().manual_seed(0))
    loss = dsm_loss(ExactGaussianScore(mu, s), x0, torch.full((x0.shape[0],), sigma), torch.Generator().manual_seed(1))
    assert float(loss.mean()) == pytest.approx(s**2 / (s**2 + sigma**2), rel=0.03)


@pytest.mark.parametrize("loss_fn", [dsm_loss, ssm_loss])
def test_exact_score_minimises_both_losses(loss_fn):
    mu, s = torch.tensor([0.5, 0.0]), 0.8
    x0 = mu + s * torch.randn(40_000, 2, generator=torch.Generator().manual_seed(0))
    sigma = torch.full((x0.shape[0],), 0.6)
    values = {scale: float(loss_fn(ExactGaussianScore(mu, s, scale), x0, sigma, torch.Generator().manual_seed(1)).mean().detach())
              for scale in (0.8, 1.0, 1.25)}
    assert values[1.0] < values[0.8] and values[1.0] < values[1.25]


def test_dsm_training_reaches_the_gaussian_optimum():
    """DSM on N(μ, s²I) data: the learned score approaches −(x − μ)/(s² + σ²)."""
    from scoreviz.core.processes import make_process
    from scoreviz.core.training import TrainConfig, Trainer

    torch.manual_seed(0)
    mu, s = torch.tensor([1.0, -0.5]), 0.6
    data = mu + s * torch.randn(4000, 2, generator=torch.Generator().manual_seed(0))
    trainer = Trainer(data, make_process("ve", data), MLPConfig(dim=2, width=64, depth=2),
                      TrainConfig(steps=400, batch_size=256, lr=5e-3))
    trainer.train()
    y = mu + 1.5 * torch.randn(500, 2, generator=torch.Generator().manual_seed(2))
    for sigma in (0.3, 1.0, 3.0):
        with torch.no_grad():
            learned = trainer.ema.score(y, sigma)
        exact = -(y - mu) / (s**2 + sigma**2)
        rel = (learned - exact).norm(dim=1).median() / exact.norm(dim=1).median()
        assert rel < 0.15, f"σ={sigma}: relative error {float(rel):.3f}"
