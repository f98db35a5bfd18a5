"""The image training recipe: model sizes, noise-level distribution, optimiser, EMA and sampler, in one place.

Everything here reuses the shape-agnostic core (EDM-preconditioned ``Denoiser``, ``Trainer``, samplers); what
images need on top of it is:

* **Where training spends its noise levels.** The VE process of the core draws t uniformly, i.e. σ
  log-uniformly over [σ_min, σ_max] = [0.003, 15.6] for MNIST: most of the batch lands at noise levels that
  are either trivial (σ ≪ 1/255) or pure noise. :class:`ImageVE` draws σ from EDM's log-normal instead,
  ln σ ~ N(P_mean + ln(2σ_d), P_std²) (EDM's P_mean = −1.2, P_std = 1.2 were set for data of std 0.5; the
  shift by ln(2σ_d) transposes them to data of std σ_d, 0.31 for MNIST in [0, 1]).
* **Where sampling spends its steps.** :meth:`ImageVE.sampling_times` follows EDM's ρ = 7 schedule
  σ_i = (σ_max^(1/ρ) + i/N (σ_min^(1/ρ) − σ_max^(1/ρ)))^ρ, mapped back to the VE time t(σ), so every core
  sampler (Euler–Maruyama, predictor–corrector, probability-flow ODE) takes small steps where detail forms.
* **A network sized to the machine** (:data:`RECIPES`): on a CPU, images seen per second matter more than
  quality per step, so the default is the fast conv net of :mod:`.convnet`; the U-Nets of :mod:`.unet` are the
  alternatives (and the GPU size).
* **EMA decay and batch size sized to the run**: 0.995 for the ~3,000–10,000 steps a CPU gets in ten minutes
  (a ``--minutes`` run plans its cosine schedule on the measured step rate: ``Trainer.train(seconds=...)``).

The process saved with a checkpoint is the plain core ``VESDE`` (same σ_min, σ_max): any core tool can load
it; :func:`image_process` wraps it back into :class:`ImageVE` for sampling.
"""
from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field, replace

import torch
from torch import Tensor

from scoreviz.core.processes import VESDE, make_process
from scoreviz.core.samplers import ScoreFunction, model_score, run_sampler
from scoreviz.core.training import TrainConfig, Trainer

from scoreviz.core.networks.convnet import ConvNetConfig
from scoreviz.core.networks.unet import PRESETS, UNetConfig

__all__ = [
    "DEFAULT_AUTOGUIDANCE",
    "DEFAULT_SAMPLER",
    "DEFAULT_STEPS",
    "GUIDE_FRACTION",
    "ImageRecipe",
    "ImageVE",
    "RECIPES",
    "SAMPLER_STEPS",
    "default_model_size",
    "draw_images",
    "edm_weighted",
    "image_process",
    "image_score",
    "make_image_trainer",
    "sampler_options",
]


@dataclass(frozen=True, eq=True)
class ImageVE(VESDE):
    """The VE process with EDM's log-normal training noise levels and ρ-spaced sampling times (module doc)."""

    p_mean: float = -1.2          # EDM's values, for data of std 0.5 (shifted by ln(2σ_d), see below)
    p_std: float = 1.2
    sigma_data: float = 0.5
    rho: float = 7.0

    def train_times(self, n, generator=None, device="cpu"):
        mean = self.p_mean + math.log(2 * self.sigma_data)
        log_sigma = mean + self.p_std * torch.randn(n, generator=generator, device=device)
        sigma = log_sigma.exp().clamp(self.sigma_min, self.sigma_max)
        return self.time_of(sigma).to(torch.float32)

    def sampling_times(self, steps: int) -> Tensor:
        i = torch.arange(steps + 1, dtype=torch.float64) / max(1, steps)
        lo, hi = self.sigma_min ** (1 / self.rho), self.sigma_max ** (1 / self.rho)
        sigma = (hi + i * (lo - hi)) ** self.rho
        return self.time_of(sigma).float()

    def base(self) -> VESDE:
        """The plain core VE process with the same σ range (what a checkpoint stores)."""
        return VESDE(sigma_min=self.sigma_min, sigma_max=self.sigma_max, prior_mean=self.prior_mean)

    def config(self) -> dict:
        return self.base().config()


def image_process(process, sigma_data: float = 0.5) -> ImageVE | object:
    """The :class:`ImageVE` for a (loaded) VE process; other processes (VP, sub-VP, NCSN) are returned as is."""
    if type(process) is VESDE:
        return ImageVE(sigma_min=process.sigma_min, sigma_max=process.sigma_max, prior_mean=process.prior_mean,
                       sigma_data=sigma_data)
    return process


# --------------------------------------------------------------------------------------------- the recipe

