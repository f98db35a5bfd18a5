"""Creating sampler runs: a run's options from a recipe's defaults and an NFE budget, checked against the registry
(core.sampler_registry) before the first step, and the NFE a run will spend.

    options = sampler_options("pc", process, nfe=201)     # {"process": …, "steps": 100}: 100·(1 + 1) + 1
    planned_nfe("pc", options)                            # 201
    x0 = run_to_end("pc", score, x, **options)

A run's length is given as NFE (score-network evaluations); the sampler's own step count follows from it by the
registry's `NFERule` (the equations are in sampler_registry's docstring).
"""
from __future__ import annotations

from typing import Iterator, Mapping

from torch import Tensor

from scoreviz.core.processes import NoiseProcess
from scoreviz.core.sampler_registry import REQUIRED, SamplerEntry, sampler_entry
from scoreviz.core.samplers import GENERATORS, SamplerStep, ScoreFunction
from scoreviz.core.sigma_steps import check_discretisation

#: Options every sampler takes besides its own (its registry entry's): the process and the random generator.
COMMON_OPTIONS = ("process", "generator")


def check_options(name: str, options: Mapping) -> SamplerEntry:
    """The entry of sampler `name` if `options` are exactly keyword arguments it takes, with every required one
    present, a choice among its choices, a number within its bounds, a run length that is a positive integer
    and, for a solver in σ̃ with the process given, a discretisation that has that many steps; else a
    ValueError."""
    entry = sampler_entry(name)
    known = {o.name: o for o in entry.options}
    unknown = [k for k in options if k not in known and k not in COMMON_OPTIONS]
    if unknown:
        raise ValueError(f"sampler {name!r} takes no option {', '.join(map(repr, unknown))}; "
                         f"its options are {', '.join((*COMMON_OPTIONS, *known))}")
    missing = [k for k, o in known.items() if o.default is REQUIRED and k not in options]
    if missing:
        raise ValueError(f"sampler {name!r} needs {', '.join(missing)}")
    for option in entry.options:
        if option.choices and option.name in options and options[option.name] not in option.choices:
            raise ValueError(f"sampler {name!r}: unknown {option.name} {options[option.name]!r}; "
                             f"choose {' or '.join(option.choices)}")
        value = options.get(option.name)
        if option.bounds is not None and option.name in options and not _within(value, option.bounds):
            raise ValueError(f"sampler {name!r}: {option.name} must be a number in {option.bounds} (got {value!r})")
    value = options.get(entry.length.length_option)
    if value is not None and (isinstance(value, bool) or int(value) != value or value < 1):
        raise ValueError(f"sampler {name!r}: {entry.length.length_option} must be a positive integer "
                         f"(got {value!r})")
    if "discretisation" in known and options.get("process") is not None:
        full = {**entry.defaults(), **options}
        try:
            check_discretisation(full["process"], full[entry.length.length_option], full["discretisation"])
        except ValueError as error:
            raise ValueError(f"sampler {name!r}: {error}") from None
    return entry


def _within(value, bounds) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value in bounds


def level_count(entry: SamplerEntry, options: Mapping) -> int:
    """L, the levels a run walks: those given, else the process's ladder of `n_levels`; 1 for a sampler whose
    length does not count per level."""
    if not entry.length.per_level:
        return 1
    if options.get("levels") is not None:
        return len(options["levels"])
    return len(options["process"].levels(options.get("n_levels")))


def own_lengths(steps: Mapping[str, int]) -> dict[str, dict]:
    """A table sampler → length in its own steps, as sampler_options' `defaults`: {"annealed": {"steps_per_level":
    100}, "em": {"steps": 500}, …} (each sampler's length option from the registry)."""
    return {name: {sampler_entry(name).length.length_option: int(n)} for name, n in steps.items()}


def sampler_options(name: str, process: NoiseProcess, nfe: int | None = None, *, own_steps: int | None = None,
                    defaults: Mapping[str, Mapping] | None = None, **overrides) -> dict:
    """Keyword arguments for `run_sampler(name, ...)`, checked (check_options).

    Args:
        name: a key of the registry (sampler_registry.SAMPLERS).
        process: the noise process (passed on as `process`).
        nfe: the run's budget of network evaluations; the sampler's length option (steps, steps_per_level) is
            the longest that fits (NFERule.length). None or 0: the length in `defaults`, else the sampler's own.
        own_steps: instead of `nfe`, the length in the sampler's own steps (per level for annealed), as
            `scoreviz sample --steps` gives it (kept for compatibility).
        defaults: a recipe's table, sampler name → its default options in the sampler's own terms (e.g.
            {"annealed": {"steps_per_level": 20, "n_levels": 20}}).
        overrides: any other option the sampler takes (generator, noise_level, n_levels, ...); they win over
            `defaults`, and a length option among them wins over `nfe`.
    Langevin's noise level defaults to 5·σ̃_min of the process (a level the model was trained near).
    """
    entry = sampler_entry(name)   # an unknown name fails here
    options: dict = {"process": process}
    if entry.at_one_level:
        options["noise_level"] = 5 * process.noise_range()[0]
    options.update((defaults or {}).get(name, {}))
    options.update(overrides)
    length = entry.length.length_option
    if nfe and own_steps:
        raise ValueError(f"sampler {name!r}: give its length as NFE or in its own steps, not both")
    if own_steps:
        options[length] = own_steps
    elif nfe and length not in overrides:
        full = {**entry.defaults(), **options}
        options[length] = entry.length.length(nfe, full, level_count(entry, full))
    check_options(name, options)
    return options


def planned_nfe(name: str, options: Mapping) -> int:
    """The network evaluations a run of sampler `name` with `options` (which include `process`) will make."""
    entry = sampler_entry(name)
    full = {**entry.defaults(), **options}
    return entry.length.nfe(full[entry.length.length_option], full, level_count(entry, full))


def run_sampler(name: str, score: ScoreFunction, x: Tensor, **options) -> Iterator[SamplerStep]:
    """The named sampler's run on x (N, *shape), to be iterated step by step.

    `process` defaults to `score.process`. Everything that can be checked is checked now, before the first
    step: the name, the options (check_options), the process (the entry's `supports`, e.g. DDPM needs VP).
    """
    options.setdefault("process", score.process)
    entry = check_options(name, options)
    entry.check_process(options["process"])
    return GENERATORS[name](score, x, **options)


def run_to_end(name: str, score: ScoreFunction, x: Tensor, **options) -> Tensor:
    """Run a sampler to the end and return the final positions (N, *shape) (x itself for an empty run)."""
    last = None
    for last in run_sampler(name, score, x, **options):
        pass
    return x if last is None else last.x
