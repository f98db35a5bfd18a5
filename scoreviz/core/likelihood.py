"""Exact log-likelihood through the probability-flow ODE (score SDE, §4.3 and App. D.2), for D ≤ 3.

Along dx/dt = v(x, t) = f(x, t) − ½g(t)² ∇log p_t(x), the log-density obeys d log p_t(x_t)/dt = −∇·v, so
    log p_{t_min}(x) = log p_1(x_1) + ∫_{t_min}^{1} ∇·v(x_t, t) dt,
integrated here with fixed RK4 steps on the augmented state (x, ∫∇·v). The divergence is exact: D backward
passes (one per coordinate) instead of Hutchinson's estimate, affordable for D ≤ 3. The prior is the Gaussian
N(m, s(1)²I) the process samples from.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor

from scoreviz.core.samplers import ScoreFunction, probability_flow_velocity


def _velocity_and_divergence(score: ScoreFunction, x: Tensor, t: float) -> tuple[Tensor, Tensor]:
    """v (N, D) and ∇·v (N,) with the exact Jacobian trace."""
    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        v = probability_flow_velocity(score, score.process, x, t)
        div = torch.zeros(x.shape[0], dtype=x.dtype)
        for i in range(x.shape[1]):
            (grad,) = torch.autograd.grad(v[:, i].sum(), x, retain_graph=i < x.shape[1] - 1)
            div = div + grad[:, i]
    return v.detach(), div.detach()


def prior_log_prob(process, x: Tensor) -> Tensor:
    std = process.prior_std()
    mean = torch.zeros(x.shape[1]) if getattr(process, "prior_mean", None) is None else torch.tensor(process.prior_mean)
    d = x.shape[1]
    return -0.5 * ((x - mean) ** 2).sum(1) / std**2 - d * math.log(std) - 0.5 * d * math.log(2 * math.pi)


def log_likelihood(score: ScoreFunction, x: Tensor, steps: int = 100, t_start: float | None = None) -> Tensor:
    """log p_t(x) at t = `t_start` (default t_min) for x (N, D) → (N,) in nats. `score.ve_score` must be
    differentiable in y (a model's `score` without inference mode, or an exact oracle)."""
    process = score.process
    start = process.t_min if t_start is None else float(t_start)
    times = torch.linspace(start, process.t_max, steps + 1).tolist()
    x = x.detach().clone()
    delta = torch.zeros(x.shape[0], dtype=x.dtype)
    for t, t_next in zip(times[:-1], times[1:]):
        dt = t_next - t
        th = t + 0.5 * dt
        v1, d1 = _velocity_and_divergence(score, x, t)
        v2, d2 = _velocity_and_divergence(score, x + 0.5 * dt * v1, th)
        v3, d3 = _velocity_and_divergence(score, x + 0.5 * dt * v2, th)
        v4, d4 = _velocity_and_divergence(score, x + dt * v3, t_next)
        x = x + dt / 6 * (v1 + 2 * v2 + 2 * v3 + v4)
        delta = delta + dt / 6 * (d1 + 2 * d2 + 2 * d3 + d4)
    return prior_log_prob(process, x) + delta


def ve_log_density(score: ScoreFunction, y: Tensor, noise_level: float, steps: int = 100) -> Tensor:
    """log p̃_σ̃(y), the density of the data noised as y = x₀ + σ̃ε (the VE-equivalent coordinates every view of
    the lab draws in), for y (N, D) → (N,) nats: x = α(t)·y has density p_t(x) with t = t(σ̃), so
    log p̃_σ̃(y) = log p_t(α y) + D·log α(t) (the change of variables y ↦ αy)."""
    process = score.process
    t = float(process.time_of(torch.tensor(float(noise_level), dtype=torch.float64)))
    alpha = float(process.alpha(t))
    return log_likelihood(score, alpha * y, steps=steps, t_start=t) + y.shape[1] * math.log(alpha)
