"""The `scoreviz` command line: train, sample, eval, bench, schedule, info, download, gui. Works headless (also on
a GPU box).

Every user error (bad argument, missing file, unknown preset, broken checkpoint) ends in one clear line on
stderr and exit status 2; runtime and internal errors end in status 1, with --debug showing the traceback
(cli_support says the rule). Help texts, defaults and examples: cli_support.finish_parser.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from scoreviz import cli_support, names
from scoreviz.core.sampler_registry import SAMPLERS   # torch-free: the choices at parse time


def _add_train(sub):
    p = sub.add_parser("train", help="train a score model on a preset, a point file or a density image")
    p.add_argument("--data", default=None, metavar="SPEC",
                   help="a preset name (see `scoreviz presets`), a .npy/.csv point file (N×D, D ≤ 8), a .png density, "
                        "or mnist[:DIR] (required, except with --resume: then the checkpoint's data)")
    p.add_argument("--out", required=True, metavar="CKPT", help="checkpoint file to write (and CKPT.log.csv beside it: "
                                                                "step, loss, lr, seconds, loss per σ)")
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
    p.add_argument("--resume", default=None, metavar="CKPT",
                   help="continue CKPT's run (optimizer, EMA, step, schedule, RNG; its data and options) for --steps "
                        "or --minutes more, or to the end of its planned steps")
    p.add_argument("--tensorboard", default=None, metavar="DIR",
                   help="also write TensorBoard scalars to DIR (needs pip install 'scoreviz[tensorboard]')")


def _process_options(g, **helps) -> None:
    """The process's schedule parameters (unset: the data-derived defaults); `helps` replaces a help text by the
    option's name (sigma_min, sigma_max, levels, rho) where `train` and `schedule` mean different defaults."""
    text = {"sigma_min": "ve/ncsn: smallest noise level (default: 0.01 × the data std)",
            "sigma_max": "ve/ncsn: largest noise level (default: the largest distance between data points)",
            "levels": "ncsn: number of levels (default: neighbours within a ratio of 1.5)",
            "rho": "EDM's sampling discretisation ρ (default: none, uniform in t)", **helps}
    g.add_argument("--sigma-min", type=float, default=None, metavar="S", help=text["sigma_min"])
    g.add_argument("--sigma-max", type=float, default=None, metavar="S", help=text["sigma_max"])
    g.add_argument("--levels", type=int, default=None, metavar="L", help=text["levels"])
    g.add_argument("--beta-min", type=float, default=None, metavar="B", help="vp/subvp: β at t = 0 (default: 0.1)")
    g.add_argument("--beta-max", type=float, default=None, metavar="B", help="vp/subvp: β at t = 1 (default: 20)")
    g.add_argument("--t-min", type=float, default=None, metavar="T",
                   help="vp/subvp/cosine: the smallest time, in (0, 0.5) (default: 0.001)")
    g.add_argument("--rho", type=float, default=None, metavar="RHO", help=text["rho"])


def _training_noise_options(g, images: bool) -> None:
    """The training side of the schedule (core.noise_schedule.TrainingNoise; unset: the recipe's)."""
    def on_images(default: str, image_default: str) -> str:
        return f"{default}; images: {image_default}" if images else default

    g.add_argument("--noise-dist", default=None, choices=names.keys(names.NOISE_DISTRIBUTIONS),
                   help=f"where training draws its noise levels (default: {on_images('process', 'log_normal on ve')})")
    g.add_argument("--p-mean", type=float, default=None, metavar="M",
                   help=f"log_normal: mean of ln σ (default: {on_images('-1.2', '-1.2 + ln(2σ_data)')})")
    g.add_argument("--p-std", type=float, default=None, metavar="S", help="log_normal: std of ln σ (default: 1.2)")
    g.add_argument("--weighting", default=None, choices=names.keys(names.LOSS_WEIGHTINGS),
                   help=f"loss weighting (default: {on_images('sigma2', 'edm with dsm')})")
    g.add_argument("--min-snr-gamma", type=float, default=None, metavar="G", help="min_snr: γ (default: 5)")


