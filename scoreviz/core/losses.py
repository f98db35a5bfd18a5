"""Score-matching losses in the VE-equivalent coordinates y = x₀ + σε (see processes.py), per sample.

Denoising score matching with λ(σ) = σ² (Vincent 2011; Song & Ermon 2019, eq. 2):
    ℓ_DSM = σ² ‖s(y, σ) + ε/σ‖² = ‖σ s(y, σ) + ε‖²,
whose minimiser is the score of the noised data. For a process with x_t = αx₀ + sε this is the same loss
with weight s(t)² once the network is evaluated at y = x_t/α (so all processes share it).

Sliced score matching, variance-reduced (Song et al. 2019, eq. 8), on the noised samples y:
    ℓ_SSM = σ² (vᵀ∇_y(vᵀ s(y, σ)) + ½‖s(y, σ)‖²),  v ~ N(0, I),
whose minimiser is also the score of p_σ, found without knowing the noise that produced y.
Conditional flow matching (Lipman et al. 2023; Liu et al. 2023, rectified flow), in the flow process's
coordinates x_t = (1 − t)x₀ + tε = (1 − t)y with t = σ̃/(1 + σ̃) (flow_process.py):
    ℓ_FM = ‖v_θ − (ε − x₀)‖²,  v_θ = (x_t − D(y, σ̃))/t,
the denoiser D read as a velocity. ℓ_FM = ‖D − x₀‖²/t² = (1 + σ̃)²·ℓ_DSM for the same ε, so its minimiser is the
same score (Kingma & Gao 2023: a weighting); under any process it trains the same model, weighted as SD3 does.
All losses return (N,) values, already divided by the dimension of x, so their scales compare across D.

Antithetic noise (`antithetic=True`): the second half of the batch takes the first half's noises negated,
ε_{i+⌈N/2⌉} = −ε_i (the trainer pairs x₀ and σ̃ the same way, TrainConfig.antithetic). Each pair's loss is even in ε,
so the part of the gradient odd in ε — at a noise level where the data hide most of ε (a high DSM floor,
core.dsm_floor), most of its variance — cancels within the pair; the expected loss is unchanged.

A stable target (`stable_target=True`; Xu et al. 2023, "Stable Target Field for Reduced Variance Score
Estimation in Diffusion Models", eq. 6): DSM's target ε is replaced by its posterior mean given y under the batch's
own data points as the reference set,

    ε̂_i = (y_i − x̄_i)/σ_i,   x̄_i = Σ_j w_ij x₀_j,   w_ij = softmax_j(−‖y_i − x₀_j‖²/(2σ_i²)),

so ℓ = ‖σs + ε̂‖². Where the data hide ε (the middle σ̃: y is near many data points) ε̂ averages over them and the
gradient's noise falls; at a small σ̃ the own x₀ dominates and ε̂ → ε (plain DSM); at a large σ̃ ε̂ → (y − batch
mean)/σ. Its minimiser is the noised data's score up to the reference set's O(1/N) bias (STF, Thm. 1). The value
returned adds the detached ‖ε − ε̂‖², so it estimates DSM's own loss (E[⟨σs + ε̂, ε − ε̂⟩ | y] = 0): the per-level
losses and the DSM floor keep their meaning. Pairs of equal labels only, when labels are given.
"""
from __future__ import annotations

import torch
from torch import Tensor

from scoreviz.core.processes import append_dims


def _noised(x0: Tensor, sigma: Tensor, generator: torch.Generator | None, antithetic: bool = False):
    if antithetic:
        n, half = x0.shape[0], (x0.shape[0] + 1) // 2
        eps = torch.randn((half, *x0.shape[1:]), generator=generator, device=x0.device, dtype=x0.dtype)
        eps = torch.cat([eps, -eps])[:n]
    else:
        eps = torch.randn(x0.shape, generator=generator, device=x0.device, dtype=x0.dtype)
    return x0 + append_dims(sigma, x0.ndim) * eps, eps


def _per_sample_mean(v: Tensor) -> Tensor:
    return v.reshape(v.shape[0], -1).mean(1)


