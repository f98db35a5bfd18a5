"""The stable target (Xu et al. 2023): the noise's posterior mean over the batch, against a hand-computed two-point
posterior, its limits at small and large σ̃, the DSM value it still estimates, and the gradient noise it removes."""
from __future__ import annotations

import math

import pytest
import torch

from scoreviz.core.losses import dsm_loss, fm_loss, stable_noise
from scoreviz.core.model import build_denoiser
from scoreviz.core.networks.mlp import MLPConfig
from scoreviz.core.training import TrainConfig


def test_the_target_is_the_two_point_posterior_mean():
    x0 = torch.tensor([[0.0, 0.0], [2.0, 1.0]], dtype=torch.float64)
    y = torch.tensor([[0.5, 0.2], [1.0, 1.5]], dtype=torch.float64)
    sigma = torch.tensor([0.8, 1.5], dtype=torch.float64)
    eps_hat, mean_x0 = stable_noise(y, x0, sigma)
    for i in range(2):   # p(x₀ = a | y) ∝ exp(−‖y − a‖²/2σ²), both points a priori equal
        like = [math.exp(-float(((y[i] - a) ** 2).sum()) / (2 * float(sigma[i]) ** 2)) for a in x0]
        w = [v / sum(like) for v in like]
        expected = w[0] * x0[0] + w[1] * x0[1]
        torch.testing.assert_close(mean_x0[i], expected)
        torch.testing.assert_close(eps_hat[i], (y[i] - expected) / sigma[i])


def test_small_noise_keeps_the_own_noise_and_large_noise_averages_the_batch():
    g = torch.Generator().manual_seed(0)
    x0 = torch.randn(64, 2, generator=g, dtype=torch.float64) * 3
    eps = torch.randn(64, 2, generator=g, dtype=torch.float64)
    small = torch.full((64,), 1e-3, dtype=torch.float64)
    torch.testing.assert_close(stable_noise(x0 + small[:, None] * eps, x0, small)[0], eps)
    large = torch.full((64,), 1e4, dtype=torch.float64)
    _, mean_x0 = stable_noise(x0 + large[:, None] * eps, x0, large)
    torch.testing.assert_close(mean_x0, x0.mean(0).expand(64, 2), atol=1e-2, rtol=0)   # weights equal to ~1e-4


def test_labels_restrict_the_reference_to_their_class():
    x0 = torch.tensor([[0.0, 0.0], [0.1, 0.0], [0.0, 0.1]])
    y = x0 + 0.5
    _, mean_x0 = stable_noise(y, x0, torch.full((3,), 2.0), labels=torch.tensor([0, 1, 1]))
    torch.testing.assert_close(mean_x0[0], x0[0])              # alone in its class: its own x₀
    assert not torch.allclose(mean_x0[1], x0[1])


class GaussianScore(torch.nn.Module):
    """The exact score of N(0, I) noised at σ: −y/(1 + σ²); as a denoiser, D = y + σ²s."""

    def score(self, y, sigma, labels=None):
        return -y / (1 + torch.as_tensor(sigma).reshape(-1, *[1] * (y.ndim - 1)) ** 2)

    def forward(self, y, sigma, labels=None):
        return y + torch.as_tensor(sigma).reshape(-1, *[1] * (y.ndim - 1)) ** 2 * self.score(y, sigma)


@pytest.mark.parametrize("loss", [dsm_loss, fm_loss])
def test_the_value_still_estimates_the_plain_loss(loss):
    """E[value] is the plain loss's expectation: what the per-level losses and the DSM floor are read against."""
    g = torch.Generator().manual_seed(1)
    x0 = torch.randn(4000, 2, generator=g, dtype=torch.float64)
    sigma = torch.full((4000,), 1.0, dtype=torch.float64)
    model = GaussianScore()
    plain = loss(model, x0, sigma, torch.Generator().manual_seed(2)).mean()
    stable = loss(model, x0, sigma, torch.Generator().manual_seed(2), stable_target=True).mean()
    assert float(stable) == pytest.approx(float(plain), rel=0.03)


def _gradients(stable: bool, sigma: float, batches: int = 24) -> torch.Tensor:
    torch.manual_seed(0)
    model = build_denoiser(MLPConfig(dim=2), sigma_data=0.5)
    g = torch.Generator().manual_seed(3)
    angle = torch.rand(256, generator=g) * 2 * math.pi       # a ring of radius 1: thin data, one batch of it
    x0 = torch.stack([angle.cos(), angle.sin()], 1)
    grads = []
    for _ in range(batches):                                  # the noise drawn afresh each time
        model.zero_grad()
        dsm_loss(model, x0, torch.full((256,), sigma), g, stable_target=stable).mean().backward()
        grads.append(torch.cat([p.grad.flatten() for p in model.parameters()]))
    return torch.stack(grads)


def test_the_stable_target_quiets_the_gradient_where_the_data_hide_the_noise():
    """On one batch of a ring, at σ̃ = half its radius, the gradient's spread over draws of the noise falls; its mean
    stays (the same objective up to the batch's O(1/N))."""
    plain, stable = _gradients(False, 0.5), _gradients(True, 0.5)
    assert float(stable.var(0).sum()) < 0.5 * float(plain.var(0).sum())    # measured 0.23
    cosine = torch.nn.functional.cosine_similarity(plain.mean(0), stable.mean(0), dim=0)
    assert float(cosine) > 0.95


def test_sliced_score_matching_refuses_a_stable_target():
    with pytest.raises(ValueError, match="stable target needs the noise"):
        TrainConfig(loss="ssm", stable_target=True)
