"""Exact scores: closed-form mixtures and the ideal denoiser, checked against autograd of their log-densities."""
import math

import pytest
import torch

from scoreviz.core.exact import pointset_denoiser, pointset_log_prob, pointset_score
from scoreviz.core.mixture import GaussianMixture


def _autograd_score(log_prob, x):
    x = x.clone().double().requires_grad_(True)
    (grad,) = torch.autograd.grad(log_prob(x).sum(), x)
    return grad


@pytest.fixture
def anisotropic_mixture():
    covs = torch.tensor([[[1.0, 0.3], [0.3, 0.5]], [[0.2, 0.0], [0.0, 2.0]], [[0.4, -0.1], [-0.1, 0.3]]])
    return GaussianMixture(torch.tensor([0.5, 0.3, 0.2]), torch.tensor([[0.0, 0.0], [3.0, -1.0], [-2.0, 2.0]]), covs)


@pytest.mark.parametrize("sigma", [0.0, 0.1, 1.0, 10.0])
def test_mixture_score_is_gradient_of_log_prob(anisotropic_mixture, sigma):
    x = torch.randn(64, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 3
    expected = _autograd_score(lambda y: anisotropic_mixture.log_prob(y, sigma), x)
    assert torch.allclose(anisotropic_mixture.score(x, sigma), expected, atol=1e-9)


def test_mixture_log_prob_is_normalised_and_matches_single_gaussian():
    g = GaussianMixture.isotropic([1.0], [[1.0, -2.0]], 0.5)
    x = torch.tensor([[0.0, 0.0], [1.0, -2.0]], dtype=torch.float64)
    var = 0.25 + 0.3**2
    expected = -((x - torch.tensor([1.0, -2.0])) ** 2).sum(1) / (2 * var) - math.log(2 * math.pi * var)
    assert torch.allclose(g.log_prob(x, 0.3), expected)
    assert torch.allclose(g.score(x, 0.3), -(x - torch.tensor([1.0, -2.0])) / var)


def test_mixture_sample_moments_match_closed_form(anisotropic_mixture):
    samples = anisotropic_mixture.sample(200_000, torch.Generator().manual_seed(1)).double()
    assert torch.allclose(samples.mean(0), anisotropic_mixture.mean(), atol=0.02)
    assert torch.allclose(torch.cov(samples.T), anisotropic_mixture.covariance(), atol=0.05)


def test_responsibilities_sum_to_one_and_pick_the_near_mode(anisotropic_mixture):
    r = anisotropic_mixture.responsibilities(torch.tensor([[3.0, -1.0], [-2.0, 2.0]]))
    assert torch.allclose(r.sum(1), torch.ones(2))
    assert r.argmax(1).tolist() == [1, 2]


@pytest.mark.parametrize("sigma", [0.05, 0.5, 3.0])
def test_pointset_score_is_gradient_of_pointset_log_prob(sigma):
    gen = torch.Generator().manual_seed(2)
    points = torch.randn(300, 2, generator=gen)
    x = torch.randn(50, 2, generator=gen, dtype=torch.float64) * 2
    expected = _autograd_score(lambda y: pointset_log_prob(y, points, sigma), x)
    assert torch.allclose(pointset_score(x, points, sigma), expected, atol=1e-8)


def test_pointset_of_one_point_is_a_gaussian():
    point = torch.tensor([[2.0, -1.0]])
    x = torch.randn(10, 2, dtype=torch.float64)
    g = GaussianMixture.isotropic([1.0], point, 0.0 + 1e-12)
    assert torch.allclose(pointset_score(x, point, 0.7), g.score(x, 0.7), atol=1e-8)
    assert torch.allclose(pointset_log_prob(x, point, 0.7), g.log_prob(x, 0.7), atol=1e-8)


def test_pointset_denoiser_snaps_to_nearest_point_at_small_sigma_and_to_mean_at_large():
    points = torch.tensor([[0.0, 0.0], [4.0, 0.0]])
    x = torch.tensor([[0.5, 0.2], [3.4, -0.3]])
    assert torch.allclose(pointset_denoiser(x, points, 0.05).float(), points)
    assert torch.allclose(pointset_denoiser(x, points, 1e3).float(), points.mean(0).expand(2, 2), atol=1e-3)


def test_pointset_chunks_give_the_same_answer(monkeypatch):
    import scoreviz.core.exact as exact

    gen = torch.Generator().manual_seed(3)
    points, x = torch.randn(500, 2, generator=gen), torch.randn(700, 2, generator=gen)
    whole = pointset_score(x, points, 0.3)
    monkeypatch.setattr(exact, "_CHUNK_ELEMENTS", 5000)
    assert torch.allclose(pointset_score(x, points, 0.3), whole)


@pytest.mark.parametrize("sigma", [0.02, 0.3, 2.0])
def test_grid_evaluation_of_a_point_set_equals_the_pointwise_ideal_denoiser(sigma):
    """The factorised grid path the app's field uses (exact_grid) matches Dataset.exact_score / log density."""
    import numpy as np

    from scoreviz.core.data import make_preset
    from scoreviz.core.exact_grid import exact_on_grid, grid_points

    ds = make_preset("moons", n_train=800)
    xs, ys = np.linspace(-3, 3, 9), np.linspace(-2, 2, 6)
    score, log_p = exact_on_grid(ds, xs, ys, sigma, score=True, log_density=True)
    pts = torch.from_numpy(grid_points(xs, ys))
    assert np.allclose(score.reshape(-1, 2), ds.exact_score(pts, sigma).numpy(), rtol=1e-6, atol=1e-6)
    assert np.allclose(log_p.reshape(-1), ds.exact_log_density(pts, sigma).numpy(), atol=1e-6)
