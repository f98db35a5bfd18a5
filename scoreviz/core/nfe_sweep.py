"""Sample quality against the cost of a run: each sampler at each NFE budget, scored against reference data.

    rows = quality_vs_nfe(score, process, dataset, ["heun", "dpmpp2m", "em"], [10, 20, 50, 100], n=4000, seed=0)

One row per (sampler, budget): the NFE asked for and the NFE the run spends (the registry's rule: the longest
run within the budget; Heun's 2n + 1 spends an odd number), the sliced Wasserstein distance to held-out data,
its finite-sample floor and their ratio (metrics.quality_report: ≈ 1 is as good as the data), and for a
mixture the share of samples in each mode against the true weights. The figure the samplers are compared by
is NFE, as in EDM (Karras et al. 2022, Fig. 2 and Table 1).

Every run starts from the same prior draw (seeded by `seed`), so the rows differ by the sampler and its length
alone. The score is a trained model's or the exact one: `scoreviz eval --nfe-sweep`, `scoreviz bench --only
samplers` and the window's schedule lab call this one function. Qt-free.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Iterable, Mapping

import torch

from scoreviz.core.data import Dataset
from scoreviz.core.metrics import quality_report
from scoreviz.core.processes import NoiseProcess
from scoreviz.core.sampler_registry import sampler_entry
from scoreviz.core.sampler_runs import planned_nfe, run_to_end, sampler_options
from scoreviz.core.samplers import ScoreFunction, VEScore


@dataclass(frozen=True)
class SweepRow:
    """One run of a sweep. `mode_weights` / `true_weights`: None when the reference has no mixture."""

    sampler: str
    nfe_requested: int
    nfe_used: int
    sliced_wasserstein: float
    sw_floor: float
    sw_ratio: float
    mode_weights: list[float] | None = None
    true_weights: list[float] | None = None
    nonfinite: float = 0.0

    @property
    def weight_error(self) -> float | None:
        """max over the modes of |share − weight| (None without modes)."""
        if self.mode_weights is None:
            return None
        return max(abs(a - b) for a, b in zip(self.mode_weights, self.true_weights))

    def as_dict(self) -> dict:
        return {**asdict(self), "weight_error": self.weight_error}


def check_sweep(process: NoiseProcess, samplers: Iterable[str], budgets: Iterable[int],
                options: Mapping[str, Mapping] | None = None) -> None:
    """A ValueError (naming the sampler, and the process where that is the reason) unless every sampler runs on
    `process` at every budget with its `options`; nothing is evaluated."""
    budgets = list(budgets)
    if not budgets or any(int(b) != b or b < 1 for b in budgets):
        raise ValueError(f"the NFE budgets must be positive integers (got {budgets})")
    for name in samplers:
        sampler_entry(name).check_process(process)
        for budget in budgets:
            sampler_options(name, process, budget, **dict((options or {}).get(name, {})))


def quality_vs_nfe(score_fn: VEScore | ScoreFunction, process: NoiseProcess, reference: Dataset,
                   samplers: Iterable[str], budgets: Iterable[int], n: int = 4000, seed: int = 0,
                   options: Mapping[str, Mapping] | None = None, device="cpu") -> list[SweepRow]:
    """The rows of `samplers` × `budgets` (sampler-major, budgets in the order given).

    Args:
        score_fn: the VE-equivalent score s̃(y, σ̃) (a model's `model_score`, guidance.exact_score) or a
            ScoreFunction; it is used under `process`.
        process: the noise process (the checkpoint's); every sampler must run on it (checked first: check_sweep).
        reference: the data the samples are scored against (held-out set, floor, mixture if known).
        n: samples per run; seed: of the prior draw (shared by all rows), the runs' noise and the metrics.
        options: per sampler, further options ({"ddim": {"eta": 1.0}}).
        device: where the particles live (a model's device); the figures are computed on the CPU.
    """
    samplers, budgets = list(samplers), [int(b) for b in budgets]
    check_sweep(process, samplers, budgets, options)
    score = ScoreFunction(score_fn.ve_score if isinstance(score_fn, ScoreFunction) else score_fn, process)
    device = torch.device(device)
    start = process.prior_sample((n, reference.dim), torch.Generator(device).manual_seed(seed), device)
    rows = []
    for name in samplers:
        for budget in budgets:
            generator = torch.Generator(device).manual_seed(seed + 1)
            run = sampler_options(name, process, budget, generator=generator,
                                  **dict((options or {}).get(name, {})))
            samples = run_to_end(name, score, start.clone(), **run).detach().cpu()
            report = quality_report(samples, reference, torch.Generator().manual_seed(seed))
            rows.append(SweepRow(name, budget, planned_nfe(name, run), float(report["sliced_wasserstein"]),
                                 float(report["sw_floor"]), float(report["sw_ratio"]), report.get("mode_weights"),
                                 report.get("true_weights"), float(report["nonfinite"])))
    return rows


def sweep_table(rows: list[SweepRow]) -> str:
    """The rows as aligned text: sampler, NFE asked and used, sliced Wasserstein, × floor, mode weights."""
    lines = [f"  {'sampler':10s} {'NFE':>5s} {'used':>5s}  {'SW':>8s}  {'× floor':>7s}  mode weights"]
    for row in rows:
        weights = "" if row.mode_weights is None else ", ".join(f"{w:.3f}" for w in row.mode_weights)
        lines.append(f"  {row.sampler:10s} {row.nfe_requested:5d} {row.nfe_used:5d}  {row.sliced_wasserstein:8.4f}"
                     f"  {row.sw_ratio:7.2f}  {weights}")
    if rows and rows[0].true_weights is not None:
        lines.append(f"  (true weights {', '.join(f'{w:.3f}' for w in rows[0].true_weights)})")
    return "\n".join(lines)
