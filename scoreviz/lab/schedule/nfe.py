"""Quality against NFE in the schedule lab: `scoreviz eval --nfe-sweep`'s figure (EDM, Karras et al. 2022,
Fig. 2) for the schedule in use (B) and, when one is pinned, schedule A.

For each series — (schedule, score): B with the exact score of the noised data, A likewise when pinned, and
the trained model's score of each when asked — every sampler runs at every NFE budget from one prior draw:

    row(series, sampler, B) = core.nfe_sweep.quality_vs_nfe(score, process, data, [sampler], [B], n, seed)[0]

which is the row `quality_vs_nfe(…, samplers, budgets, …)` gives in one call (the prior draw, the run's noise
and the metrics are seeded per row by `seed` alone), so the sweep can run one row per session tick: a run of
500 NFE on 2,000 particles takes up to a second, a whole sweep ten or more, and the lab keeps training, drawing
and taking commands in between. After each row an `NFESweepFrame` with the rows so far is sent.

What a sweep samples is fixed when it starts (the processes and a copy of each model), so training on or
editing the schedule meanwhile changes nothing in it; new data stop it (its reference would be gone).
"""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np
import torch

from scoreviz.core.nfe_sweep import SweepRow, check_sweep, quality_vs_nfe
from scoreviz.core.sampler_registry import SAMPLERS, sampler_entry

from scoreviz.lab import commands as cmd
from scoreviz.lab import frames as fr
from scoreviz.lab.schedule.compare import score_function

#: Particles per run at most: the sliced Wasserstein resolves a few per cent at 2,000, and each run costs ∝ n.
MAX_PARTICLES = 20_000


def sweep_samplers() -> tuple[str, ...]:
    """The samplers a sweep can run: those that walk from the prior to the data (not Langevin at one level)."""
    return tuple(name for name, entry in SAMPLERS.items() if not entry.at_one_level)


@dataclass
class _Series:
    """The runs under one schedule and score: process, score function and the device its particles live on."""

    schedule: str
    score: str
    process: object
    score_fn: object
    device: torch.device
    rows: dict[str, list[SweepRow]] = field(default_factory=dict)   # sampler → its rows, budgets in order


@dataclass
class _Sweep:
    command: cmd.SweepNFE
    dataset: object
    version: int
    process_name: str
    series: list[_Series]
    pending: list[tuple[_Series, str, int]]     # (series, sampler, budget), in the order they run
    total: int
    seconds: float = 0.0