def _add_train_schedule(p):
    """`train`'s noise-schedule options: the process's parameters and the TrainingNoise (unset: the defaults)."""
    g = p.add_argument_group("noise schedule (each applies to the processes that have it)")
    _process_options(g, rho="EDM's sampling discretisation ρ (EDM: 7; default: uniform in t; images: 7 on ve)")
    _training_noise_options(g, images=True)


def _add_sample(sub):
    p = sub.add_parser("sample", help="draw samples from a checkpoint into a .npy file")
    p.add_argument("--checkpoint", required=True, metavar="CKPT")
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--out", required=True, metavar="FILE.npy")
    p.add_argument("--sampler", default=None, choices=list(SAMPLERS))
    p.add_argument("--nfe", type=int, default=None, help="network evaluations of the run (default: the recipe's)")
    p.add_argument("--steps", type=int, default=None,
                   help="instead of --nfe: the sampler's own steps (annealed Langevin: per level)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto")
    p.add_argument("--png", default=None, help="images: also save a grid PNG (all classes: one class per column)")
    p.add_argument("--class", dest="class_label", type=int, default=None,
                   help="images: the class to draw (default for class-conditional models: all classes evenly)")
    p.add_argument("--unconditional", action="store_true",
                   help="images: a class-conditional model's no-label branch (with autoguidance)")
    p.add_argument("--guidance", type=float, default=None,
                   help="images: classifier-free guidance weight (default: 2 for class-conditional samples)")
    p.add_argument("--autoguidance", type=float, default=None, metavar="W",
                   help="images: step W away from the checkpoint's early model (1 = off; default 3 for "
                        "unconditional samples when the checkpoint has one)")


def _add_eval(sub):
    p = sub.add_parser("eval", help="quality figures of a checkpoint's samples against held-out data")
    p.add_argument("--checkpoint", required=True, metavar="CKPT")
    p.add_argument("--n", type=int, default=4000)
    p.add_argument("--sampler", default=None, choices=list(SAMPLERS))
    p.add_argument("--nfe", type=int, default=None, help="network evaluations of the run (default: the recipe's)")
    p.add_argument("--steps", type=int, default=None,
                   help="instead of --nfe: the sampler's own steps (annealed Langevin: per level)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto")
    p.add_argument("--json", action="store_true")


def _add_bench(sub):
    p = sub.add_parser("bench", help="performance and quality benchmarks")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument("--quick", action="store_true", help="fewer presets and shorter runs (a smoke test)")
    p.add_argument("--only", default=None, help="comma-separated groups: train,throughput,modes,gui,images,highdim")
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
    _process_options(
        g, sigma_min="ve/ncsn: smallest noise level (default: 0.01 × the data std; --dim: 0.01)",
        sigma_max="ve/ncsn: largest noise level (default: the largest distance between data points; "
                  "--dim: max(10, √(2D)))",
        levels="the sampler's number of levels, and ncsn's ladder (default: ncsn's ladder, else neighbours within "
               "a ratio of 1.5; ncsn with --dim D ≥ 5: NCSNv2's ratio rule)")
    g.add_argument("--steps-each", type=int, default=100, metavar="T",
                   help="annealed Langevin steps per level, for the step-size rule (default: 100)")
    _training_noise_options(p.add_argument_group("the training side (the density and weight plots, the "
                                                  "untrained-levels check)"), images=False)
    p.add_argument("--json", action="store_true", help="print the analysis as JSON (default: readable text)")
    p.add_argument("--png", default=None, metavar="FILE", help="also draw the schedule plots into this PNG "
                                                               "(default: none)")


