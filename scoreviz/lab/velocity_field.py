"""The velocity the particles follow: the probability-flow ODE's dx/dt, for any noise process (Qt-free).

Every process perturbs data as x_t = α(t)x₀ + s(t)ε, and the deterministic flow with the same marginals p_t is

    dx/dt = f(x, t) − ½g(t)²∇log p_t(x) = E[α'x₀ + s'ε | x_t = x]          (score SDE, eq. 13)

the regression of the conditional velocity α'x₀ + s'ε on x_t. Under the flow process (α = 1 − t, s = t) that is
the flow-matching velocity v = E[ε − x₀ | x_t] = −(x + t∇log p_t)/(1 − t), which core.flow_process converts
(`velocity_from_score`); the other processes use their SDE's f and g. So the "velocity" field kind means one
thing everywhere, "ODE velocity", and is the flow-matching v when the process is "flow".

Coordinates: a velocity moves particles, so it is drawn where they are, at x_t; the model and the exact score
are VE-scaled, s̃(y, σ̃) at y = x_t/α, and ∇log p_t(x) = s̃(x/α, σ̃)/α (core.samplers.ScoreFunction).

Colour: |dx/dt| is measured against the typical conditional speed per coordinate,

    r(t) = √(α'(t)²·m₂ + s'(t)²),   m₂ = E‖x₀‖²/D

so the bands mean the same at every t: under the flow process α' = −1, s' = 1 and r = √(m₂ + 1) is a constant
(the colour is |v| on one fixed scale); under VE, r = s' and |dx/dt|/r = s·|∇log p| = |σ·s|, the score arrows'
colour. The arrows' length is bounded as the score arrows' is.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from scoreviz.core.flow_process import FlowProcess, velocity_from_score
from scoreviz.core.process_base import NoiseProcess

#: The step of the central differences that give α'(t) and s'(t) (in t; one-sided at the ends of [t_min, t_max]).
DERIVATIVE_STEP = 1e-4


@dataclass(frozen=True)
class VelocityView:
    """Where a velocity field is drawn: time t of the slider's σ̃, α(t) (grid points y = x/α feed the VE-scaled
    scores) and r(t), the conditional speed the colour is measured against."""

    t: float
    alpha: float
    speed_scale: float


def time_derivatives(process: NoiseProcess, t: float) -> tuple[float, float]:
    """(α'(t), s'(t)) by central differences inside [t_min, t_max]."""
    lo, hi = max(process.t_min, t - DERIVATIVE_STEP), min(process.t_max, t + DERIVATIVE_STEP)
    times = torch.tensor([lo, hi], dtype=torch.float64)
    alpha, std = process.alpha(times).double(), process.std(times).double()
    return float(alpha[1] - alpha[0]) / (hi - lo), float(std[1] - std[0]) / (hi - lo)


def velocity_view(process: NoiseProcess, sigma: float, second_moment: float) -> VelocityView:
    """The view of the field at noise level σ̃ = `sigma` for data with m₂ = E‖x₀‖²/D = `second_moment`."""
    t = float(process.time_of(sigma))
    d_alpha, d_std = time_derivatives(process, t)
    scale = math.sqrt(d_alpha**2 * max(second_moment, 0.0) + d_std**2)
    return VelocityView(t=t, alpha=float(process.alpha(t)), speed_scale=scale if scale > 0 else 1.0)


def ode_velocity(process: NoiseProcess, x: Tensor, t: float, score: Tensor) -> Tensor:
    """dx/dt at x (M, D) and time t, from ∇log p_t(x) = `score` (M, D), float64 in and out. The drift of every
    process acts on each coordinate alone (f = c(t)·x), so a slice's two coordinates give its two components."""
    if isinstance(process, FlowProcess):
        return velocity_from_score(x, t, score)
    drift, g = process.sde(x, t)
    return drift - 0.5 * float(g) ** 2 * score


def second_moment(points: Tensor) -> float:
    """m₂ = E‖x₀‖²/D of data points (N, D) (1 without points)."""
    if points.numel() == 0:
        return 1.0
    return float(points.double().pow(2).sum(1).mean()) / points.shape[1]
