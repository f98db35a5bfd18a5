"""Noise processes behind one interface: NCSN's σ ladder, the VE, VP and sub-VP SDEs (Song et al. 2021), cosine VP.

Every process perturbs data by x_t = α(t)·x₀ + s(t)·ε, ε ~ N(0, I), for t ∈ [t_min, t_max]. Dividing by α gives
x_t/α = x₀ + σ̃(t)·ε with the *noise level* σ̃(t) = s(t)/α(t): the VE-equivalent σ that the σ slider shows and
that the network is conditioned on (EDM, Karras et al. 2022, §4). So one denoiser D(y, σ̃) serves all five
processes; what differs is the SDE dx = f(x,t)dt + g(t)dw used for sampling and the σ̃ visited in training.

    VE:      α = 1,            s = σ_min(σ_max/σ_min)^t,  f = 0,          g = s·√(2 log(σ_max/σ_min))
    NCSN:    VE restricted to L geometric levels σ₁ > … > σ_L (Song & Ermon 2019)
    VP:      α = exp(−½∫β),    s = √(1 − α²),             f = −½β(t)x,    g = √β(t),           β(t) = β₀ + t(β₁−β₀)
    sub-VP:  α = exp(−½∫β),    s = 1 − α²,                f = −½β(t)x,    g = √(β(t)(1 − α⁴))
    cosine:  α = √ᾱ, ᾱ = f(t)/f(0), f = cos²((t+s)/(1+s)·π/2), s = √(1 − ᾱ)   (improved DDPM; cosine_process.py)
    discrete: a diffusers β schedule, ᾱ interpolated in log-SNR over t = i/T   (discrete_process.py)
    flow:    α = 1 − t,        s = t,                     f = −x/(1 − t), g = √(2t/(1 − t))    (flow_process.py)

Every process has an optional EDM sampling discretisation ``rho`` (Karras et al. 2022, eq. 5): sampling_times
then spaces σ̃ as (σ_max^{1/ρ} + i/N(σ_min^{1/ρ} − σ_max^{1/ρ}))^ρ instead of t uniformly. The parameters a user
may edit are listed by :func:`schedule_parameters`; each constructor checks them (ValueError).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields

import torch
from torch import Tensor

from scoreviz.core.cosine_process import COSINE_T_MAX, CosineVPSDE
from scoreviz.core.discrete_process import DiscreteVP
from scoreviz.core.flow_process import FlowProcess
from scoreviz.core.process_base import (NoiseProcess, as_tensor, check_rho, require, append_dims, edm_sigmas,
                                       ladder_size)

__all__ = ["COSINE_T_MAX", "CosineVPSDE", "DiscreteVP", "FlowProcess", "NCSNLadder", "NoiseProcess", "PROCESSES", "SubVPSDE", "VESDE", "VPSDE",
           "append_dims", "edm_sigmas", "ladder_size", "make_process", "max_pairwise_distance", "process_from_config",
           "schedule_parameters"]


@dataclass(frozen=True, eq=True)
class VESDE(NoiseProcess):
    """Variance exploding: s(t) = σ_min (σ_max/σ_min)^t, α = 1."""

    sigma_min: float = 0.01
    sigma_max: float = 10.0
    prior_mean: tuple[float, ...] | None = None  # (D,): centre of the prior, the data mean (see make_process)
    rho: float | None = None
    name = "ve"
    schedule_fields = ("sigma_min", "sigma_max", "rho")

    def __post_init__(self):
        require(0 < self.sigma_min < self.sigma_max and math.isfinite(self.sigma_max),
                f"need 0 < sigma_min < sigma_max (got sigma_min = {self.sigma_min}, sigma_max = {self.sigma_max})")
        check_rho(self.rho)

    def noise_range(self):
        return float(self.sigma_min), float(self.sigma_max)

    def prior_sample(self, shape, generator=None, device="cpu"):
        x = super().prior_sample(shape, generator, device)
        return x if self.prior_mean is None else x + torch.tensor(self.prior_mean, dtype=x.dtype, device=device)

    def alpha(self, t):
        return torch.ones_like(as_tensor(t))

    def std(self, t):
        return self.sigma_min * (self.sigma_max / self.sigma_min) ** as_tensor(t)

    def time_of(self, noise_level):
        t = torch.log(as_tensor(noise_level) / self.sigma_min) / math.log(self.sigma_max / self.sigma_min)
        return t.clamp(self.t_min, self.t_max)

    def sde(self, x, t):
        g = self.std(t) * math.sqrt(2 * math.log(self.sigma_max / self.sigma_min))
        return torch.zeros_like(x), g


@dataclass(frozen=True, eq=True)
class NCSNLadder(VESDE):
    """NCSN's L geometric levels σ₁ = σ_max > … > σ_L = σ_min: a VE SDE visited only at t_i = 1 − i/(L−1)."""

    n_levels: int = 20
    name = "ncsn"
    schedule_fields = ("sigma_min", "sigma_max", "n_levels", "rho")

    def __post_init__(self):
        super().__post_init__()
        require(int(self.n_levels) == self.n_levels and self.n_levels >= 2,
                f"the ladder needs at least 2 levels (got n_levels = {self.n_levels})")

    @property
    def training_levels(self) -> Tensor:
        return self.sigmas

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
    rho: float | None = None
    name = "vp"
    schedule_fields = ("beta_min", "beta_max", "t_min", "rho")
    variance_preserving = True

    def __post_init__(self):
        require(0 <= self.beta_min <= self.beta_max and 0 < self.beta_max < math.inf,
                f"need 0 ≤ beta_min ≤ beta_max and beta_max > 0 (got beta_min = {self.beta_min}, "
                f"beta_max = {self.beta_max})")
        require(0 < self.t_min < 0.5, f"t_min must be in (0, 0.5) (got {self.t_min})")
        check_rho(self.rho)

    def beta(self, t):
        return self.beta_min + as_tensor(t) * (self.beta_max - self.beta_min)

    def log_alpha(self, t):
        t = as_tensor(t)
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
        nl = as_tensor(noise_level)
        return self._time_of_alpha(torch.rsqrt(1 + nl**2))  # σ̃² = (1−α²)/α²

    def sde(self, x, t):
        beta = self.beta(t)
        return -0.5 * append_dims(beta, x.ndim) * x, torch.sqrt(beta)


