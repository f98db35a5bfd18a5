"""`scoreviz bench --only samplers`: the solvers in σ̃ against the reverse SDE, quality against NFE.

With the exact score of a 2-D mixture (no model, so only the sampler differs), each sampler at each NFE budget
(core.nfe_sweep.quality_vs_nfe, the function `scoreviz eval --nfe-sweep` calls):

    reference   em (Euler–Maruyama) at 500 steps (NFE 501), the project's default sampler at its default length
    sweep       heun, dpmpp2m, dpmpp_sde, euler, euler_a on VE and ddim (η = 0) on VP at NFE 10 … 500:
                sliced Wasserstein to held-out data × its finite-sample floor (≈ 1: as good as the data)
    weights     NCSN's 0.8/0.2 mixture at ≤ 100 NFE: the share in the heavy mode (exact ±0.03 is the aim)
    learned     the same sweep on the default model trained on the preset (the `scoreviz train` recipe)

--quick: fewer budgets, fewer particles and a short training (a smoke test of the group, not the figures).
"""
from __future__ import annotations

import sys

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
    return {"samplers": out}
