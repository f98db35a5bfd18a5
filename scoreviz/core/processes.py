"""Noise processes behind one interface: NCSN's σ ladder and the VE, VP and sub-VP SDEs (Song et al. 2021).

Every process perturbs data by x_t = α(t)·x₀ + s(t)·ε, ε ~ N(0, I), for t ∈ [t_min, 1]. Dividing by α gives
x_t/α = x₀ + σ̃(t)·ε with the *noise level* σ̃(t) = s(t)/α(t): the VE-equivalent σ that the σ slider shows and
that the network is conditioned on (EDM, Karras et al. 2022, §4). So one denoiser D(y, σ̃) serves all four
processes; what differs is the SDE dx = f(x,t)dt + g(t)dw used for sampling and the σ̃ visited in training.

    VE:      α = 1,            s = σ_min(σ_max/σ_min)^t,  f = 0,          g = s·√(2 log(σ_max/σ_min))
    NCSN:    VE restricted to L geometric levels σ₁ > … > σ_L (Song & Ermon 2019)
    VP:      α = exp(−½∫β),    s = √(1 − α²),             f = −½β(t)x,    g = √β(t),           β(t) = β₀ + t(β₁−β₀)
    sub-VP:  α = exp(−½∫β),    s = 1 − α²,                f = −½β(t)x,    g = √(β(t)(1 − α⁴))
"""
from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass

import torch
from torch import Tensor


def _as_tensor(t) -> Tensor:
    """A tensor keeps its dtype; a Python number becomes a float64 scalar (exact schedules, and a 0-dim tensor
    does not promote the dtype of the batch it multiplies)."""
    return t if isinstance(t, Tensor) and t.is_floating_point() else torch.as_tensor(t, dtype=torch.float64)


def append_dims(v: Tensor, ndim: int) -> Tensor:
    """Reshape a per-sample (N,) or scalar tensor to broadcast against an (N, ...) tensor of ndim dims."""
    v = torch.as_tensor(v)
    return v.reshape(v.shape + (1,) * (ndim - v.ndim)) if v.ndim else v


class NoiseProcess(ABC):
    """x_t = α(t) x₀ + s(t) ε with t ∈ [t_min, 1]; see the module docstring for each process."""

    name: str = ""
    t_min: float = 0.0
    t_max: float = 1.0

    # --- marginals -------------------------------------------------------------------------------------------
    @abstractmethod
    def alpha(self, t) -> Tensor:
        """Mean scale α(t), same shape as t."""

    @abstractmethod
    def std(self, t) -> Tensor:
        """Marginal std s(t), same shape as t."""

    def noise_level(self, t) -> Tensor:
        """σ̃(t) = s(t)/α(t), the VE-equivalent noise level."""
        return self.std(t) / self.alpha(t)

    @abstractmethod
    def time_of(self, noise_level) -> Tensor:
        """Inverse of noise_level: the t with σ̃(t) = noise_level (clamped to [t_min, 1])."""

    def noise_range(self) -> tuple[float, float]:
        """(σ̃ at t_min, σ̃ at t=1): the range the σ slider spans."""
        return float(self.noise_level(self.t_min)), float(self.noise_level(self.t_max))

    # --- dynamics --------------------------------------------------------------------------------------------
    @abstractmethod
    def sde(self, x: Tensor, t) -> tuple[Tensor, Tensor]:
        """Forward SDE coefficients: drift f(x, t) (shape of x) and diffusion g(t) (scalar tensor)."""

    def prior_std(self) -> float:
        return float(self.std(self.t_max))

    def prior_sample(self, shape, generator: torch.Generator | None = None, device="cpu") -> Tensor:
        """Draws from the prior p_1 ≈ N(0, s(1)² I) (the data part α(1)x₀ is negligible by design)."""
        return self.prior_std() * torch.randn(shape, generator=generator, device=device)

    # --- schedules -------------------------------------------------------------------------------------------
    def train_times(self, n: int, generator: torch.Generator | None = None, device="cpu") -> Tensor:
        """Times visited by the training loss, (n,): uniform on [t_min, 1] (continuous processes)."""
        u = torch.rand(n, generator=generator, device=device)
        return self.t_min + (self.t_max - self.t_min) * u

    def sampling_times(self, steps: int) -> Tensor:
        """steps + 1 decreasing times from 1 to t_min, for a reverse-time integrator."""
        return torch.linspace(self.t_max, self.t_min, steps + 1)

    def levels(self, n: int | None = None) -> Tensor:
        """n noise levels σ̃, geometric from the largest to the smallest (annealed Langevin's ladder); by
        default as many as keep neighbouring levels within a ratio of 1.5 (`ladder_size`)."""
        lo, hi = self.noise_range()
        n = ladder_size(hi, lo) if n is None else n
        return torch.exp(torch.linspace(math.log(hi), math.log(lo), n))

    # --- (de)serialisation -----------------------------------------------------------------------------------
    def config(self) -> dict:
        return {"name": self.name, **asdict(self)}