def _add_render(sub):
    p = sub.add_parser("render", help="render a clip (.mp4 or .gif) of particles following a sampler over the score "
                                      "field, without a window")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoint", metavar="CKPT", help="a 2-D checkpoint from `scoreviz train`: its model and data")
    src.add_argument("--data", metavar="SPEC", help="a preset, a .npy/.csv point file or a .png density (the exact "
                                                    "score of its noised data)")
    p.add_argument("--score", default=None, choices=names.keys(names.SCORE_SOURCES),
                   help="the score the particles follow (default: learned with --checkpoint, exact with --data)")
    p.add_argument("--sampler", default="annealed", choices=list(SAMPLERS), help="the sampler")
    p.add_argument("--n", type=int, default=2000, help="particles")
    p.add_argument("--nfe", type=int, default=None,
                   help="network evaluations of the run, as the window's Particles panel (default: 500)")
    p.add_argument("--steps", type=int, default=None,
                   help="instead of --nfe, the old length: the sampler's own steps (annealed Langevin: over its 10 "
                        "levels), converted to the NFE of the same run")
    p.add_argument("--out", required=True, metavar="CLIP", help="the clip to write: .mp4 (H.264) or .gif")
    p.add_argument("--fps", type=int, default=30, help="frames per second")
    p.add_argument("--size", default=None, metavar="WxH",
                   help="frame size in pixels (default: 1280x720 for .mp4, 640x360 for .gif; odd sizes lose a pixel)")
    p.add_argument("--seconds", type=float, default=None, metavar="S",
                   help="the clip's length, its last second holding the samples (default: one frame per sampler "
                        "step, steps skipped evenly past 10 s, then a 1 s hold)")
    p.add_argument("--seed", type=int, default=0, help="random seed: the same options give the same clip")
    p.add_argument("--sigma", type=float, default=None, metavar="S",
                   help="noise level σ of the field drawn under the particles (and of plain Langevin) (default: 0.5, "
                        "or the middle of the process's range when 0.5 is outside it)")
    p.add_argument("--field", default=None, choices=names.keys(names.FIELD_KINDS),
                   help="which field the arrows show (default: the score the particles follow)")
    p.add_argument("--grid", type=int, default=None, metavar="N",
                   help="arrows across the view, 4–96 (default: one per 40 px of width, 12–48: 32 at 1280 px)")
    p.add_argument("--process", default="ve", choices=names.keys(names.PROCESSES),
                   help="noise process with --data (a checkpoint brings its own)")
    p.add_argument("--theme", default="dark", choices=("dark", "light"), help="colours of the app's themes")
    p.add_argument("--presentation", action="store_true",
                   help="the app's presentation style: thicker arrows, bigger particles and text, Okabe–Ito modes")
    p.add_argument("--no-caption", action="store_true", help="leave out the caption line (sampler, level, σ)")
    p.add_argument("--no-trails", action="store_true", help="leave out the particles' fading trails")
    p.add_argument("--device", default="auto", help="where the sampler runs (drawing is on the CPU)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scoreviz", description="Score-based generative models, headless.")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_train(sub)
    _add_sample(sub)
    _add_eval(sub)
    _add_bench(sub)
    _add_schedule(sub)
    _add_render(sub)
    sub.add_parser("presets", help="list the built-in data presets with their dimension")
    cli_support.add_housekeeping_commands(sub)
    return cli_support.finish_parser(parser)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if args.command == "gui":      # the window parses its own options
        from scoreviz.app.launch import main as launch_window

        return launch_window(extra)
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    log_path = cli_support.start_logging(args, argv)
    from scoreviz import commands  # torch is imported only once the arguments are known to be valid

    handlers = {"train": commands.train, "sample": commands.sample, "eval": commands.evaluate,
                "bench": commands.bench, "presets": commands.presets, "schedule": commands.schedule,
                "render": commands.render}
    handlers.update(cli_support.housekeeping_handlers())
    try:
        result = handlers[args.command](args)
    except KeyboardInterrupt:
        print("scoreviz: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:   # exit 2 for the user's errors, 1 for the rest (cli_support)
        return cli_support.report_failure(args, exc, commands.USER_ERRORS, log_path)
    if isinstance(result, dict) and getattr(args, "json", False):
        print(json.dumps(result, indent=2))
    if getattr(args, "out", None) and args.command == "bench" and isinstance(result, dict):
        Path(args.out).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
