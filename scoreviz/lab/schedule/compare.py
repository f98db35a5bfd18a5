"""A / B: the same sampler, seed and score under two noise schedules, and how close each one's samples come.

With the exact score of the noised data no model is trained, so what differs between A and B is the schedule's
effect on *sampling* alone (where the levels are, how far σ_max reaches, where the prior sits); with two
trained models it is the effect on learning as well. Each outcome is scored against held-out data (sliced
Wasserstein × its finite-sample floor) and, for mixtures, by the share of samples in each mode against the
true weights.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch

from scoreviz.core.guidance import exact_score, model_score
from scoreviz.core.metrics import quality_report
from scoreviz.core.processes import NoiseProcess
from scoreviz.core.recipes.points import sampling_options
from scoreviz.core.sampler_runs import run_to_end
from scoreviz.core.samplers import ScoreFunction

from scoreviz.lab.frames import ReadOnlyArrays

#: Particles per side: enough for the sliced Wasserstein to resolve a few per cent, and seconds with the exact score.
DEFAULT_PARTICLES = 2000


@dataclass(frozen=True, kw_only=True)
class ScheduleOutcome(ReadOnlyArrays):
    """What one schedule gives: its final samples and how close they are to the data."""

    label: str                   # "A" or "B"
    process: dict                # the process's config (its schedule parameters)
    sampler: str
    samples: np.ndarray          # (N, D) float32
    sw_ratio: float              # sliced Wasserstein to held-out data ÷ the floor (≈ 1 is as good as data)
    mode_weights: np.ndarray     # (K,) share of samples per mode (empty without a mixture)
    true_weights: np.ndarray     # (K,)
    seconds: float

    @property
    def mode_error(self) -> float:
        """Total variation between the samples' mode shares and the true weights (NaN without modes)."""
        if not len(self.true_weights):
            return math.nan
        return 0.5 * float(np.abs(self.mode_weights - self.true_weights).sum())


def score_function(dataset, process: NoiseProcess, model=None) -> ScoreFunction:
    """The score particles follow under `process`: a trained Denoiser's (without gradients) or, without one, the
    exact score of the noised data."""
    return ScoreFunction(model_score(model) if model is not None else exact_score(dataset), process)


def sample_schedule(dataset, process: NoiseProcess, *, label: str = "A", sampler: str = "annealed",
                    n: int = DEFAULT_PARTICLES, nfe: int | None = None, seed: int = 0,
                    score: ScoreFunction | None = None) -> ScheduleOutcome:
    """Run `sampler` for `nfe` network evaluations (the recipe's length if None) from `process`'s prior to the end
    (exact score unless `score` is given) and score it."""
    start = time.perf_counter()
    score = score if score is not None else score_function(dataset, process)
    generator = torch.Generator().manual_seed(seed)
    x0 = process.prior_sample((n, dataset.dim), generator).float()
    samples = run_to_end(sampler, score, x0, generator=generator,
                         **sampling_options(sampler, process, nfe)).float()
    report = quality_report(samples, dataset, torch.Generator().manual_seed(seed))
    return ScheduleOutcome(label=label, process=process.config(), sampler=sampler, samples=samples.numpy(),
                           sw_ratio=float(report["sw_ratio"]),
                           mode_weights=np.asarray(report.get("mode_weights", []), dtype=np.float64),
                           true_weights=np.asarray(report.get("true_weights", []), dtype=np.float64),
                           seconds=time.perf_counter() - start)


def compare(dataset, a: NoiseProcess, b: NoiseProcess, **options) -> tuple[ScheduleOutcome, ScheduleOutcome]:
    """A and B under the same sampler, particle count and seed (options of `sample_schedule`)."""
    return (sample_schedule(dataset, a, label="A", **options), sample_schedule(dataset, b, label="B", **options))
