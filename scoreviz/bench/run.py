"""`scoreviz bench`: every performance and quality figure the issues ask for, measured side by side.

Groups (select with --only):
    train       each 2D preset: the default recipe (`scoreviz train`'s) against the textbook reference
                (bench/textbook.py, 10,000 steps), sliced Wasserstein to held-out data and the floor
    throughput  particle-steps/s of the default 2D model (10,000 particles, the sampler's own loop)
    modes       NCSN's unequal mixture with a learned model: the heavy mode's share under each sampler
    gui         frame_ms and gui_stall_ms of the app (offscreen), and the time until the field matches
    images      image mode: training throughput and recognisable digits (where the data are present)
    highdim     the 3-D, 5-D and 8-D presets: the default recipe's sliced Wasserstein × floor and mode weights
                against the truth, with the exact-score samplers as the reference (bench/high_dim.py)
    flow        flow matching against the VE and VP SDEs at equal training time and NFE (bench/flow.py)
    samplers    quality against NFE: em at 500 steps vs heun, dpmpp2m, dpmpp_sde, ddim (VP), euler, euler_a at
                NFE 10 … 500 with the exact score of a 2-D mixture, NCSN's mode weights at ≤ 100 NFE, and the
                same sweep on the default model (bench/samplers.py)
Timings are wall-clock on this machine; quality figures are seeded.
"""
from __future__ import annotations

import os
import platform
import sys
import time

import torch

from scoreviz.core.data import make_preset
from scoreviz.core.device import configure_cpu_threads, resolve_device
from scoreviz.core.guidance import model_score
from scoreviz.core.metrics import sliced_wasserstein
from scoreviz.core.recipes.points import DEFAULT_MAX_STEPS, DEFAULT_TRAIN_SECONDS, draw_samples, make_trainer
from scoreviz.core.sampler_runs import run_sampler
from scoreviz.core.samplers import ScoreFunction

PRESETS_2D = ["moons", "rings", "8gaussians", "25gaussians", "swissroll", "spirals", "checkerboard", "pinwheel",
              "ncsn", "gaussian", "smiley"]
QUICK_PRESETS = ["moons", "rings", "8gaussians"]
N_EVAL = 20_000


def _say(verbose: bool, text: str) -> None:
    if verbose:
        print(text, file=sys.stderr, flush=True)


def _sw(samples, reference, seed=0) -> float:
    return sliced_wasserstein(samples, reference, 256, torch.Generator().manual_seed(seed))


def _floor(name: str, heldout) -> float:
    """SW between the held-out set and independent draws of the same size, averaged over three draws."""
    draws = [make_preset(name, n_train=heldout.shape[0], n_heldout=1, seed=100 + k).train for k in range(3)]
    return sum(_sw(d, heldout) for d in draws) / len(draws)


def bench_train(quick: bool, verbose: bool) -> dict:
    from scoreviz.bench.textbook import sample_textbook, train_textbook

    results = {}
    for name in QUICK_PRESETS if quick else PRESETS_2D:
        ds = make_preset(name, n_heldout=N_EVAL)
        start = time.perf_counter()
        trainer = make_trainer(ds.train, device="cpu")
        trainer.train(DEFAULT_MAX_STEPS, seconds=DEFAULT_TRAIN_SECONDS)
        ours_s = time.perf_counter() - start
        start = time.perf_counter()
        ours = draw_samples(trainer.ema, trainer.process, N_EVAL, seed=1)
        sample_s = time.perf_counter() - start
        ref_model, ref_train_s = train_textbook(ds.train, steps=2000 if quick else 10_000)
        ref = sample_textbook(ref_model, N_EVAL)
        floor = _floor(name, ds.heldout)
        row = {"ours_sw": _sw(ours, ds.heldout), "textbook_sw": _sw(ref, ds.heldout), "floor_sw": floor,
               "ours_train_seconds": ours_s, "ours_sample_seconds": sample_s, "ours_steps": trainer.step_count, "textbook_train_seconds": ref_train_s}
        row["ours_ratio"] = row["ours_sw"] / floor
        row["textbook_ratio"] = row["textbook_sw"] / floor
        row["ours_better"] = row["ours_sw"] < row["textbook_sw"]
        results[name] = row
        _say(verbose, f"  {name:13s} ours SW {row['ours_sw']:.4f} ({row['ours_ratio']:.2f}× floor, "
                      f"train {ours_s:.1f} s)   textbook {row['textbook_sw']:.4f} ({row['textbook_ratio']:.2f}×, "
                      f"{ref_train_s:.1f} s)   floor {floor:.4f}")
    return {"train": results,
            "train_all_better": all(r["ours_better"] for r in results.values()),
            "train_max_seconds": max(r["ours_train_seconds"] for r in results.values())}