#: Sampler steps that gave the best digits per sampler (score evaluations: ODE Heun = 2 per step, PC = 2).
SAMPLER_STEPS = {"ode": 40, "em": 200, "pc": 100, "annealed": 20, "ddpm": 200, "langevin": 200}
#: Predictor–corrector. On the 10-minute unconditional CPU default (`scoreviz train --unconditional --minutes 10`,
#: 9,462 steps; 256 samples, classifier test of classifier.py): PC 100 68 % recognisable, ODE 40 57 %; with
#: autoguidance w = 3, PC 74 %, Euler–Maruyama 200 73 %, ODE 69 %. The Langevin corrector repairs what an
#: under-trained score gets wrong. (The small U-Net showed the same order: PC 61 %, EM 59 %, ODE 55 %.)
#: The window's live grid uses it too: with the U-Net it used the ODE (PC with autoguidance took 100 s on one
#: thread), but with the conv net PC takes about 17 s, and the ODE's digits keep blobs and specks that PC cleans
#: up (seen side by side on the same conditional model, class 7).
DEFAULT_SAMPLER = "pc"
DEFAULT_STEPS = SAMPLER_STEPS[DEFAULT_SAMPLER]
#: Autoguidance (Trainer.keep_guide): the guiding model is the EMA frozen at this fraction of a run, and samples
#: step w away from it. Measured on the small U-Net (`--unconditional --minutes 10`, 3,640 steps, PC 100, 256
#: samples): 58.6 % recognisable without, 60.9 % with w = 2, 67.2 % with w = 3, all ten classes each time; on
#: the conv net (9,462 steps) 67.6 % without and 73.8 % with w = 3. A guide trained separately for 150 s did
#: better at w = 2 (68 % against 61 % on the U-Net), but costs a quarter of the training budget.
GUIDE_FRACTION = 0.3
DEFAULT_AUTOGUIDANCE = 3.0


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
    edm_weighting: bool = True       # DSM loss × (σ² + σ_d²)/σ_d²: EDM's weighting λ(σ) (see edm_weighted)
    amp: bool = False                # bf16 autocast on CUDA
    steps: int = 4000                # default length of `scoreviz train` without --steps/--minutes
    extra: dict = field(default_factory=dict)


RECIPES: dict[str, ImageRecipe] = {
    # The CPU default: the fast conv net (convnet.py, 0.37 M parameters), ~950–1,050 images/s with both threads
    # of this 2-core CPU, so ~9,000–9,900 steps of 64 in ten minutes (peak RSS 0.46 GB). Measured on the 10,000
    # shared MNIST images, 10 minutes, alone on the machine (256 samples, classifier confidence ≥ 0.9):
    # unconditional, 74 % recognisable with PC + autoguidance w = 3 (68 % PC alone), all ten classes;
    # class-conditional with guidance 2, 99.6 % recognised as the class asked for. The U-Net below gets 67 % and
    # 86 %: it is better per step, but sees a fifth of the images in the same time.
    "cpu": ImageRecipe(net=ConvNetConfig(), batch_size=64, lr=2e-3, ema_decay=0.995, steps=8000),
    # The small U-Net (~0.35 M parameters): ~190 images/s here, ~3,600 steps of 32 in ten minutes; 67 % with PC +
    # autoguidance, 61 % PC, 59 % Euler–Maruyama, 55 % ODE (same test as above).
    "unet": ImageRecipe(net=PRESETS["small"], batch_size=32, lr=2e-3, ema_decay=0.995, steps=3000),
    # The large U-Net (~7 M parameters), bf16 autocast: the GPU size.
    "gpu": ImageRecipe(net=PRESETS["large"], batch_size=256, lr=1e-3, ema_decay=0.999, amp=True, steps=8000),
    # A toy size for tests and smoke runs (~10 k parameters): it learns blobs, not digits.
    "tiny": ImageRecipe(net=UNetConfig(channels=8, channel_mults=(1, 2), num_res_blocks=1, emb_dim=32),
                        batch_size=32, lr=3e-3, ema_decay=0.99, warmup=10, steps=300),
}


def default_model_size(device: torch.device | str) -> str:
    """The recipe for a device: the 7 M-parameter U-Net on CUDA (bf16 autocast), the fast conv net elsewhere."""
    return "gpu" if torch.device(device).type == "cuda" else "cpu"