@dataclass(frozen=True, eq=True)
class VESDE(NoiseProcess):
    """Variance exploding: s(t) = σ_min (σ_max/σ_min)^t, α = 1."""

    sigma_min: float = 0.01
    sigma_max: float = 10.0
    prior_mean: tuple[float, ...] | None = None  # (D,): centre of the prior, the data mean (see make_process)
    name = "ve"

    def prior_sample(self, shape, generator=None, device="cpu"):
        x = super().prior_sample(shape, generator, device)
        return x if self.prior_mean is None else x + torch.tensor(self.prior_mean, dtype=x.dtype, device=device)

    def alpha(self, t):
        return torch.ones_like(_as_tensor(t))

    def std(self, t):
        return self.sigma_min * (self.sigma_max / self.sigma_min) ** _as_tensor(t)

    def time_of(self, noise_level):
        t = torch.log(_as_tensor(noise_level) / self.sigma_min) / math.log(self.sigma_max / self.sigma_min)
        return t.clamp(self.t_min, self.t_max)

    def sde(self, x, t):
        g = self.std(t) * math.sqrt(2 * math.log(self.sigma_max / self.sigma_min))
        return torch.zeros_like(x), g


@dataclass(frozen=True, eq=True)
class NCSNLadder(VESDE):
    """NCSN's L geometric levels σ₁ = σ_max > … > σ_L = σ_min: a VE SDE visited only at t_i = 1 − i/(L−1)."""

    n_levels: int = 20
    name = "ncsn"

    @property
    def sigmas(self) -> Tensor:
        """(L,) decreasing."""
        return torch.exp(torch.linspace(math.log(self.sigma_max), math.log(self.sigma_min), self.n_levels))

    def level_times(self) -> Tensor:
        return torch.linspace(self.t_max, self.t_min, self.n_levels)

    def train_times(self, n, generator=None, device="cpu"):
        idx = torch.randint(0, self.n_levels, (n,), generator=generator, device=device)
        return self.level_times().to(device)[idx]

    def levels(self, n=None):
        return self.sigmas if n is None or n == self.n_levels else super().levels(n)


@dataclass(frozen=True, eq=True)
class VPSDE(NoiseProcess):
    """Variance preserving (DDPM's continuous limit): β(t) = β₀ + t(β₁ − β₀)."""

    beta_min: float = 0.1
    beta_max: float = 20.0
    t_min: float = 1e-3
    name = "vp"

    def beta(self, t):
        return self.beta_min + _as_tensor(t) * (self.beta_max - self.beta_min)

    def log_alpha(self, t):
        t = _as_tensor(t)
        return -0.25 * t**2 * (self.beta_max - self.beta_min) - 0.5 * t * self.beta_min

    def alpha(self, t):
        return torch.exp(self.log_alpha(t))

    def std(self, t):
        return torch.sqrt(-torch.expm1(2 * self.log_alpha(t)))

    def _time_of_alpha(self, alpha):
        """Solve −2 log α = ½t²(β₁−β₀) + tβ₀ for t ≥ 0."""
        c = -2 * torch.log(alpha)
        a, b = 0.5 * (self.beta_max - self.beta_min), self.beta_min
        t = (-b + torch.sqrt(b * b + 4 * a * c)) / (2 * a) if a > 0 else c / b
        return t.clamp(self.t_min, self.t_max)

    def time_of(self, noise_level):
        nl = _as_tensor(noise_level)
        return self._time_of_alpha(torch.rsqrt(1 + nl**2))  # σ̃² = (1−α²)/α²

    def sde(self, x, t):
        beta = self.beta(t)
        return -0.5 * append_dims(beta, x.ndim) * x, torch.sqrt(beta)


