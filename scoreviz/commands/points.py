"""What each `scoreviz` subcommand does (argument parsing lives in cli.py)."""
from __future__ import annotations

import sys
from dataclasses import replace

import numpy as np
import torch

from scoreviz.core.checkpoint import CheckpointError, load_checkpoint
from scoreviz.core.data import (PRESET_DESCRIPTIONS, DataError, Dataset, from_points, load_data, preset_dim,
                                 preset_names)
from scoreviz.core.device import resolve_device
from scoreviz.core.metrics import quality_report
from scoreviz.core.noise_schedule import TrainingNoise
from scoreviz.core.processes import PROCESSES, schedule_parameters
from scoreviz.core.recipes.points import (DEFAULT_MAX_STEPS, DEFAULT_SAMPLER, DEFAULT_TRAIN_SECONDS, draw_samples,
                                   make_trainer, sampling_options)
from scoreviz.core.sampler_runs import planned_nfe
from scoreviz.core.training import TrainingDiverged
from scoreviz.commands.training_run import launch, run_and_save


class UserError(Exception):
    """A problem the user can fix, printed as one line."""


USER_ERRORS = (UserError, DataError, CheckpointError, TrainingDiverged, ValueError, FileNotFoundError,
               PermissionError, IsADirectoryError)


def _positive(name: str, value, allow_none=True):
    if value is None and allow_none:
        return
    if value is None or value <= 0:
        raise UserError(f"--{name} must be positive (got {value})")


#: `scoreviz train`'s schedule options: process parameter → (argparse dest, flag). t_max (cosine) has no flag.
SCHEDULE_OPTIONS = {"sigma_min": ("sigma_min", "--sigma-min"), "sigma_max": ("sigma_max", "--sigma-max"),
                    "n_levels": ("levels", "--levels"), "beta_min": ("beta_min", "--beta-min"),
                    "beta_max": ("beta_max", "--beta-max"), "t_min": ("t_min", "--t-min"), "rho": ("rho", "--rho")}
#: TrainingNoise field → (argparse dest, flag).
NOISE_OPTIONS = {"distribution": ("noise_dist", "--noise-dist"), "p_mean": ("p_mean", "--p-mean"),
                 "p_std": ("p_std", "--p-std"), "weighting": ("weighting", "--weighting"),
                 "min_snr_gamma": ("min_snr_gamma", "--min-snr-gamma")}


def _given(args, options: dict) -> dict:
    return {key: getattr(args, dest) for key, (dest, _) in options.items() if getattr(args, dest, None) is not None}


def schedule_overrides(args) -> dict:
    """The process parameters given on the command line (make_process overrides); a flag the chosen process
    does not take is a UserError naming the flags it does take. The values are checked by the process."""
    given = _given(args, SCHEDULE_OPTIONS)
    editable = schedule_parameters(PROCESSES[args.process]())
    wrong = [SCHEDULE_OPTIONS[k][1] for k in given if k not in editable]
    if wrong:
        takes = ", ".join(SCHEDULE_OPTIONS[k][1] for k in editable if k in SCHEDULE_OPTIONS)
        raise UserError(f"{', '.join(wrong)} does not apply to --process {args.process} (it takes {takes})")
    return given


def training_noise(args, default: TrainingNoise) -> TrainingNoise:
    """`default` with the --noise-dist/--p-mean/--p-std/--weighting/--min-snr-gamma given; an option that the
    resulting distribution or weighting ignores is a UserError."""
    given = _given(args, NOISE_OPTIONS)
    noise = replace(default, **given)
    if {"p_mean", "p_std"} & set(given) and noise.distribution != "log_normal":
        raise UserError(f"--p-mean and --p-std apply to --noise-dist log_normal (not {noise.distribution})")
    if "min_snr_gamma" in given and noise.weighting != "min_snr":
        raise UserError(f"--min-snr-gamma applies to --weighting min_snr (not {noise.weighting})")
    return noise


def presets(args) -> None:
    """One line per preset: its name, its dimension and what it is."""
    names = preset_names()
    width = max(map(len, names))
    print("\n".join(f"{name:{width}s}  {preset_dim(name)}-D  {PRESET_DESCRIPTIONS[name]}" for name in names))


def train(args) -> dict:
    """`scoreviz train`: a new run (points here, images in commands.images) or --resume; under torchrun, one
    of its data-parallel processes (commands.training_run)."""
    for name in ("steps", "minutes", "batch", "lr"):
        _positive(name, getattr(args, name))
    if getattr(args, "resume", None):
        from scoreviz.commands.resume import resume

        return resume(args)
    if not args.data:
        raise UserError("--data is required (or --resume CKPT to continue a run)")
    schedule = schedule_overrides(args)
    if args.data.split(":")[0] in ("mnist", "fashion") or args.data.endswith(".npz"):
        from scoreviz.commands.images import train_images  # image mode

        return train_images(args, schedule)
    noise = training_noise(args, TrainingNoise())
    dataset = load_data(args.data, seed=args.seed)
    overrides = {k: v for k, v in (("steps", args.steps), ("batch_size", args.batch), ("lr", args.lr)) if v}
    setup = launch(args.device)
    trainer = make_trainer(dataset.train, args.process, args.model or "medium", setup.device, loss=args.loss,
                           seed=args.seed, process_overrides=schedule, noise=noise, **overrides)
    steps, seconds = args.steps, (args.minutes * 60 if args.minutes else None)   # both: the first reached
    if not (steps or seconds):  # the default: about DEFAULT_TRAIN_SECONDS, at most DEFAULT_MAX_STEPS steps
        steps, seconds = DEFAULT_MAX_STEPS, DEFAULT_TRAIN_SECONDS
    return run_and_save(trainer, setup, args, steps=steps, seconds=seconds, data_name=dataset.name,
                        fingerprint=dataset.fingerprint(), meta={"data_spec": args.data, "seed": args.seed})