def make_image_trainer(images: Tensor, labels: Tensor | None = None, *, model_size: str = "cpu",
                       device: torch.device | str = "cpu", conditional: bool = False, num_classes: int = 10,
                       steps: int | None = None, net: UNetConfig | ConvNetConfig | None = None, seed: int = 0,
                       process: str = "ve", loss: str = "dsm", **overrides) -> Trainer:
    """A Trainer for images ``(N, C, H, W)`` in [0, 1] with the recipe of ``model_size``.

    Args:
        images, labels: the data (``labels`` only used when ``conditional``).
        model_size: a key of :data:`RECIPES` (``"cpu"``, ``"unet"``, ``"gpu"``, ``"tiny"``); ``net`` overrides
            its network.
        conditional: class-conditional training with label dropout (classifier-free guidance).
        steps: planned length (sets the cosine schedule); ``None`` keeps the recipe's.
        process: ``"ve"`` (the recipe's :class:`ImageVE`) or a core process name.
        overrides: any :class:`TrainConfig` field (batch_size, lr, ema_decay, ...).
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
    proc = make_process(process, images)
    if process == "ve":
        proc = ImageVE(sigma_min=proc.sigma_min, sigma_max=proc.sigma_max, sigma_data=sigma_data)
    config = dict(steps=steps or recipe.steps, batch_size=recipe.batch_size, lr=recipe.lr, warmup=recipe.warmup,
                  final_lr_fraction=recipe.final_lr_fraction, ema_decay=recipe.ema_decay, loss=loss, seed=seed,
                  label_dropout=recipe.label_dropout if conditional else 0.0, amp=recipe.amp,
                  snapshot_every=500)
    config.update({k: v for k, v in overrides.items() if v is not None})
    trainer = Trainer(images, proc, net, TrainConfig(**config), device=device, labels=labels)
    if loss == "dsm" and recipe.edm_weighting:
        trainer.loss_fn = edm_weighted(trainer.loss_fn, trainer.model.sigma_data)
    return trainer


def edm_weighted(loss_fn, sigma_data: float):
    """The core's DSM loss (λ(σ) = σ²) reweighted to EDM's λ(σ) = (σ² + σ_d²)/(σσ_d)².

    With the preconditioned denoiser, σ²‖s + ε/σ‖² = ‖D − x₀‖²/σ² = c_out²/σ² ‖F − F*‖² with
    c_out²/σ² = σ_d²/(σ² + σ_d²): the plain DSM weight fades like σ_d²/σ² above σ_d, exactly the noise levels
    where a digit's global shape is decided. Multiplying by (σ² + σ_d²)/σ_d² gives every noise level unit
    weight on the network's output (EDM, Karras et al. 2022, §5), so the σ distribution alone decides where
    training effort goes.
    """
    sd2 = float(sigma_data) ** 2

    def weighted(model, x0, sigma, generator=None, labels=None):
        return loss_fn(model, x0, sigma, generator, labels) * (sigma.to(torch.float32) ** 2 + sd2) / sd2

    weighted.__name__ = "edm_weighted_dsm"
    return weighted


# --------------------------------------------------------------------------------------------- sampling


def sampler_options(name: str, process, steps: int | None = None) -> dict:
    """run_sampler keyword arguments for images (the recipe's steps where not given)."""
    steps = int(steps or SAMPLER_STEPS.get(name, 100))
    if name == "annealed":
        # NCSN's ladder over the recipe's σ range: 20 levels, `steps` Langevin steps each.
        return {"process": process, "steps_per_level": steps, "n_levels": 20}
    if name == "langevin":
        return {"process": process, "steps": steps, "noise_level": 0.05}
    return {"process": process, "steps": steps}


def image_score(model, process, labels: Tensor | None = None, guidance: float = 0.0, guide=None,
                autoguidance: float = 1.0) -> ScoreFunction:
    return ScoreFunction(model_score(model, labels, guidance, guide, autoguidance), process)


def draw_images(model, process, n: int, sampler: str = DEFAULT_SAMPLER, steps: int | None = None, seed: int = 0,
                labels: Tensor | None = None, guidance: float = 0.0, shape=(1, 28, 28), batch: int = 256,
                clip: bool = True, guide=None, autoguidance: float = 1.0) -> Tensor:
    """``n`` images ``(n, *shape)`` (in [0, 1] when ``clip``), drawn in batches of ``batch``; with a ``guide``
    model and ``autoguidance`` w ≠ 1, autoguided (samplers.model_score)."""
    device = next(model.parameters()).device
    process = image_process(process, model.sigma_data)
    gen = torch.Generator(device=device).manual_seed(seed)
    out = []
    for start in range(0, n, batch):
        m = min(batch, n - start)
        lab = None if labels is None else labels[start:start + m].to(device)
        score = image_score(model, process, lab, guidance, guide, autoguidance)
        x = process.prior_sample((m, *shape), gen, device)
        last = None
        for last in run_sampler(sampler, score, x, generator=gen, **sampler_options(sampler, process, steps)):
            pass
        out.append(last.x)
    images = torch.cat(out)
    return images.clamp(0, 1) if clip else images


def recipe_summary(model_size: str) -> dict:
    r = RECIPES[model_size]
    d = {k: v for k, v in asdict(r).items() if k not in ("net", "extra")}
    d["net"] = asdict(r.net)
    return d


def cpu_threads_for_training(reserve_gui: bool = False) -> int:
    """Threads for torch on the CPU: all cores, or all but one when a GUI shares the process."""
    n = os.cpu_count() or 1
    return max(1, n - 1) if reserve_gui else n

