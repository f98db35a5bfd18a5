"""The model's own density (lab.density_view) against closed forms: a 'model' whose score is the exact score of a
Gaussian mixture must give the mixture's log-density through the probability-flow ODE, at σ_min and at any σ."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from scoreviz.core.data import make_preset
from scoreviz.core.exact_grid import exact_on_grid
from scoreviz.core.processes import make_process
from scoreviz.lab.density_view import density_frame, heldout_nll, model_log_density


class ExactModel:
    """Stands in for a trained Denoiser: its score is the mixture's exact (differentiable) score."""

    def __init__(self, dataset):
        self.dataset = dataset

    def score(self, y, sigma):
        return self.dataset.mixture.score(y.double(), float(sigma))


@pytest.fixture(scope="module")
def eight():
    return make_preset("8gaussians", n_train=500, n_heldout=200)


@pytest.mark.parametrize("process_name", ["ve", "vp"])
def test_the_odes_density_of_the_exact_score_is_the_mixtures_at_sigma_min(eight, process_name):
    process = make_process(process_name, eight.train)
    sigma_min = process.noise_range()[0]
    pts = eight.heldout[:64].double()
    got = model_log_density(ExactModel(eight), torch.device("cpu"), process, pts, sigma_min, steps=60)
    want = eight.exact_log_density(pts, sigma_min)
    error = (got - want).abs()            # nats per point: 60 RK4 steps uniform in t leave a few hundredths
    assert float(error.mean()) < 0.02 and float(error.max()) < 0.1
    nll = heldout_nll(eight, process, ExactModel(eight), torch.device("cpu"), n=64, steps=60)
    assert nll == pytest.approx(float(-want.mean()), abs=0.03)


def test_the_map_beside_the_exact_one_at_the_sliders_sigma(eight):
    process = make_process("ve", eight.train)
    sigma, rect = 0.8, (-4.0, -4.0, 8.0, 8.0)
    frame = density_frame(eight, process, ExactModel(eight), torch.device("cpu"), rect, sigma, version=3, n=9,
                          steps=40)
    xs = ys = np.linspace(-4.0, 4.0, 9)
    _, exact = exact_on_grid(eight, xs, ys, sigma, score=False, log_density=True)
    np.testing.assert_allclose(frame.exact, exact.reshape(9, 9), rtol=1e-5, atol=1e-5)
    assert frame.model.shape == (9, 9) and not frame.model.flags.writeable
    np.testing.assert_allclose(frame.model, frame.exact, atol=0.1)       # 40 RK4 steps: ≤ 0.08 nats in the tails
    assert frame.data_version == 3 and frame.sigma == sigma and math.isfinite(frame.heldout_nll)
    # without a model: the exact map alone, and no NLL
    bare = density_frame(eight, process, None, torch.device("cpu"), rect, sigma, version=3, n=9)
    assert bare.model is None and math.isnan(bare.heldout_nll)