def _load(args):
    return load_checkpoint(args.checkpoint, device=resolve_device(args.device))


def run_length(args, sampler: str, process, sampling_options) -> int:
    """The NFE a run of `sampler` will spend with --nfe or --steps (a UserError for both), under a recipe's
    `sampling_options`."""
    _positive("nfe", args.nfe)
    _positive("steps", args.steps)
    if args.nfe is not None and args.steps is not None:
        raise UserError("give --nfe or --steps (the sampler's own steps), not both")
    return planned_nfe(sampler, sampling_options(sampler, process, args.nfe, own_steps=args.steps))


def sample(args) -> dict:
    _positive("n", args.n, allow_none=False)
    if not args.out.endswith(".npy"):
        raise UserError(f"--out must be a .npy file (got {args.out})")
    ckpt = _load(args)
    if ckpt.meta.get("kind") == "images":
        from scoreviz.commands.images import sample_images

        return sample_images(args, ckpt)
    sampler = args.sampler or DEFAULT_SAMPLER
    nfe = run_length(args, sampler, ckpt.process, sampling_options)
    samples = draw_samples(ckpt.model, ckpt.process, args.n, sampler, args.steps, seed=args.seed, nfe=args.nfe)
    np.save(args.out, samples.cpu().numpy())
    print(f"wrote {args.n} samples of dimension {samples.shape[1]} to {args.out} ({sampler}, {nfe} network "
          "evaluations)", file=sys.stderr)
    return {"n": args.n, "sampler": sampler, "nfe": nfe, "out": str(args.out)}


def reference_dataset(ckpt) -> Dataset:
    """The data a checkpoint was trained on: its preset/file again if it still matches, else the stored points."""
    spec = ckpt.meta.get("data_spec")
    if spec:
        try:
            dataset = load_data(spec, seed=ckpt.meta.get("seed", 0))
            if dataset.fingerprint() == ckpt.fingerprint:
                return dataset
        except DataError:
            pass
    if ckpt.data.numel() == 0:
        raise UserError("the checkpoint stores no data and its data source is gone: nothing to compare with")
    return from_points(ckpt.data.numpy(), name=ckpt.data_name or "checkpoint data")


def heldout_nll(ckpt, dataset: Dataset, n: int = 300, steps: int = 40) -> float:
    """Mean −log p(x) over n held-out points, through the probability-flow ODE (core.likelihood)."""
    from scoreviz.core.likelihood import log_likelihood
    from scoreviz.core.samplers import ScoreFunction

    model = ckpt.model
    device = next(model.parameters()).device
    score = ScoreFunction(lambda y, sigma: model.score(y.to(device), sigma).cpu(), ckpt.process)
    points = dataset.heldout[:n]
    return float(-log_likelihood(score, points, steps=steps).mean())


def evaluate(args) -> dict:
    _positive("n", args.n, allow_none=False)
    ckpt = _load(args)
    dataset = reference_dataset(ckpt)
    sampler = args.sampler or DEFAULT_SAMPLER
    nfe = run_length(args, sampler, ckpt.process, sampling_options)
    samples = draw_samples(ckpt.model, ckpt.process, args.n, sampler, args.steps, seed=args.seed,
                           nfe=args.nfe).cpu()
    report = quality_report(samples, dataset, torch.Generator().manual_seed(args.seed))
    report.update({"checkpoint": str(args.checkpoint), "data": dataset.name, "sampler": sampler, "nfe": nfe})
    if dataset.dim <= 8:  # the exact divergence costs D backward passes: affordable for points (D ≤ 8)
        report["heldout_nll_nats"] = heldout_nll(ckpt, dataset)
    if not args.json:
        print(f"{dataset.name}: {args.n} samples with {sampler} ({nfe} network evaluations)")
        print(f"  sliced Wasserstein {report['sliced_wasserstein']:.4f}  (floor {report['sw_floor']:.4f}, "
              f"ratio {report['sw_ratio']:.2f})")
        print(f"  energy distance    {report['energy_distance']:.5f}  (floor {report['energy_floor']:.5f})")
        if "heldout_nll_nats" in report:
            print(f"  held-out NLL       {report['heldout_nll_nats']:.3f} nats/point  (probability-flow ODE, exact divergence)")
        if "mode_weights" in report:
            got = ", ".join(f"{w:.3f}" for w in report["mode_weights"])
            true = ", ".join(f"{w:.3f}" for w in report["true_weights"])
            print(f"  mode weights       {got}  (true {true})")
    return report


def bench(args) -> dict:
    from scoreviz.bench.run import run_benchmarks

    results = run_benchmarks(quick=args.quick, only=args.only.split(",") if args.only else None,
                             verbose=not args.json)
    return results
