"""One line saying what is on the canvas, for presentation mode and for recorded clips (Qt-free).

    "Annealed Langevin · level 7 of 10 · σ = 0.82"
    "Reverse SDE (Euler–Maruyama) · step 120 of 500 · σ = 0.31"
    "exact score of the data noised at σ = 0.5"

Built from frames only (`ParticleFrame`, `FieldFrame`), so the window and `scoreviz render` say the same thing.
"""
from __future__ import annotations

import math

from scoreviz.lab import frames as fr
from scoreviz.lab.particles import ANNEALED_LEVELS

#: The samplers as a caption names them (names.SAMPLERS labels are the panel's, e.g. "Langevin (at σ slider)").
SAMPLER_CAPTIONS = {
    "langevin": "Langevin dynamics",
    "annealed": "Annealed Langevin",
    "em": "Reverse SDE (Euler–Maruyama)",
    "pc": "Predictor–corrector",
    "ode": "Probability-flow ODE",
    "ddpm": "DDPM ancestral sampling",
}

FIELD_CAPTIONS = {
    "exact": "exact score of the data noised at σ = {s}",
    "learned": "learned score s_θ(x, σ) at σ = {s}",
    "difference": "learned − exact score at σ = {s}",
    "denoiser": "denoiser: arrows from x to x + σ²·s at σ = {s}",
}


def sigma_text(sigma: float) -> str:
    """σ with two significant digits: 0.82, 0.5, 12, 0.0031."""
    return f"{sigma:.2g}" if math.isfinite(sigma) else "?"


def annealed_level(step: int, total: int, levels: int = ANNEALED_LEVELS) -> int:
    """1-based level of annealed Langevin's `step` (1 … total − 1; the last step is the final denoising):
    the run is `levels` levels of (total − 1) / levels steps each (lab.particles spreads the steps so)."""
    per = max(1, (total - 1) // levels)
    return min(levels, (step - 1) // per + 1)


def particle_caption(f: fr.ParticleFrame, levels: int = ANNEALED_LEVELS) -> str:
    """What the particles are doing in frame `f` ("" when there is no run)."""
    if not f.sampler:
        return ""
    name = SAMPLER_CAPTIONS.get(f.sampler, f.sampler)
    sigma = f"σ = {sigma_text(f.noise_level)}"
    done = " · done" if f.finished else ""
    if f.step == 0:
        if f.sampler == "langevin":
            return f"{name} at {sigma} · start"
        return f"{name} · start: samples from the prior"
    final = f.step >= f.total and f.noise_level == 0.0
    if final:   # annealed Langevin and the SDE/ODE samplers end with one Tweedie step x + σ²s
        return f"{name} · final denoising step{done}"
    if f.sampler == "annealed":
        return f"{name} · level {annealed_level(f.step, f.total, levels)} of {levels} · {sigma}{done}"
    if f.sampler == "langevin":
        return f"{name} at {sigma} · step {f.step} of {f.total}{done}"
    return f"{name} · step {f.step} of {f.total} · {sigma}{done}"


def field_caption(f) -> str:
    """What the arrows show in a `FieldFrame` / `Field1DFrame` ("" for None)."""
    if f is None:
        return ""
    kind = getattr(f, "kind", "exact")
    if kind == "learned" and getattr(f, "source", "learned") == "exact":
        kind = "exact"          # no model yet: the learned view draws the exact score
    return FIELD_CAPTIONS.get(kind, FIELD_CAPTIONS["exact"]).format(s=sigma_text(f.sigma))


def caption(particles: fr.ParticleFrame | None, field=None) -> str:
    """The particles' caption while there is a run, else the field's."""
    text = particle_caption(particles) if particles is not None else ""
    return text or field_caption(field)
