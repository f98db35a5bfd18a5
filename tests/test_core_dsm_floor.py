"""The irreducible DSM loss: the Gaussian closed form, and what a finite point set's exact score does."""
import numpy as np
import pytest
import torch

from scoreviz.core.dsm_floor import gaussian_floor, irreducible_dsm
from scoreviz.core.exact import pointset_score
from scoreviz.core.losses import dsm_loss
from scoreviz.core.mixture import GaussianMixture

SIGMAS = np.geomspace(0.01, 30.0, 32)


@pytest.mark.parametrize("dim,std", [(2, 0.7), (8, 1.5)])
def test_gaussian_floor_matches_the_closed_form(dim, std):
    gauss = GaussianMixture.isotropic([1.0], np.linspace(-1, 2, dim)[None], std)
    points = gauss.sample(20000, torch.Generator().manual_seed(0))
    floor = irreducible_dsm(gauss.score, points, SIGMAS, generator=torch.Generator().manual_seed(1))
    assert floor.shape == SIGMAS.shape
    np.testing.assert_allclose(floor, gaussian_floor(std, SIGMAS), atol=0.03)


def test_floor_is_the_dsm_loss_of_the_exact_score():
    """In core.losses' units: the mean dsm_loss of a model that returns the exact score."""
    gauss = GaussianMixture.isotropic([1.0], [[0.5, -1.0]], 1.2)

    class Exact:   # a "model" returning the exact score (every row at the same σ here)
        def score(self, y, sigma, labels=None):
            return gauss.score(y, float(sigma[0]))

    x0 = gauss.sample(4000, torch.Generator().manual_seed(2))
    sigma = torch.full((4000,), 0.9)
    loss = float(dsm_loss(Exact(), x0, sigma, torch.Generator().manual_seed(3)).mean())
    floor = irreducible_dsm(gauss.score, x0, [0.9], samples=4000, generator=torch.Generator().manual_seed(4))
    assert loss == pytest.approx(float(floor[0]), abs=0.04)
    assert loss == pytest.approx(float(gaussian_floor(1.2, 0.9)), abs=0.04)


def test_point_set_floor_vanishes_at_both_ends():
    """The ideal denoiser of a finite set: at σ far below the spacing y names its point and ε is known (floor → 0,
    unlike a continuous law's → 1); at large σ, y ≈ σε reveals ε (→ 0 too); in between it is not 0."""
    pts = torch.stack(torch.meshgrid(torch.arange(7.0), torch.arange(7.0), indexing="ij"), -1).reshape(-1, 2)

    def score(y, sigma):
        return pointset_score(y, pts, sigma)

    small, middle, large = irreducible_dsm(score, pts, [1e-3, 0.7, 300.0], generator=torch.Generator().manual_seed(0))
    assert small < 1e-6
    assert large < 1e-3
    assert middle > 0.2


def test_weight_multiplies_each_level():
    gauss = GaussianMixture.isotropic([1.0], [[0.0, 0.0]], 1.0)
    points = gauss.sample(2000, torch.Generator().manual_seed(0))
    sig = [0.1, 1.0, 10.0]
    plain = irreducible_dsm(gauss.score, points, sig, generator=torch.Generator().manual_seed(5))
    weighted = irreducible_dsm(gauss.score, points, sig, generator=torch.Generator().manual_seed(5),
                               weight=np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(weighted, plain * [1.0, 2.0, 3.0])


def test_bad_inputs_are_clear_errors():
    gauss = GaussianMixture.isotropic([1.0], [[0.0, 0.0]], 1.0)
    with pytest.raises(ValueError, match="data points"):
        irreducible_dsm(gauss.score, torch.zeros(0, 2), [1.0])
    with pytest.raises(ValueError, match="2 samples"):
        irreducible_dsm(gauss.score, torch.zeros(3, 2), [1.0], samples=1)
