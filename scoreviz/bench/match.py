"""Steps until the learned field matches, measured deterministically: the window's live recipe, step by step.

The window's time to match (`LiveTraining.time_to_match`) is wall-clock and depends on the machine's load. Here
it is split into what a seed fixes and what the machine does:

    steps_to_match  optimiser steps until the EMA model's median relative error at the process's middle σ, on
                    the window's 32-per-axis grid over the data, is ≤ names.MATCH_THRESHOLD (the window's rule,
                    `LiveTraining.measure_match`), checked every `check_every` steps; deterministic for a seed
    step_ms         one optimiser step on one CPU thread: the minimum over repeats of the mean over a few hundred
                    steps (robust to other processes on the machine)
    measure_ms      one measurement of the error (the window makes one every lab.session.MATCH_REFRESH)
    estimate_s      steps_to_match × step_ms·window_factor + half a MATCH_REFRESH (the window sees the match at its
                    next measurement): the time to match on an idle machine, where `window_factor` (≥ 1) is what
                    the window's ticks, field and read-outs add to a bare step (measured: ~260 steps/s in the
                    window for the default recipe)

`python -m scoreviz.bench.match [presets…]` prints a table; `steps_to_match(preset, …)` takes the recipe's
settings as overrides (TrainConfig and MLPConfig fields) to compare levers.
"""
from __future__ import annotations

import math
import sys
import time
from dataclasses import replace

import torch

from scoreviz.core.processes import make_process
from scoreviz.core.training import TrainConfig, Trainer
from scoreviz.names import MATCH_THRESHOLD

PRESETS_2D = ("moons", "8gaussians", "checkerboard", "rings", "25gaussians", "swissroll", "spirals", "pinwheel",
              "ncsn", "gaussian", "smiley")
#: The window's refresh of the error (lab.session.MATCH_REFRESH, not imported: the session module is Qt-free but
#: heavy) and its delivered step rate relative to a bare step, measured with the default recipe in the window.
MATCH_REFRESH = 0.2


def window_dataset(preset: str):
    """The dataset as the window's worker holds it (a preset's spec, float32 round trip)."""
    from scoreviz.lab.data_specs import dataset_from_spec, preset_spec

    return dataset_from_spec(preset_spec(preset))


def live_trainer(dataset, seed: int = 0, net: dict | None = None, **train) -> Trainer:
    """A Trainer as the window's `LiveTraining.start` builds it on `dataset` under the default process, with
    `train` (TrainConfig fields) and `net` (MLPConfig fields) overriding the live recipe."""
    from scoreviz.lab.live_training import LiveTraining

    live = LiveTraining()
    live.seed = seed
    process = make_process(live.process_name, dataset.train if dataset.train.shape[0] > 1 else None)
    trainer = live._new_trainer(dataset, process)
    if not net and not train:
        return trainer
    config = replace(trainer.config, **train)
    net_config = replace(trainer.net_config, **(net or {}))
    return Trainer(dataset.train, process, net_config, config, torch.device("cpu"))


def match_error(trainer: Trainer, dataset, cache: dict) -> float:
    """The window's middle-σ error of `trainer`'s EMA model (LiveTraining.measure_match's rule)."""
    from scoreviz.lab.field import geometric_mid, relative_error
    from scoreviz.lab.live_training import MATCH_GRID, exact_over_data

    sigma = geometric_mid(*trainer.process.noise_range())
    if cache.get("sigma") != sigma:
        cache["sigma"] = sigma
        cache["pts"], cache["exact"] = exact_over_data(dataset, MATCH_GRID, sigma)
    with torch.inference_mode():
        learned = trainer.ema.score(cache["pts"], sigma).double()
    return relative_error(learned, cache["exact"])


def steps_to_match(preset, seed: int = 0, check_every: int = 10, max_steps: int = 4000, net: dict | None = None,
                   trace: bool = False, **train) -> dict:
    """Steps until the window's match on `preset` (a name or a Dataset) with the live recipe and overrides:
    {"steps": the first checked step with error ≤ MATCH_THRESHOLD (NaN if none by max_steps), "errors": [(step,
    error)] when `trace`}."""
    torch.manual_seed(0)
    dataset = window_dataset(preset) if isinstance(preset, str) else preset
    trainer = live_trainer(dataset, seed, net, **train)
    cache: dict = {}
    errors = []
    steps = math.nan
    while trainer.step_count < max_steps:
        for _ in range(check_every):
            trainer.step()
        err = match_error(trainer, dataset, cache)
        errors.append((trainer.step_count, err))
        if err <= MATCH_THRESHOLD:
            steps = trainer.step_count
            break
    out = {"steps": steps, "final_error": errors[-1][1]}
    if trace:
        out["errors"] = errors
    return out


def step_ms(preset="rings", steps: int = 200, repeats: int = 5, net: dict | None = None, **train) -> dict:
    """One step's cost and one measurement's on one thread: min over `repeats` of the mean over `steps` (ms)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        dataset = window_dataset(preset) if isinstance(preset, str) else preset
        trainer = live_trainer(dataset, 0, net, **train)
        cache: dict = {}
        for _ in range(20):
            trainer.step()
        match_error(trainer, dataset, cache)
        best_step = best_measure = math.inf
        for _ in range(repeats):
            start = time.perf_counter()
            for _ in range(steps):
                trainer.step()
            best_step = min(best_step, (time.perf_counter() - start) / steps)
            start = time.perf_counter()
            for _ in range(5):
                match_error(trainer, dataset, cache)
            best_measure = min(best_measure, (time.perf_counter() - start) / 5)
    finally:
        torch.set_num_threads(threads)
    return {"step_ms": best_step * 1e3, "measure_ms": best_measure * 1e3}


def estimate_seconds(steps: float, step_cost_ms: float, window_factor: float) -> float:
    """The time to match in the window on an idle machine (module docstring)."""
    return steps * step_cost_ms * window_factor / 1e3 + MATCH_REFRESH / 2


def table(presets=PRESETS_2D, seeds=(0, 1, 2), window_factor: float = 1.0, net: dict | None = None,
          **train) -> dict:
    """steps_to_match per preset and seed, with the step cost (measured on rings) and the estimated time."""
    cost = step_ms("rings", net=net, **train)
    rows = {}
    for name in presets:
        counts = [steps_to_match(name, seed, net=net, **train)["steps"] for seed in seeds]
        rows[name] = {"steps": counts, "estimate_s": estimate_seconds(counts[0], cost["step_ms"], window_factor)}
    return {"cost": cost, "rows": rows}


def main(argv: list[str]) -> None:
    presets = argv or PRESETS_2D
    result = table(presets)
    cost = result["cost"]
    print(f"step {cost['step_ms']:.2f} ms, measurement {cost['measure_ms']:.2f} ms (1 thread)")
    for name, row in result["rows"].items():
        print(f"{name:14s} steps to match (seeds 0,1,2) {row['steps']}")


if __name__ == "__main__":
    main(sys.argv[1:])