def bench_throughput(verbose: bool) -> dict:
    ds = make_preset("moons")
    trainer = make_trainer(ds.train, device="cpu", steps=10)
    trainer.train()
    score = ScoreFunction(model_score(trainer.ema), trainer.process)
    x = trainer.process.prior_sample((10_000, 2), torch.Generator().manual_seed(0))
    steps = 60
    run = run_sampler("em", score, x, steps=steps, generator=torch.Generator().manual_seed(0), final_denoise=False)
    next(run)  # warm-up
    start = time.perf_counter()
    for _ in run:
        pass
    rate = 10_000 * (steps - 1) / (time.perf_counter() - start)
    _say(verbose, f"  sampling: {rate / 1e6:.2f} M particle-steps/s (10,000 particles, EM, default model)")
    return {"particle_steps_per_s": rate}


def bench_modes(verbose: bool) -> dict:
    ds = make_preset("ncsn")
    trainer = make_trainer(ds.train, process="ve", device="cpu")
    trainer.train(DEFAULT_MAX_STEPS, seconds=DEFAULT_TRAIN_SECONDS)
    shares = {}
    for sampler in ("annealed", "em", "pc", "ode"):
        x = draw_samples(trainer.ema, trainer.process, 5000, sampler, seed=2)
        shares[sampler] = float((x[:, 0] > 0).float().mean())
    _say(verbose, "  ncsn heavy-mode share (true 0.8): " + ", ".join(f"{k} {v:.3f}" for k, v in shares.items()))
    return {"ncsn_heavy_mode_share": shares}


def bench_gui(verbose: bool) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from scoreviz.bench.gui import gui_benchmarks

    out = gui_benchmarks()
    _say(verbose, f"  frame {out['frame_ms']:.1f} ms, GUI stall {out['gui_stall_ms']:.0f} ms, "
                  f"time to match " + ", ".join(f"{k[14:-2]} {v:.1f} s" for k, v in out.items()
                                                if k.startswith("time_to_match_") and k != "time_to_match_s"))
    _say(verbose, f"  presenting at 1440×900: frame {out['frame_ms_1440x900']:.1f} ms (p95 "
                  f"{out['frame_p95_ms_1440x900']:.1f}, worst {out['frame_max_ms_1440x900']:.1f}), "
                  f"{out['gui_frames_per_s_presenting']:.1f} of 60 frames/s while training at "
                  f"{out['train_steps_per_s_while_sampling_presenting']:.0f} steps/s")
    return out


def bench_images(quick: bool, verbose: bool) -> dict:
    try:
        from scoreviz.bench.images import image_benchmarks
    except ImportError:
        return {}
    out = image_benchmarks(quick)
    _say(verbose, f"  images: {out}")
    return {"images": out}


GROUPS = ["throughput", "train", "modes", "gui", "images", "highdim", "flow", "samplers"]


def run_benchmarks(quick: bool = False, only: list[str] | None = None, verbose: bool = True) -> dict:
    groups = only or GROUPS
    unknown = set(groups) - set(GROUPS)
    if unknown:
        raise ValueError(f"unknown benchmark group(s): {', '.join(sorted(unknown))}")
    threads = configure_cpu_threads(reserve_gui=False)
    results: dict = {"machine": {"python": platform.python_version(), "torch": torch.__version__,
                                 "cpu_threads": threads, "device": str(resolve_device("auto"))}}
    for group in groups:
        _say(verbose, f"[{group}]")
        start = time.perf_counter()
        if group == "train":
            results.update(bench_train(quick, verbose))
        elif group == "throughput":
            results.update(bench_throughput(verbose))
        elif group == "modes":
            results.update(bench_modes(verbose))
        elif group == "gui":
            results.update(bench_gui(verbose))
        elif group == "images":
            results.update(bench_images(quick, verbose))
        elif group == "highdim":
            from scoreviz.bench.high_dim import bench_highdim

            results.update(bench_highdim(quick, verbose))
        elif group == "flow":
            from scoreviz.bench.flow import bench_flow

            results.update(bench_flow(quick, verbose, _sw, _floor))
        elif group == "samplers":
            from scoreviz.bench.samplers import bench_samplers

            results.update(bench_samplers(quick, verbose))
        results.setdefault("group_seconds", {})[group] = time.perf_counter() - start
    return results
