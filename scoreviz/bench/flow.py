"""`scoreviz bench --only flow`: flow matching against the diffusion processes on the 2-D presets, at equal
training time and equal NFE.

For each preset, three runs of `scoreviz train`'s point recipe for the same seconds: the VE SDE and the VP SDE
trained by denoising score matching, and the flow process x_t = (1 − t)x₀ + tε trained by conditional flow
matching (velocity ε − x₀) with SD3's logit-normal times (Esser et al. 2024). All three are sampled with the same
deterministic solver (the probability-flow ODE, Heun's steps) at the same budget of network evaluations, and
scored by sliced Wasserstein to held-out data, as a multiple of the floor (two independent draws of the data).
"""
from __future__ import annotations

import sys

from scoreviz.core.data import make_preset
from scoreviz.core.recipes.points import DEFAULT_MAX_STEPS, DEFAULT_TRAIN_SECONDS, draw_samples, make_trainer
from scoreviz.core.schedule.training_noise import TrainingNoise

#: process → what `make_trainer` trains it with (the loss and the training noise of its own field).
RECIPES = {
    "ve": dict(loss="dsm"),
    "vp": dict(loss="dsm"),
    "flow": dict(loss="fm", noise=TrainingNoise(distribution="logit_normal")),
}
#: The deterministic solver and its budget: Heun's probability-flow ODE, 2 evaluations a step + 1 to denoise.
SAMPLER, NFE = "ode", 101
N_SAMPLES = 10_000
QUICK = ("moons", "rings", "8gaussians")
PRESETS = ("moons", "rings", "8gaussians", "25gaussians", "swissroll", "checkerboard", "pinwheel", "ncsn")


def bench_flow(quick: bool, verbose: bool, sw, floor) -> dict:
    """{"flow": {preset: {process: SW × floor}}} with `sw(samples, reference)` and `floor(name, heldout)` the
    bench's own measures, so the figures compare with every other group's."""
    seconds = DEFAULT_TRAIN_SECONDS / 3 if quick else DEFAULT_TRAIN_SECONDS
    table: dict = {}
    for name in QUICK if quick else PRESETS:
        data = make_preset(name, n_heldout=N_SAMPLES)
        base = floor(name, data.heldout)
        row = {}
        for process, recipe in RECIPES.items():
            trainer = make_trainer(data.train, process=process, device="cpu", **recipe)
            trainer.train(DEFAULT_MAX_STEPS, seconds=seconds)
            samples = draw_samples(trainer.ema, trainer.process, N_SAMPLES, SAMPLER, nfe=NFE, seed=1)
            row[process] = sw(samples, data.heldout) / base
            row[f"{process}_steps"] = trainer.step_count
        table[name] = row
        if verbose:
            print(f"  {name:13s} " + "   ".join(f"{p} {row[p]:.2f}× ({row[p + '_steps']} steps)" for p in RECIPES),
                  file=sys.stderr, flush=True)
    return {"flow": table, "flow_train_seconds": seconds, "flow_nfe": NFE}
