"""The image training recipe: model sizes, noise-level distribution, optimiser, EMA and sampler, in one place.

Everything here reuses the shape-agnostic core (EDM-preconditioned ``Denoiser``, ``Trainer``, samplers); what
images need on top of it is:

* **Where training spends its noise levels, and how it weights them** (:func:`image_training_noise`, a core
  ``TrainingNoise``). The VE process of the core draws t uniformly, i.e. σ log-uniformly over
  [σ_min, σ_max] = [0.003, 15.6] for MNIST: most of the batch lands at noise levels that are either trivial
  (σ ≪ 1/255) or pure noise. The recipe draws σ from EDM's log-normal instead, ln σ ~ N(P_mean + ln(2σ_d), P_std²)
  (EDM's P_mean = −1.2, P_std = 1.2 were set for data of std 0.5; the shift by ln(2σ_d) transposes them to data
  of std σ_d, 0.31 for MNIST in [0, 1]), and weights the DSM loss by EDM's λ(σ) (``weighting="edm"``, see
  :func:`image_training_noise`).
* **Where sampling spends its steps.** The VE process gets EDM's ρ = 7 discretisation (``rho``:
  σ_i = (σ_max^(1/ρ) + i/N (σ_min^(1/ρ) − σ_max^(1/ρ)))^ρ, mapped back to the VE time t(σ)), so every core
  sampler (Euler–Maruyama, predictor–corrector, probability-flow ODE) takes small steps where detail forms.
* **A network sized to the machine** (:data:`RECIPES`): on a CPU, images seen per second matter more than
  quality per step, so the default is the fast conv net of :mod:`.convnet`; the U-Nets of :mod:`.unet` are the
  alternatives (and the GPU size).
* **EMA decay and batch size sized to the run**: 0.995 for the few thousand steps a CPU gets in ten minutes
  (a ``--minutes`` run plans its cosine schedule on the measured step rate: ``Trainer.train(seconds=...)``).
* **An early model for autoguidance**: ``guide_fraction`` in the trainer's config (``Trainer.guide``).

The figures behind these choices (images/s, recognisable samples per sampler and size) are measured by
``scoreviz bench --only images`` and listed in the README.

A checkpoint stores the core ``VESDE`` with its ``rho`` and the ``TrainingNoise``; checkpoints written before
``rho`` existed store a VE process without it, and :func:`image_process` gives them ρ = 7 again for sampling.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from functools import partial

import torch
from torch import Tensor

from scoreviz.core.guidance import model_score
from scoreviz.core.networks.convnet import ConvNetConfig
from scoreviz.core.networks.unet import UNET_SIZES, UNetConfig
from scoreviz.core.schedule.training_noise import TrainingNoise
from scoreviz.core.processes import VESDE, NoiseProcess, make_process
from scoreviz.core.sampler_registry import sampler_entry
from scoreviz.core.sampler_runs import own_lengths, run_to_end, sampler_options
from scoreviz.core.samplers import ScoreFunction
from scoreviz.core.training import TrainConfig, Trainer

__all__ = [
    "DEFAULT_AUTOGUIDANCE",
    "DEFAULT_GUIDANCE",
    "DEFAULT_SAMPLER",
    "DEFAULT_STEPS",
    "GUIDE_FRACTION",
    "EDM_P_MEAN",
    "EDM_P_STD",
    "EDM_RHO",
    "ImageRecipe",
    "RECIPES",
    "SAMPLER_DEFAULTS",
    "SAMPLER_STEPS",
    "default_model_size",
    "default_sampler",
    "draw_images",
    "even_labels",
    "image_process",
    "image_score",
    "image_training_noise",
    "make_image_trainer",
    "default_nfe",
    "sampling_options",
]


#: EDM's training log-normal (for data of std 0.5; image_training_noise shifts the mean by ln(2σ_d)) and its
#: sampling discretisation.
EDM_P_MEAN = -1.2
EDM_P_STD = 1.2
EDM_RHO = 7.0


def image_training_noise(sigma_data: float, process: str = "ve", loss: str = "dsm",
                         edm_weighting: bool = True) -> TrainingNoise:
    """The recipe's TrainingNoise: on VE, ln σ ~ N(EDM_P_MEAN + ln(2σ_d), EDM_P_STD²) clamped to the process's
    range; other processes keep their own (uniform t). With DSM (and `edm_weighting`) the loss is reweighted to
    EDM's λ(σ) = (σ² + σ_d²)/(σσ_d)², i.e. × (σ² + σ_d²)/σ_d² on the core's σ²-weighted DSM loss:

    with the preconditioned denoiser, σ²‖s + ε/σ‖² = ‖D − x₀‖²/σ² = c_out²/σ² ‖F − F*‖² with
    c_out²/σ² = σ_d²/(σ² + σ_d²): the plain DSM weight fades like σ_d²/σ² above σ_d, exactly the noise levels
    where a digit's global shape is decided. The factor gives every noise level unit weight on the network's
    output (EDM, Karras et al. 2022, §5), so the σ distribution alone decides where training effort goes.
    """
    weighting = "edm" if loss == "dsm" and edm_weighting else "sigma2"
    if process != "ve":
        return TrainingNoise(weighting=weighting)
    return TrainingNoise(distribution="log_normal", p_mean=EDM_P_MEAN + math.log(2 * sigma_data), p_std=EDM_P_STD,
                         weighting=weighting)


def image_process(process: NoiseProcess, sigma_data: float = 0.5) -> NoiseProcess:
    """The process to sample a (loaded) image model with: a VE process saved without a sampling discretisation
    (a checkpoint from before ``rho`` existed) gets EDM's ρ = 7, which the recipe always trained with; any other
    process is returned as is. `sigma_data` is no longer needed (kept for callers)."""
    if type(process) is VESDE and process.rho is None:
        return replace(process, rho=EDM_RHO)
    return process


# --------------------------------------------------------------------------------------------- the recipe

#: Sampler length per sampler, in its own steps (per level for annealed; NFE: default_nfe): the shortest runs
#: that gave about the best digits. Annealed Langevin runs over NCSN's ladder of 20 levels on the recipe's σ
#: range, and Langevin at σ̃ = 0.05; SAMPLER_DEFAULTS is the table for sampler_runs.sampler_options.
SAMPLER_STEPS = {"ode": 40, "em": 200, "pc": 100, "annealed": 20, "ddpm": 200, "langevin": 200}
ANNEALED_LEVELS = 20
_OWN = own_lengths(SAMPLER_STEPS)
SAMPLER_DEFAULTS: dict = {**_OWN, "annealed": {**_OWN["annealed"], "n_levels": ANNEALED_LEVELS},
                          "langevin": {**_OWN["langevin"], "noise_level": 0.05}}


def default_nfe(sampler: str) -> int:
    """The network evaluations of this recipe's run of `sampler` (what the image window's NFE box starts at):
    e.g. pc 100·(1 + 1) + 1 = 201, annealed 20 levels·20 + 1 = 401, ode (Heun) 2·40 + 1 = 81."""
    entry = sampler_entry(sampler)
    options = {**entry.defaults(), **SAMPLER_DEFAULTS.get(sampler, {})}   # a sampler without a row: its own
    return entry.length.nfe(options[entry.length.length_option], options, options.get("n_levels") or 1)
#: Predictor–corrector: its Langevin corrector repairs what an under-trained score gets wrong, so it gives the
#: most recognisable digits of the samplers, with or without autoguidance, on the conv net and on the U-Net
#: (`scoreviz bench --only images`, README); the window's live grid uses it too.
DEFAULT_SAMPLER = "pc"
DEFAULT_STEPS = SAMPLER_STEPS[DEFAULT_SAMPLER]
#: The sampler of a model trained on a published kind of schedule, as those are sampled: DDIM on a discrete β
#: schedule (its zero-terminal-SNR form starts at σ̃ = ∞, where a Langevin corrector has no step), EDM's Heun on
#: flow matching (the straight probability-flow ODE). Every other process keeps DEFAULT_SAMPLER.
PROCESS_SAMPLERS = {"discrete": "ddim", "flow": "heun"}


def default_sampler(process: NoiseProcess | str) -> str:
    """The sampler a new image model on `process` (or its name) is saved with and the window starts at."""
    return PROCESS_SAMPLERS.get(getattr(process, "name", process), DEFAULT_SAMPLER)
#: Autoguidance (Trainer.guide): the guiding model is the EMA frozen at this fraction of a planned run
#: (TrainConfig.guide_fraction), and unconditional samples step w = DEFAULT_AUTOGUIDANCE away from it. A guide
#: from the same run costs nothing extra, where a separately trained one would take part of the budget.
GUIDE_FRACTION = 0.3
DEFAULT_AUTOGUIDANCE = 3.0
#: Classifier-free guidance weight w of class-conditional samples (the window's default too): with the classes
#: drawn evenly and w = 2, a 10-minute CPU model's digits were all recognised, against 62 % for its no-label
#: branch (issue 12's measurement with the independent digit classifier).
DEFAULT_GUIDANCE = 2.0


@dataclass(frozen=True)
class ImageRecipe:
    """Everything that defines one model size's training (see the module docstring for the why)."""

    net: UNetConfig | ConvNetConfig
    batch_size: int
    lr: float
    ema_decay: float
    warmup: int = 100
    final_lr_fraction: float = 0.02
    label_dropout: float = 0.1       # classifier-free guidance (conditional models only)
    edm_weighting: bool = True       # DSM loss × (σ² + σ_d²)/σ_d²: EDM's weighting λ(σ) (image_training_noise)
    amp: bool = False                # bf16 autocast on CUDA
    steps: int = 4000                # default length of `scoreviz train` without --steps/--minutes
    extra: dict = field(default_factory=dict)