@dataclass(frozen=True, eq=True)
class SubVPSDE(VPSDE):
    """Sub-VP: the same drift as VP, s(t) = 1 − α², g = √(β(1 − α⁴)); its variance stays below VP's."""

    name = "subvp"

    def std(self, t):
        return -torch.expm1(2 * self.log_alpha(t))

    def time_of(self, noise_level):
        nl = _as_tensor(noise_level)
        return self._time_of_alpha((-nl + torch.sqrt(nl**2 + 4)) / 2)  # α² + σ̃α − 1 = 0

    def sde(self, x, t):
        beta = self.beta(t)
        g2 = beta * -torch.expm1(4 * self.log_alpha(t))
        return -0.5 * append_dims(beta, x.ndim) * x, torch.sqrt(g2)


PROCESSES = {cls.name: cls for cls in (NCSNLadder, VESDE, VPSDE, SubVPSDE)}


def max_pairwise_distance(data: Tensor, max_points: int = 2000) -> float:
    """Largest Euclidean distance between two data points (on a subsample of at most max_points)."""
    flat = data.reshape(data.shape[0], -1).float()
    if flat.shape[0] > max_points:
        flat = flat[torch.randperm(flat.shape[0], generator=torch.Generator().manual_seed(0))[:max_points]]
    return float(torch.cdist(flat, flat).max())


def ladder_size(sigma_max: float, sigma_min: float, ratio: float = 1.5) -> int:
    """Levels so that neighbouring σ differ by at most `ratio`. (NCSNv2 technique 2 derives the ratio from D;
    for D ≤ 3 it allows any ratio, so we keep the spacing that NCSN's toy used, about 1.4–1.5.)"""
    return max(2, int(math.ceil(math.log(sigma_max / sigma_min) / math.log(ratio))) + 1)


def make_process(name: str, data: Tensor | None = None, **overrides) -> NoiseProcess:
    """The named process with defaults derived from the data, any of them overridable.

    VE / NCSN: σ_max = the largest pairwise distance of the data (NCSNv2 technique 1), σ_min = 0.01·(data std),
    well below any structure a user paints, and for D ≤ 3 the prior N(m, σ_max²I) centred at the data mean m:
    p_1 = p_data * N(0, σ_max²I) has mean m, and a prior at 0 would leave a bias of about m·std/σ_max in what the
    deterministic probability-flow ODE returns (exact for Gaussian data). VP / sub-VP: β₀ = 0.1, β₁ = 20, t_min = 1e-3 (score-SDE defaults);
    these also fit unit-scale data since σ̃(1) is about 150.
    """
    if name not in PROCESSES:
        raise ValueError(f"unknown noise process {name!r}; choose one of {', '.join(PROCESSES)}")
    cls = PROCESSES[name]
    params: dict = {}
    if cls in (VESDE, NCSNLadder) and data is not None:
        scale = float(data.float().std()) or 1.0
        params["sigma_max"] = max(max_pairwise_distance(data), 10 * scale)
        if data.ndim == 2:
            params["prior_mean"] = tuple(float(v) for v in data.float().mean(0))
        params["sigma_min"] = 0.01 * scale
    params.update(overrides)
    if cls is NCSNLadder and "n_levels" not in overrides and "sigma_max" in params:
        params["n_levels"] = ladder_size(params["sigma_max"], params["sigma_min"])
    return cls(**params)


def process_from_config(config: dict) -> NoiseProcess:
    config = dict(config)
    name = config.pop("name")
    if config.get("prior_mean") is not None:
        config["prior_mean"] = tuple(config["prior_mean"])
    if name not in PROCESSES:
        raise ValueError(f"unknown noise process {name!r}")
    return PROCESSES[name](**config)
