"""A noise schedule as the schedule plots and `scoreviz schedule` see it: a `ScheduleFrame` of plain arrays.

One log-σ̃ axis for everything (σ̃ = s/α, the VE-equivalent noise level; log-SNR = −2 ln σ̃ is the alternative
axis): the schedule's α(t), s(t), σ̃(t), the density of ln σ̃ that training visits and the weight λ(σ̃) on the DSM
loss (Kingma & Gao 2023: every weighted loss is such a pair), the sampler's levels, NCSNv2's rules with their
warnings (`core.schedule.rules`), and while a model trains, the loss per σ̃ bin beside its irreducible floor.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from scoreviz.core.schedule.training_noise import TrainingNoise
from scoreviz.core.processes import NoiseProcess, schedule_parameters
from scoreviz.core.schedule.rules import analyse

from scoreviz.lab.frames import ScheduleFrame


def schedule_frame(process: NoiseProcess, *, training_noise: TrainingNoise | None = None, points=None,
                   dim: int | None = None, sigma_data: float = 1.0, steps_each: int = 100, levels=None,
                   n_grid: int = 200, loss=None) -> ScheduleFrame:
    """The frame for `process` trained with `training_noise` (default: the process's own choice, weight 1).

    points: the data (a core Dataset, or (N, ...) points; gives NCSNv2's data rules) or, without them, `dim`.
    sigma_data: the data's std (EDM's weighting). levels: the sampler's ladder, an int L or decreasing σ̃ (L,)
    (default: NCSN's ladder, else `process.levels()`). n_grid: points of the curves. loss: while training,
    (edges (B+1,), loss (B,), floor (B,), rel_error (B,)) per σ̃ bin. Costs a few ms (25 ms with 4,000 points).
    """
    if n_grid < 2:
        raise ValueError(f"the schedule's curves need at least 2 points (got n_grid = {n_grid})")
    noise = training_noise if training_noise is not None else TrainingNoise()
    ladder = _levels(process, levels)
    times = torch.linspace(process.t_min, process.t_max, n_grid, dtype=torch.float64)
    alpha = process.alpha(times).double().numpy()
    std = process.std(times).double().numpy()
    lo, hi = process.noise_range()
    grid = np.exp(np.linspace(math.log(lo), math.log(hi), n_grid))
    report = analyse(process, points=points, dim=dim, steps_each=steps_each, n_levels=len(ladder),
                     training_noise=training_noise)
    extra = {}
    if loss is not None:
        edges, values, floor, rel_error = (np.asarray(a, dtype=np.float64) for a in loss)
        if not (edges.size == values.size + 1 == floor.size + 1 == rel_error.size + 1):
            raise ValueError("loss bins: need edges (B+1,) and loss, floor, rel_error (B,)")
        extra = dict(loss_edges=edges, loss=values, floor=floor, rel_error=rel_error)
    return ScheduleFrame(
        process=process.name, times=times.numpy(), sigma=std / alpha, alpha=alpha, std=std,
        log_snr=2 * (np.log(alpha) - np.log(std)), grid=grid,
        train_density=noise.log_density(process, grid),
        weight=np.asarray(noise.weight(grid, sigma_data), dtype=np.float64),
        levels=ladder, report=report, parameters=schedule_parameters(process), noise=noise.config(), **extra)


def _levels(process: NoiseProcess, levels) -> np.ndarray:
    """The sampler's ladder as a decreasing float64 array (L,)."""
    if levels is None or isinstance(levels, (int, np.integer)):
        return process.levels(None if levels is None else int(levels)).double().numpy()
    ladder = np.sort(np.asarray(levels, dtype=np.float64).reshape(-1))[::-1]
    if ladder.size < 2 or ladder[-1] <= 0:
        raise ValueError("the sampler's levels need at least 2 positive noise levels")
    return ladder