RECIPES: dict[str, ImageRecipe] = {
    # The CPU default: the fast conv net (convnet.py, 0.37 M parameters). On a CPU, images seen per second matter
    # more than quality per step: it sees about five times the images of the small U-Net in the same time and
    # ends with more recognisable digits (`scoreviz bench --only images`, README).
    "cpu": ImageRecipe(net=ConvNetConfig(), batch_size=64, lr=2e-3, ema_decay=0.995, steps=8000),
    # The small U-Net (~0.35 M parameters): better per step, slower per image.
    "unet": ImageRecipe(net=UNET_SIZES["small"], batch_size=32, lr=2e-3, ema_decay=0.995, steps=3000),
    # The large U-Net (~7 M parameters), bf16 autocast: the GPU size.
    "gpu": ImageRecipe(net=UNET_SIZES["large"], batch_size=256, lr=1e-3, ema_decay=0.999, amp=True, steps=8000),
    # A toy size for tests and smoke runs (~10 k parameters): it learns blobs, not digits.
    "tiny": ImageRecipe(net=UNetConfig(channels=8, channel_mults=(1, 2), num_res_blocks=1, emb_dim=32),
                        batch_size=32, lr=3e-3, ema_decay=0.99, warmup=10, steps=300),
}


def default_model_size(device: torch.device | str) -> str:
    """The recipe for a device: the 7 M-parameter U-Net on CUDA (bf16 autocast), the fast conv net elsewhere."""
    return "gpu" if torch.device(device).type == "cuda" else "cpu"


