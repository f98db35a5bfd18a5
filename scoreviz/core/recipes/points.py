"""The project's default recipe for points (N, D): how a data set becomes a trained model and samples.

The command line, the benchmark and the app all call these, so "the defaults" mean one thing. The figures behind
each default are measured by `scoreviz bench` and listed in the README.
"""
from __future__ import annotations

from dataclasses import replace
from functools import partial

import torch
from torch import Tensor

from scoreviz.core.device import resolve_device
from scoreviz.core.guidance import model_score
from scoreviz.core.networks.mlp import MLPConfig
from scoreviz.core.processes import NoiseProcess, make_process
from scoreviz.core.sampler_runs import own_lengths, run_to_end, sampler_options
from scoreviz.core.samplers import ScoreFunction
from scoreviz.core.training import TrainConfig, Trainer
from scoreviz.names import DEFAULT_POINT_MODEL_SIZE, POINT_MODEL_SIZES

#: Sampler length by default, in each sampler's own steps (per level for annealed, over the process's ladder;
#: the ODE uses Heun, two score evaluations a step): the shortest runs whose samples are about as close to the
#: data as the long ones (`scoreviz bench`, README). A length given as NFE replaces them (sampling_options).
DEFAULT_SAMPLER_STEPS = {"langevin": 500, "annealed": 100, "em": 500, "pc": 300, "ode": 200, "ddpm": 500}
DEFAULT_SAMPLER = "em"


#: sampler_runs.sampler_options with this recipe's lengths: a run's length as `nfe`, or `own_steps` (the CLI's
#: --steps), else DEFAULT_SAMPLER_STEPS.
sampling_options = partial(sampler_options, defaults=own_lengths(DEFAULT_SAMPLER_STEPS))
#: `scoreviz train` without --steps: about this long, and at most DEFAULT_MAX_STEPS steps (Trainer.train). The
#: whole command (with torch's import, the data and the checkpoint) then takes about 15 s on a 2-core CPU, and
#: still beats the textbook reference on every preset (`scoreviz bench --only train`).
DEFAULT_TRAIN_SECONDS = 11.0
DEFAULT_MAX_STEPS = 4000


def mlp_config(dim: int, size: str = DEFAULT_POINT_MODEL_SIZE, **overrides) -> MLPConfig:
    """The MLP of a named size (names.POINT_MODEL_SIZES) for D-dimensional points."""
    if size not in POINT_MODEL_SIZES:
        raise ValueError(f"unknown model size {size!r}; choose one of {', '.join(POINT_MODEL_SIZES)}")
    return replace(MLPConfig(dim=dim, **POINT_MODEL_SIZES[size]), **overrides)


def make_trainer(data: Tensor, process: str | NoiseProcess = "ve", size: str = "medium", device="auto",
                 process_overrides: dict | None = None, **train_overrides):
    """A Trainer for points (N, D) with the default network of `size` and the default training settings.

    `process`: a name (with `process_overrides`, make_process's parameters) or a NoiseProcess; `train_overrides`:
    TrainConfig fields, e.g. noise=TrainingNoise(...) for the σ̃ distribution and loss weighting."""
    proc = make_process(process, data, **(process_overrides or {})) if isinstance(process, str) else process
    return Trainer(data, proc, mlp_config(data.shape[1], size), TrainConfig(**train_overrides),
                   device=resolve_device(device) if isinstance(device, str) else device)


def draw_samples(model, process: NoiseProcess, n: int, sampler: str = DEFAULT_SAMPLER, steps: int | None = None,
                 seed: int = 0, labels: Tensor | None = None, guidance: float = 0.0, shape=None,
                 nfe: int | None = None, **options) -> Tensor:
    """n samples (n, *shape) from a trained Denoiser, starting from the process's prior.

    `shape` defaults to the model's (D,); the length is `nfe` network evaluations or `steps` in the sampler's
    own steps (this recipe's lengths when neither is given); `options` are further sampler options.
    """
    device = next(model.parameters()).device
    gen = torch.Generator(device=device).manual_seed(seed)
    shape = (n, *(shape or (model.backbone.config.dim,)))
    score = ScoreFunction(model_score(model, labels, guidance), process)
    x = process.prior_sample(shape, gen, device)
    opts = sampling_options(sampler, process, nfe, own_steps=steps, generator=gen, **options)
    return run_to_end(sampler, score, x, **opts)
