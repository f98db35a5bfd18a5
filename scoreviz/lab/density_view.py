"""The model's own density: what the learned score defines as a distribution, beside the truth.

A score model defines a density through its probability-flow ODE (Song et al. 2021, score SDE, §4.3):
log p_σ̃(y) = log p_prior(y_T) + ∫ ∇·v dt along the ODE from the level σ̃ to the prior (core.likelihood). In
2-D the divergence is exact (two backward passes, no Hutchinson noise), so the map shows the model's
log-density on a grid over the view at the slider's σ̃, beside the exact log-density of the data noised at σ̃
(core.exact_grid), and the held-out data's negative log-likelihood at the process's smallest σ̃, in nats per
point: the number training lowers. Qt-free; the session computes it in its ticks while the view is shown.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from scoreviz.core.exact_grid import exact_on_grid, grid_points
from scoreviz.core.likelihood import ve_log_density
from scoreviz.core.samplers import ScoreFunction
from scoreviz.lab.frames import ReadOnlyArrays

#: Grid points per axis of the model's map (each point is one ODE solve: 24² solves take about a second here).
DENSITY_GRID = 24
#: RK4 steps of each ODE solve (4 evaluations and 2 backward passes a step).
ODE_STEPS = 24
#: Held-out points the negative log-likelihood is averaged over.
NLL_POINTS = 256


@dataclass(frozen=True, kw_only=True)
class DensityFrame(ReadOnlyArrays):
    """log p̃_σ̃ on an (ny, nx) grid over `rect` (x, y, width, height): the model's (None without a model) and the
    exact one of the noised data, and the held-out NLL in nats per point (NaN without a model)."""

    rect: tuple[float, float, float, float]
    model: np.ndarray | None          # (ny, nx) float32, nats
    exact: np.ndarray                 # (ny, nx) float32, nats
    sigma: float
    heldout_nll: float
    data_version: int


def learned_ve_score(model, device: torch.device):
    """A differentiable VE score y (N, D), σ̃ → (N, D) of a trained Denoiser, on the CPU (the ODE's divergence
    needs the graph, so not the inference-mode score the samplers use)."""
    return lambda y, sigma: model.score(y.float().to(device), sigma).double().cpu()


def model_log_density(model, device, process, points: torch.Tensor, sigma: float, steps: int = ODE_STEPS):
    """The model's log p̃_σ̃ at points (N, D) → (N,) float64."""
    score = ScoreFunction(learned_ve_score(model, device), process)
    return ve_log_density(score, points.double(), sigma, steps=steps)


def heldout_nll(dataset, process, model, device, n: int = NLL_POINTS, steps: int = ODE_STEPS) -> float:
    """Mean −log p̃ of n held-out points at the process's smallest σ̃, in nats per point."""
    points = dataset.heldout[:n]
    sigma_min = process.noise_range()[0]
    return float(-model_log_density(model, device, process, points, sigma_min, steps).mean())


def density_frame(dataset, process, model, device, rect, sigma: float, version: int, *, n: int = DENSITY_GRID,
                  steps: int = ODE_STEPS) -> DensityFrame:
    """The map over `rect` (x, y, width, height) at σ̃ = `sigma` for 2-D data (model None: the exact map only)."""
    x0, y0, w, h = rect
    xs, ys = np.linspace(x0, x0 + w, n), np.linspace(y0, y0 + h, n)
    _, exact = exact_on_grid(dataset, xs, ys, sigma, score=False, log_density=True)
    learned, nll = None, math.nan
    if model is not None:
        pts = torch.from_numpy(grid_points(xs, ys))
        learned = model_log_density(model, device, process, pts, sigma, steps).numpy().reshape(n, n)
        nll = heldout_nll(dataset, process, model, device, steps=steps)
    return DensityFrame(rect=tuple(map(float, rect)), model=None if learned is None else learned.astype(np.float32),
                        exact=exact.reshape(n, n).astype(np.float32), sigma=float(sigma), heldout_nll=nll,
                        data_version=version)