def make_image_trainer(images: Tensor, labels: Tensor | None = None, *, model_size: str = "cpu",
                       device: torch.device | str = "cpu", conditional: bool = False, num_classes: int = 10,
                       steps: int | None = None, open_ended: bool = False,
                       net: UNetConfig | ConvNetConfig | None = None, seed: int = 0, process: str | NoiseProcess = "ve",
                       loss: str = "dsm", process_overrides: dict | None = None, **overrides) -> Trainer:
    """A Trainer for images ``(N, C, H, W)`` in [0, 1] with the recipe of ``model_size``.

    Args:
        images, labels: the data (``labels`` only used when ``conditional``).
        model_size: a key of :data:`RECIPES` (``"cpu"``, ``"unet"``, ``"gpu"``, ``"tiny"``); ``net`` overrides
            its network.
        conditional: class-conditional training with label dropout (classifier-free guidance).
        steps: planned length (sets the cosine schedule and when the autoguidance model is frozen, at
            :data:`GUIDE_FRACTION` of it); ``None`` keeps the recipe's.
        open_ended: no planned length (``TrainConfig.steps = None``): a constant learning rate after warm-up,
            and the autoguidance model taken by doubling marks (``Trainer.update_guide``).
        process: a core process name; ``"ve"`` (the recipe's) gets EDM's ρ = 7 sampling times unless
            ``process_overrides`` set ``rho``. Or a NoiseProcess, used as it is (a published schedule).
        process_overrides: the process's parameters (make_process overrides: sigma_min, sigma_max, rho, ...);
            with a name only.
        overrides: any :class:`TrainConfig` field (batch_size, lr, ema_decay, ...); ``noise`` (a TrainingNoise)
            replaces the recipe's :func:`image_training_noise`.
    """
    if model_size not in RECIPES:
        raise ValueError(f"unknown image model size {model_size!r}; choose one of {', '.join(RECIPES)}")
    recipe = RECIPES[model_size]
    net = net or recipe.net
    if conditional:
        if labels is None:
            raise ValueError("class-conditional training needs labels, and this data set has none")
        num_classes = max(num_classes, int(labels.max()) + 1)
        net = replace(net, num_classes=num_classes)
    else:
        labels = None
        net = replace(net, num_classes=0)
    sigma_data = float(images.std()) or 0.5
    if isinstance(process, str):
        schedule = {"rho": EDM_RHO} if process == "ve" else {}
        proc = make_process(process, images, **{**schedule, **(process_overrides or {})})
    elif process_overrides:
        raise ValueError("process_overrides apply to a process given by name, not to a NoiseProcess")
    else:
        proc = process
    config = dict(steps=None if open_ended else steps or recipe.steps, batch_size=recipe.batch_size,
                  lr=recipe.lr, warmup=recipe.warmup, final_lr_fraction=recipe.final_lr_fraction,
                  ema_decay=recipe.ema_decay, loss=loss, seed=seed,
                  label_dropout=recipe.label_dropout if conditional else 0.0, amp=recipe.amp,
                  snapshot_every=500, guide_fraction=GUIDE_FRACTION,
                  noise=image_training_noise(sigma_data, proc.name, loss, recipe.edm_weighting))
    config.update({k: v for k, v in overrides.items() if v is not None})
    return Trainer(images, proc, net, TrainConfig(**config), device=device, labels=labels)


