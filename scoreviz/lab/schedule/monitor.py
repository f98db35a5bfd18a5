"""The schedule's read-out for the window: the schedule itself (rules, warnings, curves) and, while a model
trains, where in σ it still fails.

Per noise-level bin (the trainer's loss bins, log-spaced over the process's range) it reports the DSM loss
training sees, the *irreducible* DSM loss at that σ (what a perfect model would still pay, from the exact
score of the noised data: `core.dsm_floor`), and the median relative error of the learned score against the
exact one on data noised at the bin's σ. The gap between loss and floor is what the model gets wrong there.
The schedule part and the floor are computed once per data / schedule; the learned part costs one batched
model call per refresh.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import torch

from scoreviz.core.dsm_floor import irreducible_dsm

from scoreviz.lab import frames as fr
from scoreviz.lab.schedule.view import schedule_frame

#: Noised data points per bin for the learned score's error (one batched call for all bins).
ERROR_POINTS = 64
#: Data points and noise draws per bin for the irreducible loss (Monte Carlo; once per data and schedule). The
#: estimator averages two control variates, so 256 draws give a few per cent; a 4,000-point set costs ~0.7 s.
FLOOR_SAMPLES = 256


class ScheduleMonitor:
    """Caches the static schedule frame and the floor; `frame(trainer)` adds the learned model's figures."""

    def __init__(self):
        self._key = None
        self._base: fr.ScheduleFrame | None = None
        self._floor = None        # (edges, floor per bin)
        self._probe = None        # (σ per row (M,), noised points (M, D), exact score (M, D))

    def invalidate(self) -> None:
        self._key = self._base = self._floor = self._probe = None

    def base(self, dataset, version: int, process, training_noise, steps_each: int, levels) -> fr.ScheduleFrame:
        """The schedule without loss figures (recomputed only when the data or the schedule change)."""
        key = (version, repr(process.config()), repr(training_noise), steps_each, len(levels))
        if key != self._key:
            self.invalidate()
            self._key = key
            points = dataset.train if dataset is not None else None
            self._base = schedule_frame(process, training_noise=training_noise, points=points,
                                        dim=dataset.dim if dataset is not None else None,
                                        sigma_data=float(points.std()) if points is not None else 1.0,
                                        steps_each=steps_each, levels=levels)
        return self._base

    def frame(self, base: fr.ScheduleFrame, dataset, trainer) -> fr.ScheduleFrame:
        """`base` with the loss per bin, the floor and the learned score's error (base itself without a model)."""
        if trainer is None or dataset is None:
            return base
        stats = trainer.stats()
        edges = stats.level_edges
        centres = np.sqrt(edges[1:] * edges[:-1])
        if self._floor is None or not np.array_equal(self._floor[0], edges):
            weight = trainer.config.noise.weight(centres, trainer.model.sigma_data)
            floor = irreducible_dsm(dataset.exact_score, dataset.train, centres, samples=FLOOR_SAMPLES,
                                    generator=torch.Generator().manual_seed(0), weight=np.asarray(weight))
            self._floor = (edges.copy(), floor)
            self._probe = _probe(dataset, centres)
        sigma, y, exact = self._probe
        with torch.inference_mode():
            learned = trainer.ema.score(y.to(trainer.device), sigma.to(trainer.device)).double().cpu()
        ratio = ((learned - exact).norm(dim=1) / exact.norm(dim=1).clamp_min(1e-12)).reshape(len(centres), -1)
        return dataclasses.replace(base, loss_edges=edges, loss=stats.level_losses, floor=self._floor[1],
                                   rel_error=ratio.median(dim=1).values.numpy())


def _probe(dataset, centres: np.ndarray):
    """ERROR_POINTS data points noised at each bin's σ (fixed draws), with their exact scores (float64)."""
    g = torch.Generator().manual_seed(1)
    data = dataset.train.double()
    idx = torch.randint(0, data.shape[0], (len(centres) * ERROR_POINTS,), generator=g)
    sigma = torch.from_numpy(np.repeat(centres, ERROR_POINTS))
    y = data[idx] + sigma[:, None] * torch.randn((len(idx), data.shape[1]), generator=g, dtype=torch.float64)
    rows = y.split(ERROR_POINTS)
    exact = torch.cat([dataset.exact_score(rows[i], float(c)) for i, c in enumerate(centres)])
    return sigma.float(), y.float(), exact
