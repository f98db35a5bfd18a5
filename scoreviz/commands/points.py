"""Point data (presets, point files, densities; D ≤ 8): training a new run on them, drawing samples from a point
checkpoint, and `scoreviz eval`'s quality figures against the data a checkpoint was trained on."""
from __future__ import annotations

import sys

import numpy as np
import torch

from scoreviz.cli_options import SWEEP_SAMPLERS, flag
from scoreviz.core.checkpoint import load_checkpoint
from scoreviz.core.data import DataError, Dataset, from_points, load_data
from scoreviz.core.device import resolve_device
from scoreviz.core.guidance import model_score
from scoreviz.core.metrics import quality_report
from scoreviz.core.nfe_sweep import check_sweep, quality_vs_nfe, sweep_table
from scoreviz.core.process_base import NoiseProcess
from scoreviz.core.schedule.training_noise import TrainingNoise
from scoreviz.core.recipes.points import (DEFAULT_MAX_STEPS, DEFAULT_SAMPLER, DEFAULT_TRAIN_SECONDS, draw_samples,
                                          make_trainer, sampling_options)

from scoreviz.commands.errors import UserError, positive
from scoreviz.commands.options import run_length, training_noise
from scoreviz.commands.plan import TrainPlan
from scoreviz.commands.training_run import RunSpec, launch, run_and_save

__all__ = ["evaluate", "heldout_nll", "nfe_sweep", "open_checkpoint", "reference_dataset", "sample_points",
           "train_points"]


def open_checkpoint(path, device_name: str):
    """The checkpoint at `path`, on the device --device names."""
    return load_checkpoint(path, device=resolve_device(device_name))


def _length(plan: TrainPlan) -> tuple[int | None, float | None]:
    """(steps, seconds): the plan's (both: the first reached), else the recipe's default, about
    DEFAULT_TRAIN_SECONDS and at most DEFAULT_MAX_STEPS steps."""
    if plan.steps or plan.seconds:
        return plan.steps, plan.seconds
    return DEFAULT_MAX_STEPS, DEFAULT_TRAIN_SECONDS


def train_points(plan: TrainPlan, schedule: dict, process: NoiseProcess | None = None) -> dict:
    """A new run on point data; `schedule`: the process parameters, checked (options.schedule_overrides);
    `process`: a published schedule (options.published_process) instead of --process."""
    noise = training_noise(plan.noise, TrainingNoise())
    dataset = load_data(plan.data, seed=plan.seed)
    overrides = {k: v for k, v in (("steps", plan.steps), ("batch_size", plan.batch), ("lr", plan.lr)) if v}
    setup = launch(plan.device)
    trainer = make_trainer(dataset.train, process or plan.process, plan.model or "medium", setup.device, loss=plan.loss,
                           seed=plan.seed, process_overrides=schedule, noise=noise, **overrides)
    steps, seconds = _length(plan)
    run = RunSpec(steps, seconds, data_name=dataset.name, fingerprint=dataset.fingerprint(),
                  meta={"data_spec": plan.data, "seed": plan.seed})
    return run_and_save(trainer, setup, plan, run)


def sample_points(args, ckpt) -> dict:
    """`scoreviz sample` of a point checkpoint: n samples into the .npy file --out, with the NFE spent."""
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
    """`scoreviz eval`: sliced Wasserstein, energy distance, mode weights and held-out NLL of n samples; with
    --nfe-sweep the table of nfe_sweep instead."""
    positive("n", args.n, allow_none=False)
    if args.sampler and len(args.sampler) > 1 and not args.nfe_sweep:
        raise UserError(f"several samplers ({','.join(args.sampler)}) are compared by {flag('eval', 'nfe_sweep')}; "
                        "without it give one")
    ckpt = open_checkpoint(args.checkpoint, args.device)
    if ckpt.meta.get("kind") == "images" and args.nfe_sweep:
        raise UserError(f"{flag('eval', 'nfe_sweep')} compares samplers on point data; {args.checkpoint} is an "
                        "image checkpoint")
    dataset = reference_dataset(ckpt)
    if args.nfe_sweep:
        return nfe_sweep(args, ckpt, dataset)
    sampler = args.sampler[0] if args.sampler else DEFAULT_SAMPLER
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
            print(f"  held-out NLL       {report['heldout_nll_nats']:.3f} nats/point  (probability-flow ODE, "
                  f"exact divergence)")
        if "mode_weights" in report:
            got = ", ".join(f"{w:.3f}" for w in report["mode_weights"])
            true = ", ".join(f"{w:.3f}" for w in report["true_weights"])
            print(f"  mode weights       {got}  (true {true})")
    return report


def nfe_sweep(args, ckpt, dataset: Dataset) -> dict:
    """`scoreviz eval --nfe-sweep B1,B2,…`: each sampler (--sampler, a list; default SWEEP_SAMPLERS) at each
    budget on the checkpoint's model and process, n samples from one prior draw (core.nfe_sweep)."""
    samplers = args.sampler or SWEEP_SAMPLERS
    try:
        check_sweep(ckpt.process, samplers, args.nfe_sweep)
    except ValueError as error:     # a sampler the process does not take, a ladder too short: the user's choice
        raise UserError(str(error)) from None
    device = next(ckpt.model.parameters()).device
    rows = quality_vs_nfe(model_score(ckpt.model), ckpt.process, dataset, samplers, args.nfe_sweep, n=args.n,
                          seed=args.seed, device=device)
    if not args.json:
        print(f"{dataset.name}: {args.n} samples a run, {ckpt.process.name} process, from one prior draw")
        print(sweep_table(rows))
    return {"checkpoint": str(args.checkpoint), "data": dataset.name, "process": ckpt.process.name, "n": args.n,
            "seed": args.seed, "rows": [row.as_dict() for row in rows]}