@dataclass(frozen=True, eq=True)
class SubVPSDE(VPSDE):
    """Sub-VP: the same drift as VP, s(t) = 1 − α², g = √(β(1 − α⁴)); its variance stays below VP's."""

    name = "subvp"
    variance_preserving = False

    def std(self, t):
        return -torch.expm1(2 * self.log_alpha(t))

    def time_of(self, noise_level):
        nl = as_tensor(noise_level)
        return self._time_of_alpha((-nl + torch.sqrt(nl**2 + 4)) / 2)  # α² + σ̃α − 1 = 0

    def sde(self, x, t):
        beta = self.beta(t)
        g2 = beta * -torch.expm1(4 * self.log_alpha(t))
        return -0.5 * append_dims(beta, x.ndim) * x, torch.sqrt(g2)


PROCESSES = {cls.name: cls for cls in (NCSNLadder, VESDE, VPSDE, SubVPSDE, CosineVPSDE, DiscreteVP, FlowProcess)}


def schedule_parameters(process: NoiseProcess) -> dict:
    """The editable parameters of a process and their values, in display order: VE sigma_min, sigma_max, rho;
    NCSN also n_levels; VP / sub-VP beta_min, beta_max, t_min, rho; cosine t_min, t_max, rho. Any of them may
    be passed to make_process as an override (rho None: uniform sampling times). Discrete: beta_start, beta_end,
    num_train_timesteps, rho (its other fields, beta_schedule … timestep_spacing, are overrides too); flow:
    t_min, t_max, rho."""
    return {name: getattr(process, name) for name in process.schedule_fields}


def max_pairwise_distance(data: Tensor, max_points: int = 2000) -> float:
    """Largest Euclidean distance between two data points (on a subsample of at most max_points)."""
    flat = data.reshape(data.shape[0], -1).float()
    if flat.shape[0] > max_points:
        flat = flat[torch.randperm(flat.shape[0], generator=torch.Generator().manual_seed(0))[:max_points]]
    return float(torch.cdist(flat, flat).max())


def make_process(name: str, data: Tensor | None = None, **overrides) -> NoiseProcess:
    """The named process with defaults derived from the data, any of them overridable (a field of the process:
    schedule_parameters' names, or prior_mean); an unknown or invalid override is a ValueError naming it.

    VE / NCSN: σ_max = the largest pairwise distance of the data (NCSNv2 technique 1), σ_min = 0.01·(data std),
    well below any structure a user paints, and for D ≤ 3 the prior N(m, σ_max²I) centred at the data mean m:
    p_1 = p_data * N(0, σ_max²I) has mean m, and a prior at 0 would leave a bias of about m·std/σ_max in what the
    deterministic probability-flow ODE returns (exact for Gaussian data). NCSN: as many levels as keep neighbours
    within a ratio of 1.5 (ladder_size) unless n_levels is given. VP / sub-VP: β₀ = 0.1, β₁ = 20, t_min = 1e-3
    (score-SDE defaults); these also fit unit-scale data since σ̃(1) is about 150. Cosine: t_min = 1e-3 and
    t_max = COSINE_T_MAX (σ̃ from about 0.006 to 320; cosine_process.py). No process is ρ-spaced by default.
    """
    if name not in PROCESSES:
        raise ValueError(f"unknown noise process {name!r}; choose one of {', '.join(PROCESSES)}")
    cls = PROCESSES[name]
    allowed = [f.name for f in fields(cls)]
    unknown = [k for k in overrides if k not in allowed]
    require(not unknown, f"the {name} process has no parameter {', '.join(unknown)} "
                          f"(its parameters: {', '.join(cls.schedule_fields)})")
    params: dict = {}
    if cls in (VESDE, NCSNLadder) and data is not None:
        scale = float(data.float().std()) or 1.0
        params["sigma_max"] = max(max_pairwise_distance(data), 10 * scale)
        if data.ndim == 2:
            params["prior_mean"] = tuple(float(v) for v in data.float().mean(0))
        params["sigma_min"] = 0.01 * scale
    params.update(overrides)
    if cls is NCSNLadder and "n_levels" not in overrides and "sigma_max" in params:
        lo, hi = params.get("sigma_min", cls.sigma_min), params["sigma_max"]
        if 0 < lo < hi:   # otherwise the constructor says what is wrong
            params["n_levels"] = ladder_size(hi, lo)
    return cls(**params)


def process_from_config(config: dict) -> NoiseProcess:
    config = dict(config)
    name = config.pop("name")
    # JSON and older files give lists where the processes hold tuples (prior_mean, trained_betas)
    config = {k: tuple(v) if isinstance(v, list) else v for k, v in config.items()}
    if name not in PROCESSES:
        raise ValueError(f"unknown noise process {name!r}")
    return PROCESSES[name](**config)
