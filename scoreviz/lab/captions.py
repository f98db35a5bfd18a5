"""One line saying what is on the canvas, for presentation mode and for recorded clips (Qt-free).

    "Annealed Langevin · level 7 of 10 · σ = 0.82"
    "Reverse SDE (Euler–Maruyama) · step 120 of 500 · σ = 0.31"
    "exact score of the data noised at σ = 0.5"

Built from frames only (`ParticleFrame`, `FieldFrame`), so the window and `scoreviz render` say the same thing.
"""
from __future__ import annotations

import math

from scoreviz.core.sampler_registry import SAMPLERS

from scoreviz.lab import frames as fr
from scoreviz.lab.run_lengths import ANNEALED_LEVELS

FIELD_CAPTIONS = {
    "exact": "exact score of the data noised at σ = {s}",
    "learned": "learned score s_θ(x, σ) at σ = {s}",
    "difference": "learned − exact score at σ = {s}",
    "denoiser": "denoiser: arrows from x to x + σ²·s at σ = {s}",
    "velocity": "learned velocity dx/dt of the probability-flow ODE at t = {t} (σ = {s})",
    "exact_velocity": "exact velocity dx/dt of the probability-flow ODE at t = {t} (σ = {s})",
}


def sigma_text(sigma: float) -> str:
    """σ with two significant digits: 0.82, 0.5, 12, 0.0031."""
    return f"{sigma:.2g}" if math.isfinite(sigma) else "?"


def sampler_caption(sampler: str) -> str:
    """How a caption names `sampler`: its registry `caption` ("Langevin dynamics"; the panels show its `label`,
    "Langevin (at σ slider)"), or the key itself for one the registry does not know."""
    entry = SAMPLERS.get(sampler)
    return entry.caption if entry else sampler


def annealed_level(step: int, total: int, levels: int = ANNEALED_LEVELS) -> int:
    """1-based level of annealed Langevin's `step` (1 … total − 1; the last step is the final denoising):
    the run is `levels` levels of (total − 1) / levels steps each (lab.run_lengths spreads the steps so)."""
    per = max(1, (total - 1) // levels)
    return min(levels, (step - 1) // per + 1)


def particle_caption(f: fr.ParticleFrame, levels: int = ANNEALED_LEVELS) -> str:
    """What the particles are doing in frame `f` ("" when there is no run)."""
    if not f.sampler:
        return ""
    entry = SAMPLERS.get(f.sampler)
    name = sampler_caption(f.sampler)
    at_one_level = entry is not None and entry.at_one_level
    per_level = entry is not None and entry.length.per_level
    sigma = f"σ = {sigma_text(f.noise_level)}"
    done = " · done" if f.finished else ""
    if f.step == 0:
        if at_one_level:
            return f"{name} at {sigma} · start"
        return f"{name} · start: samples from the prior"
    final = f.step >= f.total and f.noise_level == 0.0
    if final:   # annealed Langevin and the SDE/ODE samplers end with one Tweedie step x + σ²s
        return f"{name} · final denoising step{done}"
    if per_level:
        return f"{name} · level {annealed_level(f.step, f.total, levels)} of {levels} · {sigma}{done}"
    if at_one_level:
        return f"{name} at {sigma} · step {f.step} of {f.total}{done}"
    return f"{name} · step {f.step} of {f.total} · {sigma}{done}"


def field_caption(f) -> str:
    """What the arrows show in a `FieldFrame` / `Field1DFrame` ("" for None)."""
    if f is None:
        return ""
    kind = getattr(f, "kind", "exact")
    if getattr(f, "source", "learned") == "exact" and kind in ("learned", "velocity"):
        kind = "exact" if kind == "learned" else "exact_velocity"   # no model yet: the exact field is drawn
    t = getattr(f, "t", math.nan)
    return FIELD_CAPTIONS.get(kind, FIELD_CAPTIONS["exact"]).format(s=sigma_text(f.sigma),
                                                                    t=f"{t:.2f}" if math.isfinite(t) else "?")


def caption(particles: fr.ParticleFrame | None, field=None) -> str:
    """The particles' caption while there is a run, else the field's."""
    text = particle_caption(particles) if particles is not None else ""
    return text or field_caption(field)
