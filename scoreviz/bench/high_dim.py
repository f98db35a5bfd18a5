"""`scoreviz bench --only highdim`: the data beyond 2D (3-D, 5-D and 8-D presets), learned against exact.

For each preset: the default recipe (`scoreviz train`'s: ``make_trainer(...).train(DEFAULT_MAX_STEPS,
seconds=DEFAULT_TRAIN_SECONDS)``, then ``draw_samples``, the default sampler) and, as the reference, the exact
score of the noised data (``Dataset.exact_score``: closed form for the mixtures, the ideal denoiser otherwise)
under annealed Langevin and the reverse SDE (Euler–Maruyama), all on the same process and particle count.
Reported: sliced Wasserstein to held-out data × its finite-sample floor (``metrics.quality_report``'s sw_ratio)
and, for the exact mixtures, the share of samples in each mode against the true weights, with
``weight_error`` = max over modes of |share − weight| (issue 13 asks ±0.03 exact, ±0.05 learned).

Where the default training time falls short (a mixture's weights outside ±0.05; for the other presets, sliced
Wasserstein above 1.5× the floor), the run is repeated with 2× and 4× the time (and the step cap), and
``time_needed`` says the first factor that reached it (None: not even 4×).
"""
from __future__ import annotations

import sys
import time

import torch

from scoreviz.core.data import Dataset, make_preset
from scoreviz.core.metrics import quality_report
from scoreviz.core.processes import make_process
from scoreviz.core.recipes.points import DEFAULT_MAX_STEPS, DEFAULT_TRAIN_SECONDS, draw_samples, make_trainer
from scoreviz.lab.schedule.compare import sample_schedule

HIGHDIM_PRESETS = ["helix3d", "swissroll3d", "mixture3d", "mixture5d", "mixture8d"]
QUICK_PRESETS = ["mixture3d", "mixture8d"]
EXACT_SAMPLERS = ("annealed", "em")
N_SAMPLES = 4000
EXACT_TOLERANCE, LEARNED_TOLERANCE = 0.03, 0.05
SW_RATIO_GOOD = 1.5   # presets without modes: "as good as the data" up to this factor of the floor
TIME_FACTORS = (1, 2, 4)


def _say(verbose: bool, text: str) -> None:
    if verbose:
        print(text, file=sys.stderr, flush=True)


def _figures(report: dict) -> dict:
    """sw_ratio, and for a mixture the mode shares, the true weights and their largest difference."""
    row = {"sw_ratio": float(report["sw_ratio"])}
    if "mode_weights" in report:
        got, true = report["mode_weights"], report["true_weights"]
        row.update(mode_weights=got, true_weights=true, weight_error=max(abs(a - b) for a, b in zip(got, true)))
    return row


def exact_reference(dataset: Dataset, n: int = N_SAMPLES, seed: int = 0) -> dict:
    """sampler → figures of n samples drawn with the exact score (the default VE process for the data)."""
    process = make_process("ve", dataset.train)
    out = {}
    for sampler in EXACT_SAMPLERS:
        start = time.perf_counter()
        outcome = sample_schedule(dataset, process, sampler=sampler, n=n, seed=seed)
        row = {"sw_ratio": outcome.sw_ratio, "seconds": time.perf_counter() - start}
        if len(outcome.true_weights):
            row.update(mode_weights=outcome.mode_weights.tolist(), true_weights=outcome.true_weights.tolist(),
                       weight_error=float(abs(outcome.mode_weights - outcome.true_weights).max()))
        out[sampler] = row
    return out


def learned(dataset: Dataset, factor: float = 1, n: int = N_SAMPLES, seed: int = 1) -> dict:
    """The default recipe trained for factor × the default time (and step cap) on CPU, then n samples."""
    start = time.perf_counter()
    trainer = make_trainer(dataset.train, device="cpu")
    trainer.train(int(DEFAULT_MAX_STEPS * factor), seconds=DEFAULT_TRAIN_SECONDS * factor)
    train_s = time.perf_counter() - start
    samples = draw_samples(trainer.ema, trainer.process, n, seed=seed).cpu()
    row = _figures(quality_report(samples, dataset, torch.Generator().manual_seed(seed)))
    row.update(time_factor=factor, train_seconds=train_s, steps=trainer.step_count)
    return row


def _good(row: dict) -> bool:
    if "weight_error" in row:
        return row["weight_error"] <= LEARNED_TOLERANCE
    return row["sw_ratio"] <= SW_RATIO_GOOD


def _fmt(row: dict) -> str:
    text = f"SW {row['sw_ratio']:.2f}× floor"
    if "mode_weights" in row:
        text += f", weights {', '.join(f'{w:.3f}' for w in row['mode_weights'])} (off {row['weight_error']:.3f})"
    return text


def bench_highdim(quick: bool = False, verbose: bool = True, presets: list[str] | None = None) -> dict:
    """{"highdim": {preset: {"dim", "true_weights", "exact": {sampler: figures}, "learned": [figures per
    time factor tried], "time_needed"}}}."""
    results = {}
    for name in presets or (QUICK_PRESETS if quick else HIGHDIM_PRESETS):
        ds = make_preset(name)
        row: dict = {"dim": ds.dim, "exact": exact_reference(ds), "learned": []}
        for sampler, fig in row["exact"].items():
            _say(verbose, f"  {name:12s} {ds.dim}-D exact {sampler:8s} {_fmt(fig)}")
        for factor in TIME_FACTORS[:1] if quick else TIME_FACTORS:
            fig = learned(ds, factor)
            row["learned"].append(fig)
            _say(verbose, f"  {name:12s} {ds.dim}-D learned {factor}× ({fig['steps']} steps, "
                          f"{fig['train_seconds']:.0f} s)  {_fmt(fig)}")
            if _good(fig):
                break
        if ds.mixture is not None:
            row["true_weights"] = ds.mixture.weights.tolist()
        reached = [f["time_factor"] for f in row["learned"] if _good(f)]
        row["time_needed"] = reached[0] if reached else None
        results[name] = row
    return {"highdim": results}
