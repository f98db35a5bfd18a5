"""Per-level diagnostics of a Langevin-type sampler run: realised signal-to-noise ratio, score norm, and how the
particles' shares of the modes change level by level as σ falls (NCSN's 0.8/0.2 lesson made visible: with σ_max
too small the mass never moves between modes, and the shares freeze at the first level)."""
from __future__ import annotations

import numpy as np

from scoreviz.lab import frames as fr

#: score_sde's corrector snr for CIFAR-10 VE (Song et al. 2021, configs/ve/cifar10_ncsnpp_continuous.py): the
#: reference line for annealed Langevin.
REFERENCE_SNR = 0.16


class LevelDiagnostics:
    """Accumulates `SamplerStep.langevin` statistics per noise level; `frame()` reports them."""

    def __init__(self):
        self.reset("", np.nan, None, 0)

    def reset(self, sampler: str, target_snr: float, mixture, serial: int) -> None:
        self.sampler, self.target_snr, self.mixture, self.serial = sampler, target_snr, mixture, serial
        self._levels: list[float] = []
        self._snr: list[list[float]] = []
        self._norm: list[list[float]] = []
        self._shares: list[np.ndarray] = []
        self._x = None

    @property
    def active(self) -> bool:
        return bool(self._levels)

    def add(self, step) -> None:
        """One SamplerStep; steps without Langevin statistics (a final denoising step) close the last level."""
        if step.langevin is None:
            self._close_level()
            return
        if not self._levels or step.noise_level != self._levels[-1]:
            self._close_level()
            self._levels.append(step.noise_level)
            self._snr.append([])
            self._norm.append([])
        self._snr[-1].append(step.langevin.snr)
        self._norm[-1].append(step.langevin.score_norm)
        self._x = step.x

    def _close_level(self) -> None:
        """The mode shares at the end of the level that just ended (responsibilities at its σ)."""
        if self._x is None or len(self._shares) >= len(self._levels):
            return
        self._shares.append(self._mode_shares(self._x, self._levels[-1]))

    def _mode_shares(self, x, sigma: float) -> np.ndarray:
        if self.mixture is None or self.mixture.dim != x.shape[1]:
            return np.zeros(0)
        labels = self.mixture.responsibilities(x.detach().cpu().double(), sigma).argmax(1).numpy()
        return np.bincount(labels, minlength=self.mixture.n_components) / max(1, len(labels))

    def frame(self, shares_now: np.ndarray | None = None) -> fr.LevelDiagnosticsFrame:
        """The levels so far; `shares_now` is the level in progress's mode shares when the caller has them already
        (the ParticleFrame of the same step computed them), else they are computed here."""
        shares = list(self._shares)
        if len(shares) < len(self._levels) and self._x is not None:   # the level in progress, as it is now
            now = shares_now if shares_now is not None and len(shares_now) else None
            shares.append(now if now is not None else self._mode_shares(self._x, self._levels[-1]))
        k = self.mixture.n_components if self.mixture is not None else 0
        return fr.LevelDiagnosticsFrame(
            sampler=self.sampler, levels=np.asarray(self._levels, dtype=np.float64),
            snr=np.array([np.mean(v) for v in self._snr]), target_snr=self.target_snr,
            score_norm=np.array([np.mean(v) for v in self._norm]),
            mode_shares=np.array(shares).reshape(len(shares), k) if k else np.zeros((len(shares), 0)),
            true_weights=self.mixture.weights.numpy() if self.mixture is not None else np.zeros(0),
            serial=self.serial)
