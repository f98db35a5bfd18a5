"""The training side of a noise schedule: where training spends its noise levels and how it weights them.

Kingma & Gao (2023) write every weighted diffusion loss as an importance density p(σ̃) of the noise levels times
a weight w(σ̃) on the core's DSM loss ‖σ̃·s(x̃, σ̃) + ε‖² (core/losses.py, λ(σ̃) = σ̃², the mean squared error of
the predicted noise). :class:`TrainingNoise` is that pair:

* ``distribution`` (names.NOISE_DISTRIBUTIONS), the density of ln σ̃ on the process's range [σ̃_lo, σ̃_hi]
  (``process.noise_range()``):
    - ``"process"``: the process's own choice, σ̃(t) with t = process.train_times (uniform t for the SDEs, NCSN's
      L ladder levels with mass 1/L each) — the behaviour before this class existed;
    - ``"uniform_t"``: t ~ U[t_min, t_max], p(ln σ̃) = 1/((t_max − t_min)·d ln σ̃/dt) (for VE: log-uniform);
    - ``"log_uniform"``: ln σ̃ ~ U[ln σ̃_lo, ln σ̃_hi];
    - ``"log_normal"``: ln σ̃ ~ N(p_mean, p_std²), clamped to the range (EDM, Karras et al. 2022, §5: P_mean = −1.2,
      P_std = 1.2 for data of std 0.5), so the tails beyond the range become point masses at its ends.
    - ``"logit_normal"``: logit t ~ N(logit_mean, logit_std²), t clamped to [t_min, t_max] (SD3, Esser et al.
      2024, §3.1: mean 0, std 1, for rectified flow). On the flow process logit t = ln σ̃, so it is the
      log-normal in σ̃ with those parameters; on the others it follows each one's clock.
* ``weighting`` (names.LOSS_WEIGHTINGS), the factor w on the core's DSM loss:
    - ``"sigma2"``: w = 1, i.e. λ(σ̃) = σ̃² (NCSN, score SDE; uniform in ε);
    - ``"edm"``: w = (σ̃² + σ_d²)/σ_d²: since ‖D − x₀‖² = σ̃²‖σ̃s + ε‖², this is EDM's λ = (σ̃² + σ_d²)/(σ̃σ_d)² on
      the denoiser's error, unit weight on the network output F (recipes/images.image_training_noise says why);
    - ``"min_snr"``: w = min(SNR, γ)/SNR = min(1, γσ̃²) with SNR = α²/s² = 1/σ̃² (Hang et al. 2023, γ = 5).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import numpy as np
import torch
from torch import Tensor

from scoreviz.core.process_base import NoiseProcess

__all__ = ["DISTRIBUTIONS", "TrainingNoise", "WEIGHTINGS"]

#: The choices of TrainingNoise.distribution and .weighting (names.NOISE_DISTRIBUTIONS / LOSS_WEIGHTINGS label them).
DISTRIBUTIONS = ("process", "uniform_t", "log_uniform", "log_normal", "logit_normal")
WEIGHTINGS = ("sigma2", "edm", "min_snr")

_INSIDE = 1e-9   # relative tolerance of "σ̃ within the process's range" (the ends are computed in floating point)


@dataclass(frozen=True)
class TrainingNoise:
    """The σ̃ distribution of training and the loss weighting (module docstring); frozen, serialisable."""

    distribution: str = "process"   # one of DISTRIBUTIONS
    p_mean: float = -1.2          # log-normal: ln σ̃ ~ N(p_mean, p_std²), clamped to the process's σ̃ range
    p_std: float = 1.2
    weighting: str = "sigma2"       # one of WEIGHTINGS
    min_snr_gamma: float = 5.0
    logit_mean: float = 0.0       # logit-normal: logit t ~ N(logit_mean, logit_std²), clamped to [t_min, t_max]
    logit_std: float = 1.0

    def __post_init__(self):
        if self.distribution not in DISTRIBUTIONS:
            raise ValueError(f"unknown noise distribution {self.distribution!r}; "
                             f"choose one of {', '.join(DISTRIBUTIONS)}")
        if self.weighting not in WEIGHTINGS:
            raise ValueError(f"unknown loss weighting {self.weighting!r}; choose one of {', '.join(WEIGHTINGS)}")
        if not math.isfinite(self.p_mean):
            raise ValueError(f"p_mean must be a finite number (got {self.p_mean})")
        if not (math.isfinite(self.p_std) and self.p_std > 0):
            raise ValueError(f"p_std must be positive (got {self.p_std})")
        if not math.isfinite(self.logit_mean):
            raise ValueError(f"logit_mean must be a finite number (got {self.logit_mean})")
        if not (math.isfinite(self.logit_std) and self.logit_std > 0):
            raise ValueError(f"logit_std must be positive (got {self.logit_std})")
        if not (math.isfinite(self.min_snr_gamma) and self.min_snr_gamma > 0):
            raise ValueError(f"min_snr_gamma must be positive (got {self.min_snr_gamma})")

    # --- sampling ----------------------------------------------------------------------------------------------
    def sample_sigma(self, process: NoiseProcess, n: int, generator: torch.Generator | None = None,
                     device="cpu") -> Tensor:
        """(n,) noise levels σ̃ to train at, on `device` (float32 unless the process computes in float64)."""
        if self.distribution == "process":   # exactly the trainer's draw before TrainingNoise
            return process.noise_level(process.train_times(n, generator, device)).to(device)
        u = torch.randn if self.distribution in ("log_normal", "logit_normal") else torch.rand
        draw = u(n, generator=generator, device=device)
        if self.distribution == "logit_normal":
            t = torch.sigmoid(self.logit_mean + self.logit_std * draw).clamp(process.t_min, process.t_max)
            return process.noise_level(t).to(device)
        if self.distribution == "uniform_t":
            return process.noise_level(process.t_min + (process.t_max - process.t_min) * draw).to(device)
        lo, hi = process.noise_range()
        if self.distribution == "log_uniform":
            return torch.exp(math.log(lo) + (math.log(hi) - math.log(lo)) * draw)
        return torch.exp(self.p_mean + self.p_std * draw).clamp(lo, hi)   # log_normal

    # --- density -----------------------------------------------------------------------------------------------
    def log_density(self, process: NoiseProcess, sigmas) -> np.ndarray:
        """The density of ln σ̃ at `sigmas` ((K,) array or tensor of σ̃ > 0; K ≥ 2 for the point masses below).

        It integrates to 1 over ln σ̃ on the process's range and is 0 outside it. Point masses — NCSN's ladder
        levels for "process" (1/L each) and the log-normal's clamped tails at the range ends — are spread over
        the trapezoid cell of the grid point nearest to them: mass/w_i with w_i = (u_{i+1} − u_{i−1})/2 in
        u = ln σ̃ (half a cell at the ends), so the trapezoid rule on a grid that spans the range integrates the
        result to 1 (np.trapezoid(density, np.log(sigmas))). A mass beyond the grid by more than half an end
        cell is left out.
        """
        s = np.asarray(sigmas.detach().cpu() if isinstance(sigmas, Tensor) else sigmas, dtype=np.float64)
        u = np.log(s)
        lo, hi = process.noise_range()
        inside = (s >= lo * (1 - _INSIDE)) & (s <= hi * (1 + _INSIDE))
        density = np.zeros_like(s)
        masses: list[tuple[float, float]] = []      # (σ̃, probability) point masses
        ladder = process.training_levels if self.distribution == "process" else None
        if ladder is not None:
            masses = [(float(v), 1.0 / len(ladder)) for v in ladder]
        elif self.distribution in ("process", "uniform_t"):
            density[inside] = _uniform_t_density(process, s[inside])
        elif self.distribution == "log_uniform":
            density[inside] = 1.0 / (math.log(hi) - math.log(lo))
        elif self.distribution == "logit_normal":
            density[inside], masses = self._logit_normal(process, s[inside])
        else:   # log_normal, clamped: the tails become masses at the ends
            z = (u[inside] - self.p_mean) / self.p_std
            density[inside] = np.exp(-0.5 * z**2) / (self.p_std * math.sqrt(2 * math.pi))
            masses = [(lo, _normal_cdf((math.log(lo) - self.p_mean) / self.p_std)),
                      (hi, 1 - _normal_cdf((math.log(hi) - self.p_mean) / self.p_std))]
        return density + _spread_masses(u, masses)

    def _logit_normal(self, process: NoiseProcess, s: np.ndarray):
        """p(ln σ̃) = φ(z)/logit_std · |d logit t/dt| · dt/d ln σ̃ with z = (logit t − mean)/std at t = time_of(σ̃),
        and the clamped tails as masses at the range's ends."""
        span = process.t_max - process.t_min
        t = process.time_of(torch.as_tensor(s, dtype=torch.float64)).numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            z = (_logit(t) - self.logit_mean) / self.logit_std
            density = np.exp(-0.5 * z**2) / (self.logit_std * math.sqrt(2 * math.pi)) / (t * (1 - t)) \
                * _uniform_t_density(process, s) * span      # dt/d ln σ̃ = span·p_uniform_t(ln σ̃)
        lo, hi = process.noise_range()
        cdf = [_normal_cdf((float(_logit(np.float64(v))) - self.logit_mean) / self.logit_std)
               for v in (process.t_min, process.t_max)]
        return np.nan_to_num(density, nan=0.0, posinf=0.0), [(lo, cdf[0]), (hi, 1 - cdf[1])]

    # --- weighting ---------------------------------------------------------------------------------------------
    def weight(self, sigmas, sigma_data: float):
        """The factor w(σ̃) on the core's DSM loss ‖σ̃s + ε‖², same shape and kind as `sigmas` (Tensor → Tensor
        of its float dtype, else float64 NumPy): 1, (σ̃² + σ_d²)/σ_d² or min(1, γσ̃²) (module docstring)."""
        if isinstance(sigmas, Tensor):
            s = sigmas if sigmas.is_floating_point() else sigmas.float()
        else:
            s = np.asarray(sigmas, dtype=np.float64)
        if self.weighting == "sigma2":
            return torch.ones_like(s) if isinstance(s, Tensor) else np.ones_like(s)
        if self.weighting == "edm":
            sd2 = float(sigma_data) ** 2
            return (s**2 + sd2) / sd2
        return (self.min_snr_gamma * s**2).clip(max=1.0)   # min_snr: min(SNR, γ)/SNR, SNR = 1/σ̃²

    # --- (de)serialisation -------------------------------------------------------------------------------------
    def config(self) -> dict:
        return asdict(self)

    @classmethod
    def from_config(cls, d: dict) -> TrainingNoise:
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown training-noise setting(s) {', '.join(sorted(unknown))}")
        return cls(**d)


