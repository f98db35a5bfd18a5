"""`scoreviz bench --only samplers`: the solvers in σ̃ against the reverse SDE, quality against NFE.

With the exact score of a 2-D mixture (no model, so only the sampler differs), each sampler at each NFE budget
(core.nfe_sweep.quality_vs_nfe, the function `scoreviz eval --nfe-sweep` calls):

    reference   em (Euler–Maruyama) at 500 steps (NFE 501), the project's default sampler at its default length
    sweep       heun, dpmpp2m, dpmpp_sde, euler, euler_a on VE and ddim (η = 0) on VP at NFE 10 … 500:
                sliced Wasserstein to held-out data × its finite-sample floor (≈ 1: as good as the data)
    weights     NCSN's 0.8/0.2 mixture at ≤ 100 NFE: the share in the heavy mode (exact ±0.03 is the aim)
    learned     the same sweep on the default model trained on the preset (the `scoreviz train` recipe)
    presets     on the default model of every 2-D preset (4,000 steps, seeded): em at 500 steps against the new
                samplers at ≤ 100 NFE (PRESET_RUNS), 20,000 samples × 2 seeds; em at 1,000 steps beside em at 500
                shows how far the figure moves by chance alone

--quick: fewer budgets, fewer particles and a short training (a smoke test of the group, not the figures).
"""
from __future__ import annotations

import sys

import torch

from scoreviz.core.data import make_preset
from scoreviz.core.guidance import exact_score, model_score
from scoreviz.core.nfe_sweep import quality_vs_nfe, sweep_table
from scoreviz.core.processes import make_process
from scoreviz.core.recipes.points import DEFAULT_MAX_STEPS, DEFAULT_TRAIN_SECONDS, make_trainer

PRESET = "25gaussians"      # 25 modes of std 0.2: first and second order differ visibly at 10–50 NFE
ON_VE = ("heun", "dpmpp2m", "dpmpp_sde", "euler", "euler_a")
ON_VP = ("ddim",)
WEIGHT_SAMPLERS = ("heun", "dpmpp2m", "dpmpp_sde", "euler", "euler_a")
BUDGETS, QUICK_BUDGETS = (10, 20, 50, 100, 200, 500), (10, 20, 50)
WEIGHT_BUDGETS, QUICK_WEIGHT_BUDGETS = (10, 20, 50, 100), (20, 100)
REFERENCE_NFE = 501        # em: 500 steps and the final denoising step
N_SAMPLES, QUICK_SAMPLES = 4000, 2000
QUICK_TRAIN_STEPS = 300
#: The runs of the per-preset table: label → (sampler, NFE, options). EDM's stochastic Heun at its churn cap
#: (S_churn/N ≥ √2 − 1), DPM-Solver++(2M) SDE on EDM's levels and on uniform log-σ, Euler ancestral.
PRESET_RUNS = {"em 500": ("em", 501, {}), "em 1000": ("em", 1001, {}),
               "dpmpp_sde 100": ("dpmpp_sde", 100, {}), "dpmpp_sde 100 ρ 3": ("dpmpp_sde", 100, {"rho": 3.0}),
               "dpmpp_sde 100 log σ": ("dpmpp_sde", 100, {"discretisation": "log_sigma"}),
               "dpmpp_sde 100 log σ η 1.5": ("dpmpp_sde", 100, {"discretisation": "log_sigma", "eta": 1.5}),
               "heun 99 churn": ("heun", 99, {"s_churn": 40.0}), "euler_a 100": ("euler_a", 100, {})}
PRESET_SAMPLES, PRESET_SEEDS = 20_000, (0, 1)


def _say(verbose: bool, text: str) -> None:
    if verbose:
        print(text, file=sys.stderr, flush=True)


def _sweep(score, dataset, budgets, n: int, process, samplers, verbose: bool, title: str) -> list[dict]:
    """The rows of quality_vs_nfe as dicts (printed when `verbose`); `process` a name (data-derived defaults)
    or a process."""
    process = make_process(process, dataset.train) if isinstance(process, str) else process
    rows = quality_vs_nfe(score, process, dataset, samplers, budgets, n=n, seed=0)
    _say(verbose, f"  {title}, {process.name}:\n{sweep_table(rows)}")
    return [{**row.as_dict(), "process": process.name} for row in rows]


def bench_samplers(quick: bool = False, verbose: bool = True) -> dict:
    """{"samplers": {"preset", "n", "reference", "exact", "ncsn_weights", "learned"}}: lists of sweep rows."""
    n = QUICK_SAMPLES if quick else N_SAMPLES
    budgets = QUICK_BUDGETS if quick else BUDGETS
    ds = make_preset(PRESET)
    exact = exact_score(ds)
    out: dict = {"preset": PRESET, "n": n}
    out["reference"] = _sweep(exact, ds, (REFERENCE_NFE,), n, "ve", ("em",), verbose, f"{PRESET}, exact score")
    out["exact"] = (_sweep(exact, ds, budgets, n, "ve", ON_VE, verbose, f"{PRESET}, exact score")
                    + _sweep(exact, ds, budgets, n, "vp", ON_VP, verbose, f"{PRESET}, exact score"))
    ncsn = make_preset("ncsn")
    out["ncsn_weights"] = _sweep(exact_score(ncsn), ncsn, QUICK_WEIGHT_BUDGETS if quick else WEIGHT_BUDGETS, n,
                                 "ve", WEIGHT_SAMPLERS, verbose, "ncsn, exact score")
    trainer = make_trainer(ds.train, device="cpu")
    if quick:
        trainer.train(QUICK_TRAIN_STEPS)
    else:
        trainer.train(DEFAULT_MAX_STEPS, seconds=DEFAULT_TRAIN_SECONDS)
    learned = model_score(trainer.ema)
    out["learned_steps"] = trainer.step_count
    out["learned"] = (_sweep(learned, ds, (REFERENCE_NFE,), n, trainer.process, ("em",), verbose,
                             f"{PRESET}, default model ({trainer.step_count} steps)")
                      + _sweep(learned, ds, budgets, n, trainer.process, ON_VE, verbose, f"{PRESET}, default model"))
    out["presets"] = bench_preset_models(quick, verbose)
    return {"samplers": out}


def bench_preset_models(quick: bool = False, verbose: bool = True) -> dict:
    """{preset: {run label: sliced Wasserstein × floor, the mean over PRESET_SEEDS}} on each 2-D preset's default
    model (module docstring: presets); the reference is a fresh 20,000-point draw of the preset."""
    from scoreviz.bench.match import PRESETS_2D

    presets, n, seeds = (("moons",), 2000, (0,)) if quick else (PRESETS_2D, PRESET_SAMPLES, PRESET_SEEDS)
    out = {}
    for name in presets:
        torch.manual_seed(0)
        trainer = make_trainer(make_preset(name).train, device="cpu")
        trainer.train(QUICK_TRAIN_STEPS if quick else DEFAULT_MAX_STEPS)
        reference, score = make_preset(name, n, n, seed=1), model_score(trainer.ema)
        row = {}
        for label, (sampler, nfe, options) in PRESET_RUNS.items():
            ratios = [quality_vs_nfe(score, trainer.process, reference, [sampler], [nfe], n=n, seed=seed,
                                     options={sampler: options})[0].sw_ratio for seed in seeds]
            row[label] = sum(ratios) / len(ratios)
        out[name] = row
        _say(verbose, f"  {name}: " + ", ".join(f"{k} {v:.2f}" for k, v in row.items()))
    return out
