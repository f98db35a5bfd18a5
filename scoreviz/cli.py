"""The `scoreviz` command line: train, sample, eval, bench. Works headless (also on a GPU box).

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
    p.add_argument("--process", default="ve", choices=names.keys(names.PROCESSES))
    p.add_argument("--loss", default="dsm", choices=names.keys(names.LOSSES))
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scoreviz", description="Score-based generative models, headless.")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_train(sub)
    _add_sample(sub)
    _add_eval(sub)
    _add_bench(sub)
    sub.add_parser("presets", help="list the built-in data presets")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from scoreviz import commands  # torch is imported only once the arguments are known to be valid

    handlers = {"train": commands.train, "sample": commands.sample, "eval": commands.evaluate,
                "bench": commands.bench, "presets": commands.presets}
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
