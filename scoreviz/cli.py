"""The `scoreviz` command line: train, sample, eval, bench, schedule. Works headless (also on a GPU box).

Every user error (bad argument, missing file, unknown preset, broken checkpoint) ends in one clear line on
stderr and exit status 2; nothing prints a traceback for them.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from scoreviz import names


def _add_train(sub):
    p = sub.add_parser("train", help="train a score model on a preset, a point file or a density image")
    p.add_argument("--data", required=True, metavar="SPEC",
                   help="a preset name (see `scoreviz presets`), a .npy/.csv point file, a .png density, or mnist[:DIR]")
    p.add_argument("--out", required=True, metavar="CKPT", help="checkpoint file to write")
    p.add_argument("--steps", type=int, default=None, help="optimiser steps (default: the recipe's)")
    p.add_argument("--minutes", type=float, default=None, help="train for this long instead of a step count")
    p.add_argument("--process", default="ve", choices=names.keys(names.PROCESSES), help="noise process (default: ve)")
    p.add_argument("--loss", default="dsm", choices=names.keys(names.LOSSES))
    _add_train_schedule(p)
    p.add_argument("--model", default=None,
                   help=f"model size: {', '.join(names.POINT_MODEL_SIZES)} "
                        f"(images: {', '.join(names.IMAGE_MODEL_SIZES)})")
    p.add_argument("--batch", type=int, default=None, help="batch size")
    p.add_argument("--lr", type=float, default=None, help="peak learning rate")
    p.add_argument("--device", default="auto", help=", ".join(names.DEVICES))
    p.add_argument("--seed", type=int, default=0)
    cond = p.add_mutually_exclusive_group()
    cond.add_argument("--conditional", dest="conditional", action="store_true", default=None,
                      help="images: class-conditional with classifier-free guidance (the default when there are labels)")
    cond.add_argument("--unconditional", dest="conditional", action="store_false", help="images: ignore the labels")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _add_train_schedule(p):
    """`train`'s noise-schedule options: the process's parameters and the TrainingNoise (unset: the defaults)."""
    g = p.add_argument_group("noise schedule (each applies to the processes that have it)")
    g.add_argument("--sigma-min", type=float, default=None, metavar="S",
                   help="ve/ncsn: smallest noise level (default: 0.01 × the data std)")
    g.add_argument("--sigma-max", type=float, default=None, metavar="S",
                   help="ve/ncsn: largest noise level (default: the largest distance between data points)")
    g.add_argument("--levels", type=int, default=None, metavar="L",
                   help="ncsn: number of levels (default: neighbours within a ratio of 1.5)")
    g.add_argument("--beta-min", type=float, default=None, metavar="B", help="vp/subvp: β at t = 0 (default: 0.1)")
    g.add_argument("--beta-max", type=float, default=None, metavar="B", help="vp/subvp: β at t = 1 (default: 20)")
    g.add_argument("--t-min", type=float, default=None, metavar="T",
                   help="vp/subvp/cosine: the smallest time, in (0, 0.5) (default: 0.001)")
    g.add_argument("--rho", type=float, default=None, metavar="RHO",
                   help="EDM's sampling discretisation ρ (EDM: 7; default: uniform in t; images: 7 on ve)")
    g.add_argument("--noise-dist", default=None, choices=names.keys(names.NOISE_DISTRIBUTIONS),
                   help="where training draws its noise levels (default: process; images on ve: log_normal)")
    g.add_argument("--p-mean", type=float, default=None, metavar="M",
                   help="log_normal: mean of ln σ (default: -1.2; images: -1.2 + ln(2σ_data))")
    g.add_argument("--p-std", type=float, default=None, metavar="S", help="log_normal: std of ln σ (default: 1.2)")
    g.add_argument("--weighting", default=None, choices=names.keys(names.LOSS_WEIGHTINGS),
                   help="loss weighting (default: sigma2; images with dsm: edm)")
    g.add_argument("--min-snr-gamma", type=float, default=None, metavar="G", help="min_snr: γ (default: 5)")


def _add_sample(sub):
    p = sub.add_parser("sample", help="draw samples from a checkpoint into a .npy file")
    p.add_argument("--checkpoint", required=True, metavar="CKPT")
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--out", required=True, metavar="FILE.npy")
    p.add_argument("--sampler", default=None, choices=names.keys(names.SAMPLERS))
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto")
    p.add_argument("--png", default=None, help="images: also save an 8-column grid PNG")
    p.add_argument("--class", dest="class_label", type=int, default=None, help="images: the class to draw")
    p.add_argument("--guidance", type=float, default=0.0, help="images: classifier-free guidance weight")
    p.add_argument("--autoguidance", type=float, default=None, metavar="W",
                   help="images: step W away from the checkpoint's early model (1 = off; default 3 for "
                        "unconditional samples when the checkpoint has one)")


def _add_eval(sub):
    p = sub.add_parser("eval", help="quality figures of a checkpoint's samples against held-out data")
    p.add_argument("--checkpoint", required=True, metavar="CKPT")
    p.add_argument("--n", type=int, default=4000)
    p.add_argument("--sampler", default=None, choices=names.keys(names.SAMPLERS))
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto")
    p.add_argument("--json", action="store_true")


def _add_bench(sub):
    p = sub.add_parser("bench", help="performance and quality benchmarks")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument("--quick", action="store_true", help="fewer presets and shorter runs (a smoke test)")
    p.add_argument("--only", default=None, help="comma-separated groups: train,throughput,modes,gui,images")
    p.add_argument("--out", default=None, help="also write the JSON to this file")


def _add_schedule(sub):
    p = sub.add_parser("schedule", help="NCSNv2's rules, the levels, the Langevin step and the warnings for a noise "
                                        "schedule (no display needed)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--data", metavar="SPEC", help="a preset, a .npy/.csv point file or a .png density: the "
                                                    "data-derived defaults and the data rules (σ_max, prior W₂)")
    src.add_argument("--dim", type=int, metavar="D", help="no data, D dimensions of unit scale (e.g. 3072 for "
                                                          "CIFAR-10, 784 for MNIST)")
    p.add_argument("--process", default="ve", choices=names.keys(names.PROCESSES), help="noise process (default: ve)")
    g = p.add_argument_group("the schedule (each applies to the processes that have it; unset: the defaults)")
    g.add_argument("--sigma-min", type=float, default=None, metavar="S",
                   help="ve/ncsn: smallest noise level (default: 0.01 × the data std; --dim: 0.01)")
    g.add_argument("--sigma-max", type=float, default=None, metavar="S",
                   help="ve/ncsn: largest noise level (default: the largest distance between data points; "
                        "--dim: max(10, √(2D)))")
    g.add_argument("--levels", type=int, default=None, metavar="L",
                   help="the sampler's number of levels, and ncsn's ladder (default: ncsn's ladder, else "
                        "neighbours within a ratio of 1.5; ncsn with --dim D ≥ 5: NCSNv2's ratio rule)")
    g.add_argument("--beta-min", type=float, default=None, metavar="B", help="vp/subvp: β at t = 0 (default: 0.1)")
    g.add_argument("--beta-max", type=float, default=None, metavar="B", help="vp/subvp: β at t = 1 (default: 20)")
    g.add_argument("--t-min", type=float, default=None, metavar="T",
                   help="vp/subvp/cosine: the smallest time, in (0, 0.5) (default: 0.001)")
    g.add_argument("--rho", type=float, default=None, metavar="RHO",
                   help="EDM's sampling discretisation ρ (default: none, uniform in t)")
    g.add_argument("--steps-each", type=int, default=100, metavar="T",
                   help="annealed Langevin steps per level, for the step-size rule (default: 100)")
    n = p.add_argument_group("the training side (the density and weight plots, the untrained-levels check)")
    n.add_argument("--noise-dist", default=None, choices=names.keys(names.NOISE_DISTRIBUTIONS),
                   help="where training draws its noise levels (default: process)")
    n.add_argument("--p-mean", type=float, default=None, metavar="M", help="log_normal: mean of ln σ (default: -1.2)")
    n.add_argument("--p-std", type=float, default=None, metavar="S", help="log_normal: std of ln σ (default: 1.2)")
    n.add_argument("--weighting", default=None, choices=names.keys(names.LOSS_WEIGHTINGS),
                   help="loss weighting (default: sigma2)")
    n.add_argument("--min-snr-gamma", type=float, default=None, metavar="G", help="min_snr: γ (default: 5)")
    p.add_argument("--json", action="store_true", help="print the analysis as JSON (default: readable text)")
    p.add_argument("--png", default=None, metavar="FILE", help="also draw the schedule plots into this PNG "
                                                               "(default: none)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scoreviz", description="Score-based generative models, headless.")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_train(sub)
    _add_sample(sub)
    _add_eval(sub)
    _add_bench(sub)
    _add_schedule(sub)
    sub.add_parser("presets", help="list the built-in data presets")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from scoreviz import commands  # torch is imported only once the arguments are known to be valid

    handlers = {"train": commands.train, "sample": commands.sample, "eval": commands.evaluate,
                "bench": commands.bench, "presets": commands.presets, "schedule": commands.schedule}
    try:
        result = handlers[args.command](args)
    except KeyboardInterrupt:
        print("scoreviz: interrupted", file=sys.stderr)
        return 130
    except commands.USER_ERRORS as exc:
        print(f"scoreviz {args.command}: error: {exc}", file=sys.stderr)
        return 2
    if isinstance(result, dict) and getattr(args, "json", False):
        print(json.dumps(result, indent=2))
    if getattr(args, "out", None) and args.command == "bench" and isinstance(result, dict):
        Path(args.out).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
