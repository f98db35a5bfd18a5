"""The project's default recipe, in one place: how a data set becomes a trained model and samples.

The command line, the benchmark and the app all call these, so "the defaults" mean one thing.
"""
from __future__ import annotations

from dataclasses import replace

import torch
from torch import Tensor

from scoreviz.core.device import resolve_device
from scoreviz.core.networks.mlp import MLPConfig
from scoreviz.core.processes import NoiseProcess, make_process
from scoreviz.core.samplers import SAMPLERS, ScoreFunction, model_score, run_sampler
from scoreviz.core.training import TrainConfig, Trainer
from scoreviz.names import DEFAULT_POINT_MODEL_SIZE, POINT_MODEL_SIZES

#: Sampler steps by default (the ODE uses Heun, two score evaluations a step). Measured on 8gaussians at 4,000
#: training steps, SW / floor: EM 500 → 1.60, EM 200 → 1.98, PC 300 → 2.00, ODE 200 → 1.73 (textbook: 3.02).
DEFAULT_SAMPLER_STEPS = {"langevin": 500, "annealed": 100, "em": 500, "pc": 300, "ode": 200, "ddpm": 500}
DEFAULT_SAMPLER = "em"
#: `scoreviz train` without --steps: about this long, and at most DEFAULT_MAX_STEPS steps (Trainer.train).
#: 4,000 steps take 16–24 s on a 2-core CPU; start-up (torch import, data, checkpoint) adds 3–4 s, so 11 s of
#: training keeps the whole command at about 15 s (bench: 12 s beat the textbook on every preset, 9 s lost on pinwheel).
DEFAULT_TRAIN_SECONDS = 11.0
DEFAULT_MAX_STEPS = 4000


def mlp_config(dim: int, size: str = DEFAULT_POINT_MODEL_SIZE, **overrides) -> MLPConfig:
    """The MLP of a named size (names.POINT_MODEL_SIZES) for D-dimensional points."""
    if size not in POINT_MODEL_SIZES:
        raise ValueError(f"unknown model size {size!r}; choose one of {', '.join(POINT_MODEL_SIZES)}")
    return replace(MLPConfig(dim=dim, **POINT_MODEL_SIZES[size]), **overrides)


def make_trainer(data: Tensor, process: str | NoiseProcess = "ve", size: str = "medium", device="auto", **train_overrides):
    """A Trainer for points (N, D) with the default network of `size` and the default training settings."""
    proc = make_process(process, data) if isinstance(process, str) else process
    return Trainer(data, proc, mlp_config(data.shape[1], size), TrainConfig(**train_overrides),
                   device=resolve_device(device) if isinstance(device, str) else device)


def sampler_options(name: str, process: NoiseProcess, steps: int | None = None, **extra) -> dict:
    """Keyword arguments for run_sampler with the defaults filled in (steps, Langevin's level, ...)."""
    if name not in SAMPLERS:
        raise ValueError(f"unknown sampler {name!r}; choose one of {', '.join(SAMPLERS)}")
    steps = steps or DEFAULT_SAMPLER_STEPS[name]
    opts: dict = {"process": process}
    if name == "annealed":
        opts["steps_per_level"] = steps
    else:
        opts["steps"] = steps
    if name == "langevin":
        opts["noise_level"] = extra.pop("noise_level", process.noise_range()[0] * 5)
    opts.update(extra)
    return opts


def draw_samples(model, process: NoiseProcess, n: int, sampler: str = DEFAULT_SAMPLER, steps: int | None = None,
                 seed: int = 0, labels: Tensor | None = None, guidance: float = 0.0, **extra) -> Tensor:
    """n samples (n, *shape) from a trained Denoiser, starting from the process's prior."""
    device = next(model.parameters()).device
    gen = torch.Generator(device=device).manual_seed(seed)
    shape = (n, *extra.pop("shape", (model.backbone.config.dim,)))
    score = ScoreFunction(model_score(model, labels, guidance), process)
    x = process.prior_sample(shape, gen, device)
    last = None
    for last in run_sampler(sampler, score, x, generator=gen, **sampler_options(sampler, process, steps, **extra)):
        pass
    return last.x