def _normal_cdf(z: float) -> float:
    return 0.5 * (1 + math.erf(z / math.sqrt(2))) if math.isfinite(z) else float(z > 0)


def _logit(t: np.ndarray) -> np.ndarray:
    """ln(t/(1 − t)), ±∞ at 1 and 0."""
    with np.errstate(divide="ignore"):
        return np.log(t) - np.log1p(-t)


def _uniform_t_density(process: NoiseProcess, s: np.ndarray) -> np.ndarray:
    """p(ln σ̃) for t ~ U[t_min, t_max]: 1/((t_max − t_min)·d ln σ̃/dt) at t = time_of(σ̃) (autograd slope)."""
    if s.size == 0:
        return s
    with torch.enable_grad():
        t = process.time_of(torch.as_tensor(s, dtype=torch.float64)).detach().requires_grad_(True)
        torch.log(process.noise_level(t)).sum().backward()
    slope = t.grad.numpy()
    return 1.0 / ((process.t_max - process.t_min) * slope)


def _spread_masses(u: np.ndarray, masses: list[tuple[float, float]]) -> np.ndarray:
    """Each (σ̃, m) as m/w at the grid point nearest to ln σ̃, w its trapezoid cell width (log_density)."""
    out = np.zeros_like(u)
    if u.size < 2 or not masses:
        return out
    order = np.argsort(u)
    su = u[order]
    widths = np.empty_like(su)
    widths[1:-1] = (su[2:] - su[:-2]) / 2
    widths[0], widths[-1] = (su[1] - su[0]) / 2, (su[-1] - su[-2]) / 2
    for sigma, mass in masses:
        at = math.log(sigma)
        if not su[0] - widths[0] <= at <= su[-1] + widths[-1]:   # beyond the grid by more than half a cell
            continue
        i = int(np.argmin(np.abs(su - at)))
        if widths[i] > 0:
            out[order[i]] += mass / widths[i]
    return out