# --------------------------------------------------------------------------------------------- sampling


#: sampler_runs.sampler_options with this recipe's defaults (SAMPLER_DEFAULTS): what the image window calls
#: with its NFE, and `scoreviz sample` with --nfe or --steps (own_steps).
sampling_options = partial(sampler_options, defaults=SAMPLER_DEFAULTS)


def even_labels(n: int, num_classes: int) -> Tensor:
    """(n,) labels 0, 1, …, K−1, 0, 1, … : every class equally often (±1), in an order a K-column grid shows
    as one class per column."""
    return torch.arange(n) % num_classes


def image_score(model, process, labels: Tensor | None = None, guidance: float = 0.0, guide=None,
                autoguidance: float = 1.0) -> ScoreFunction:
    return ScoreFunction(model_score(model, labels, guidance, guide, autoguidance), process)


def draw_images(model, process, n: int, sampler: str = DEFAULT_SAMPLER, steps: int | None = None, seed: int = 0,
                labels: Tensor | None = None, guidance: float = 0.0, shape=(1, 28, 28), batch: int = 256,
                clip: bool = True, guide=None, autoguidance: float = 1.0, nfe: int | None = None) -> Tensor:
    """``n`` images ``(n, *shape)`` (in [0, 1] when ``clip``), drawn in batches of ``batch``; with a ``guide``
    model and ``autoguidance`` w ≠ 1, autoguided (guidance.model_score). The length: ``nfe`` network
    evaluations, or ``steps`` in the sampler's own steps (:data:`SAMPLER_STEPS` when neither is given)."""
    device = next(model.parameters()).device
    process = image_process(process, model.sigma_data)
    gen = torch.Generator(device=device).manual_seed(seed)
    out = []
    for start in range(0, n, batch):
        m = min(batch, n - start)
        lab = None if labels is None else labels[start:start + m].to(device)
        score = image_score(model, process, lab, guidance, guide, autoguidance)
        x = process.prior_sample((m, *shape), gen, device)
        options = sampling_options(sampler, process, nfe, own_steps=steps, generator=gen)
        out.append(run_to_end(sampler, score, x, **options))
    images = torch.cat(out)
    return images.clamp(0, 1) if clip else images


def recipe_summary(model_size: str) -> dict:
    r = RECIPES[model_size]
    d = {k: v for k, v in asdict(r).items() if k not in ("net", "extra")}
    d["net"] = asdict(r.net)
    return d