class NFESweeps:
    """The schedule lab's quality-vs-NFE part: `handlers()` (SweepNFE), `advance()` (one run a tick) and
    `send_choices()` (what a sweep can ask for, sent when that changes)."""

    def __init__(self, control, training, lab, emit: Callable[[object], None], say: Callable[[str, str], None]):
        self.control, self.training, self.lab, self.emit, self.say = control, training, lab, emit, say
        self._sweep: _Sweep | None = None
        self._choices = None

    def handlers(self) -> dict[type, Callable]:
        return {cmd.SweepNFE: self.start}

    @property
    def running(self) -> bool:
        return self._sweep is not None

    # --- the command -----------------------------------------------------------------------------------------
    def start(self, command: cmd.SweepNFE) -> None:
        """Check the request against the process in use (and A's), fix what it samples, and queue its runs; a
        fault is one warning and nothing runs."""
        lab = self.lab
        if lab.dataset is None or lab.process is None:
            self.say("warning", "The canvas is empty: paint some data or pick a preset, then sweep.")
            return
        try:
            sweep, skipped = self._plan(command)
        except ValueError as exc:
            self.say("warning", f"Sweep not started: {exc}")
            return
        self._sweep = sweep
        names = ", ".join(f"{s.schedule} ({s.score})" for s in sweep.series)
        note = f" A skips {', '.join(skipped)}, which its process does not run." if skipped else ""
        self.say("info", f"sweeping… {len(command.samplers)} samplers × {len(command.budgets)} budgets, "
                         f"{command.n} particles, for {names}: {sweep.total} runs.{note}")

    def _plan(self, command: cmd.SweepNFE) -> tuple[_Sweep, list[str]]:
        samplers, budgets = tuple(command.samplers), tuple(int(b) for b in command.budgets)
        if not samplers:
            raise ValueError("tick at least one sampler")
        if not 1 <= command.n <= MAX_PARTICLES:
            raise ValueError(f"the particles must number 1 to {MAX_PARTICLES} (got {command.n})")
        for name in samplers:
            if sampler_entry(name).at_one_level:
                raise ValueError(f"{name} samples at one noise level, not from the prior to the data")
        lab, trainer = self.lab, self.training.trainer
        check_sweep(lab.process, samplers, budgets)     # B must run every sampler: the panel offers no other
        series = [self._series("B", "exact", lab.process, None)]
        pinned = self.control.pinned_schedule
        if pinned is not None:
            series.append(self._series("A", "exact", pinned[0], None))
        if command.learned:
            if trainer is None or trainer.step_count == 0:
                raise ValueError("no model is trained yet: train one, or sweep with the exact score alone")
            series.insert(1, self._series("B", "learned", lab.process, copy.deepcopy(trainer.ema)))
            if pinned is not None and pinned[1] is not None:
                series.append(self._series("A", "learned", pinned[0], pinned[1]))
        # A may be a process some samplers do not run (DDIM on a VE A beside a VP B): its curves leave them out
        skipped = [] if pinned is None else [n for n in samplers if not SAMPLERS[n].supports(pinned[0])]
        pending = [(s, name, budget) for s in series for name in samplers for budget in budgets
                   if not (s.schedule == "A" and name in skipped)]
        sweep = _Sweep(replace(command, samplers=samplers, budgets=budgets), lab.dataset, lab.version,
                       lab.process.name, series, pending, len(pending))
        return sweep, skipped

    def _series(self, schedule: str, score: str, process, model) -> _Series:
        device = next(model.parameters()).device if model is not None else torch.device("cpu")
        return _Series(schedule, score, process, score_function(self.lab.dataset, process, model), device)

    # --- the runs --------------------------------------------------------------------------------------------
    def advance(self) -> bool:
        """One run of the sweep in progress and its frame; True if one ran. New data stop the sweep."""
        sweep = self._sweep
        if sweep is None:
            return False
        if self.lab.dataset is not sweep.dataset or self.lab.version != sweep.version:
            self._sweep = None
            self.say("warning", "The sweep stopped: the data changed. Sweep again to measure the new data.")
            return False
        series, name, budget = sweep.pending.pop(0)
        c = sweep.command
        start = time.perf_counter()
        try:
            row = quality_vs_nfe(series.score_fn, series.process, sweep.dataset, [name], [budget], n=c.n,
                                 seed=c.seed, device=series.device)[0]
        except Exception as exc:     # a run must never stop the lab: say which one failed, and stop the sweep
            self._sweep = None
            self.say("error", f"The sweep stopped at {name}, NFE {budget} ({series.schedule}, {series.score} "
                              f"score): {type(exc).__name__}: {exc}")
            return True
        sweep.seconds += time.perf_counter() - start
        series.rows.setdefault(name, []).append(row)
        frame = sweep_frame(sweep)
        self.emit(frame)
        if frame.finished:
            self._sweep = None
            self.say("info", _summary(frame))
        return True

    # --- what the panel offers -------------------------------------------------------------------------------
    def send_choices(self) -> None:
        """The samplers the process in use runs, whether a model is trained and whether A is pinned, when any
        of these changed since last sent."""
        process, trainer = self.lab.process, self.training.trainer
        if process is None:
            return
        choices = fr.NFESweepChoices(
            process=process.name, supported=tuple(n for n in sweep_samplers() if SAMPLERS[n].supports(process)),
            learned=trainer is not None and trainer.step_count > 0, pinned=self.control.pinned)
        if choices != self._choices:
            self._choices = choices
            self.emit(choices)


def sweep_frame(sweep: _Sweep) -> fr.NFESweepFrame:
    """The rows so far as one curve per (series, sampler) that has any."""
    c = sweep.command
    curves = tuple(curve(s.schedule, s.score, name, rows) for s in sweep.series for name, rows in s.rows.items())
    return fr.NFESweepFrame(process=sweep.process_name, samplers=c.samplers, budgets=c.budgets, n=c.n,
                            seed=c.seed, curves=curves, done=sweep.total - len(sweep.pending), total=sweep.total,
                            seconds=sweep.seconds)


def curve(schedule: str, score: str, sampler: str, rows: list[SweepRow]) -> fr.NFESweepCurve:
    """The rows of one sampler (budgets in order) as an NFESweepCurve."""
    modes = rows[0].true_weights is not None
    return fr.NFESweepCurve(
        schedule=schedule, score=score, sampler=sampler,
        nfe_requested=np.array([r.nfe_requested for r in rows], dtype=np.int64),
        nfe_used=np.array([r.nfe_used for r in rows], dtype=np.int64),
        sliced_wasserstein=np.array([r.sliced_wasserstein for r in rows], dtype=np.float64),
        sw_floor=np.array([r.sw_floor for r in rows], dtype=np.float64),
        sw_ratio=np.array([r.sw_ratio for r in rows], dtype=np.float64),
        mode_weights=np.array([r.mode_weights for r in rows] if modes else np.zeros((len(rows), 0)),
                              dtype=np.float64),
        true_weights=np.array(rows[0].true_weights if modes else [], dtype=np.float64))


def _summary(frame: fr.NFESweepFrame) -> str:
    """The banner's line when a sweep ends: its time, and per sampler the fewest NFE that came within 1.5× the
    floor under B's exact score (the figure's one-line reading)."""
    reached = []
    for c in frame.curves:
        if c.schedule == "B" and c.score == "exact":
            close = c.nfe_used[c.sw_ratio <= 1.5]
            reached.append(f"{c.sampler} {int(close.min())}" if close.size else f"{c.sampler} —")
    return (f"Swept {frame.done} runs in {frame.seconds:.1f} s. NFE to reach 1.5× the floor (B, exact score): "
            f"{', '.join(reached)}.")