@torch.no_grad()
def stable_noise(y: Tensor, x0: Tensor, sigma: Tensor, labels: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """(ε̂, x̄), each shaped like y (N, *shape): the posterior mean of the noise and of x₀ given y_i = x₀_i + σ_i ε_i
    when x₀ is one of the batch's rows (module docstring: the stable target).

    log w_ij = −‖y_i − x₀_j‖²/2σ_i² + c_i = (y_i/σ_i²)·x₀_j − ‖x₀_j‖²/2σ_i² + c_i: one product of (N, D+1) and
    (D+1, N) gives every logit (c_i cancels in the softmax). A reference smaller than the batch biases the target
    (measured: the gradient's mean turns by 50° on a ring at 128 of 512 rows), so there is none."""
    n = y.shape[0]
    flat_y, flat_x0 = y.reshape(n, -1), x0.reshape(n, -1)
    inv = (1 / sigma**2)[:, None]
    logits = torch.cat([flat_y * inv, -0.5 * inv], 1) @ torch.cat([flat_x0, flat_x0.square().sum(1, True)], 1).T
    # weights below e^−60 of a row's largest are 0 to any sum here; kept at e^−60 they stay normal floats, whose exp
    # is several times faster on a CPU than the subnormals a small σ̃ would give
    logits = (logits - logits.amax(1, keepdim=True)).clamp_min_(-60.0)
    if labels is not None:
        logits = logits.masked_fill(labels[:, None] != labels[None, :], -torch.inf)
    mean_x0 = (torch.softmax(logits, 1) @ flat_x0).reshape(x0.shape)
    return (y - mean_x0) / append_dims(sigma, y.ndim), mean_x0


def dsm_loss(model, x0: Tensor, sigma: Tensor, generator=None, labels=None, antithetic: bool = False,
             stable_target: bool = False) -> Tensor:
    """x0 (N, *shape), sigma (N,) → (N,) denoising score matching loss with λ(σ) = σ² (with `stable_target`, its
    stable-target form: module docstring)."""
    y, eps = _noised(x0, sigma, generator, antithetic)
    score = model.score(y, sigma, labels)
    if not stable_target:
        return _per_sample_mean((append_dims(sigma, x0.ndim) * score + eps) ** 2)
    eps_hat, _ = stable_noise(y, x0, sigma, labels)
    fit = _per_sample_mean((append_dims(sigma, x0.ndim) * score + eps_hat) ** 2)
    return fit + _per_sample_mean((eps - eps_hat) ** 2)


def ssm_loss(model, x0: Tensor, sigma: Tensor, generator=None, labels=None, antithetic: bool = False) -> Tensor:
    """x0 (N, *shape), sigma (N,) → (N,) variance-reduced sliced score matching loss with λ(σ) = σ²."""
    y, _ = _noised(x0, sigma, generator, antithetic)
    y = y.detach().requires_grad_(True)
    score = model.score(y, sigma, labels)
    v = torch.randn(y.shape, generator=generator, device=y.device, dtype=y.dtype)
    (grad_vs,) = torch.autograd.grad((score * v).sum(), y, create_graph=True)
    sigma2 = append_dims(sigma, x0.ndim) ** 2
    per_dim = sigma2 * (v * grad_vs + 0.5 * score**2)
    # Shift by the constant σ²·E‖∇log p‖² is unknown; the value is comparable across steps, not to zero.
    return _per_sample_mean(per_dim)


def fm_loss(model, x0: Tensor, sigma: Tensor, generator=None, labels=None, antithetic: bool = False,
            stable_target: bool = False) -> Tensor:
    """x0 (N, *shape), sigma (N,) → (N,) conditional flow-matching loss ‖v_θ − (ε − x₀)‖² (module docstring); with
    `stable_target` the target velocity is ε̂ − x̄ (its posterior mean: the stable target's, above)."""
    y, eps = _noised(x0, sigma, generator, antithetic)
    t = append_dims(sigma / (1 + sigma), x0.ndim)
    velocity = ((1 - t) * y - model(y, sigma, labels)) / t
    if not stable_target:
        return _per_sample_mean((velocity - (eps - x0)) ** 2)
    eps_hat, mean_x0 = stable_noise(y, x0, sigma, labels)
    target = eps_hat - mean_x0
    return _per_sample_mean((velocity - target) ** 2) + _per_sample_mean((eps - x0 - target) ** 2)


LOSSES = {"dsm": dsm_loss, "ssm": ssm_loss, "fm": fm_loss}
