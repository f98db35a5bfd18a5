"""The names a user picks from and their labels, in one place (torch-free, Qt-free).

The command line, the launcher and every panel read their option lists here, and the core checks its inputs
against the same keys, so a new sampler or size is added once. Each table maps a key to the label a window
shows; ``keys(TABLE)`` gives the choices for argparse. The samplers are described in core.sampler_registry
(torch-free too), with their options and lengths.
"""
from __future__ import annotations

#: Noise processes (core.processes.make_process).
PROCESSES: dict[str, str] = {
    "ncsn": "NCSN ladder (σ levels)",
    "ve": "VE SDE",
    "vp": "VP SDE",
    "subvp": "sub-VP SDE",
    "cosine": "VP, cosine schedule (improved DDPM)",
    "discrete": "VP, discrete β schedule (diffusers)",
    "flow": "flow matching / rectified flow",
}

#: The published schedules of the gallery (core.schedule.gallery.GALLERY: the same keys, with their sources).
SCHEDULE_PRESETS: dict[str, str] = {
    "ddpm": "DDPM linear (β 1e-4 → 0.02, T = 1000)",
    "iddpm-cosine": "improved DDPM cosine (s = 0.008, β ≤ 0.999, T = 1000)",
    "sd": "Stable Diffusion scaled_linear (β 0.00085 → 0.012, T = 1000)",
    "edm": "EDM (σ 0.002 → 80, ρ = 7)",
    "ncsnv2-cifar10": "NCSNv2 CIFAR-10 (σ 50 → 0.01, 232 levels)",
    "rectified-flow": "rectified flow x_t = (1 − t)x₀ + tε",
}

#: diffusers' timestep_spacing: where a sampler's N steps fall among the T training steps (Lin et al. 2024,
#: Table 2; core.schedule.discrete.sampling_timesteps).
TIMESTEP_SPACINGS: dict[str, str] = {
    "leading": "leading (diffusers' default; never starts at T)",
    "linspace": "linspace (from T to 1)",
    "trailing": "trailing (from T, evenly; Lin et al.)",
}

#: What a network is trained to predict (diffusers' prediction_type; flow: the velocity ε − x₀).
PREDICTION_TYPES: dict[str, str] = {
    "epsilon": "ε (the noise)",
    "v_prediction": "v = α·ε − s·x₀",
    "sample": "x₀ (the data)",
    "flow": "the velocity ε − x₀ (flow matching)",
}

#: Where training spends its noise levels (core.schedule.training_noise.TrainingNoise.distribution). "process" is the
#: process's own choice: uniform t for the SDEs, the ladder's levels for NCSN.
NOISE_DISTRIBUTIONS: dict[str, str] = {
    "process": "the process's own (uniform t / the ladder)",
    "uniform_t": "uniform in t",
    "log_uniform": "log-uniform in σ",
    "log_normal": "log-normal (EDM: P_mean, P_std)",
    "logit_normal": "logit-normal in t (SD3: mean 0, std 1)",
}

#: The loss weighting λ(σ) on top of denoising score matching (TrainingNoise.weighting). λ(σ) = σ² makes the DSM
#: loss ‖σ·s + ε‖², the mean squared error of the predicted noise: "σ²" and "uniform in ε" are the same weighting.
LOSS_WEIGHTINGS: dict[str, str] = {
    "sigma2": "σ² (NCSN, score SDE; = uniform in ε)",
    "edm": "EDM: (σ² + σ_d²)/(σ·σ_d)²",
    "min_snr": "min-SNR-γ",
}

#: Score-matching losses (core.losses.LOSSES).
LOSSES: dict[str, str] = {"dsm": "Denoising SM (DSM)", "ssm": "Sliced SM (SSM)",
                          "fm": "Flow matching (velocity ε − x₀)"}

#: The point-data network sizes (core.networks.mlp reads the widths from here). 64×4 with 16 Fourier features
#: is the default: as good per step as 128×3 with 32 and cheaper per step (`scoreviz bench`).
POINT_MODEL_SIZES: dict[str, dict] = {
    "small": dict(width=32, depth=3),
    "medium": dict(width=64, depth=4),
    "large": dict(width=128, depth=4, n_fourier=32),
}
DEFAULT_POINT_MODEL_SIZE = "medium"

#: Image network sizes (core.recipes.images.RECIPES has the same keys).
IMAGE_MODEL_SIZES: dict[str, str] = {
    "cpu": "cpu: the fast conv net (the CPU default)",
    "unet": "unet: a small U-Net, slower per image",
    "gpu": "gpu: a 7 M-parameter U-Net for a GPU",
    "tiny": "tiny: a toy for quick checks",
}

#: What the field's arrows show: σ·s (learned, exact, their difference), the denoiser's displacement σ²·s, or the
#: probability-flow ODE's velocity dx/dt = f − ½g²s (learned or exact; under the flow process it is the
#: flow-matching velocity v = ε̂ − x̂₀; lab.velocity_field).
FIELD_KINDS: dict[str, str] = {
    "learned": "learned",
    "exact": "exact",
    "difference": "difference",
    "denoiser": "denoiser",
    "velocity": "velocity",
    "exact_velocity": "exact velocity",
}

#: The field kinds that draw a velocity (in the process's coordinates x_t, where the particles move).
VELOCITY_KINDS = ("velocity", "exact_velocity")

#: The score the particles follow.
SCORE_SOURCES: dict[str, str] = {"learned": "learned score", "exact": "exact score"}

#: Devices; "auto" picks CUDA, then Apple MPS, then the CPU (core.device).
DEVICES: dict[str, str] = {"auto": "auto", "cpu": "CPU", "cuda": "CUDA", "mps": "MPS (Apple)"}

#: Image data sets the window and `scoreviz train --data KIND[:DIR]` know by name.
IMAGE_DATA: dict[str, str] = {"mnist": "MNIST", "fashion": "Fashion-MNIST"}

#: The learned field "matches" the exact one when the median relative error of the score at the middle σ is at
#: most this (the live training's time-to-match and the window's target line).
MATCH_THRESHOLD = 0.3


def keys(table: dict) -> list[str]:
    """The keys of a table, in order (argparse choices)."""
    return list(table)


def point_model_label(size: str) -> str:
    """'medium (64×4)': the size with its width × depth."""
    spec = POINT_MODEL_SIZES[size]
    return f"{size} ({spec['width']}×{spec['depth']})"
