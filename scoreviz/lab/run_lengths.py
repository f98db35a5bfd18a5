"""How the 2-D window sizes a sampler run, and what its run lengths meant before they were NFE (torch-free).

The window's length is the run's NFE (network evaluations, core.sampler_registry), the same figure the image
mode, `scoreviz render` and `scoreviz sample --nfe` take. Annealed Langevin walks `ANNEALED_LEVELS` levels of
the process's ladder, ⌊(NFE − 1)/L⌋ steps each (NFERule).

Before, the window's "steps" meant the sampler's own steps, with annealed Langevin's spread over its levels
(⌊steps/L⌋ a level) and the final denoising evaluation on top; `legacy_window_nfe` converts such a length to
the NFE of the same run, so old session files (lab.session_file), lessons (lab.lesson) and `scoreviz render
--steps` give the run they gave before.
"""
from __future__ import annotations

from scoreviz.core.sampler_registry import SamplerEntry, sampler_entry

#: Levels of the window's annealed Langevin (and of any sampler whose length counts per level).
ANNEALED_LEVELS = 10


def window_options(entry: SamplerEntry, sigma: float) -> dict:
    """The options the window sets besides the length: a sampler at one level runs at the σ slider's `sigma`,
    one that walks levels walks ANNEALED_LEVELS of them."""
    if entry.at_one_level:
        return {"noise_level": sigma}
    if entry.length.per_level:
        return {"n_levels": ANNEALED_LEVELS}
    return {}


def legacy_window_nfe(sampler: str, steps: int) -> int:
    """The NFE of the run an old window length `steps` of `sampler` gave (sampler's own steps, annealed
    Langevin's spread over ANNEALED_LEVELS levels); ValueError for an unknown sampler.
    E.g. annealed 500 → 10·50 + 1 = 501, pc 300 → 300·2 + 1 = 601, langevin 500 → 500."""
    entry = sampler_entry(sampler)
    levels = ANNEALED_LEVELS if entry.length.per_level else 1
    own = max(1, int(steps) // levels)
    return entry.length.nfe(own, entry.defaults(), levels)
