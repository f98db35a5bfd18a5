"""When the next particle frame is due, and how much training fits before it.

A frame rate is a beat, not a gap: the next frame is due one interval after the previous one was *due*, not
after it was sent, or every frame would be late by the part of a tick that overran it and the rate would fall
short of the one asked for. After a stall of more than one interval the beat restarts from now (no burst of
catch-up frames). Training shares the worker's thread with the sampler, so it gets the time left before the
next beat (give or take LATE_SHARE of an interval) less what the sampler's steps owed by then will take
(`training_deadline`), and at least one optimiser step every STARVATION_S. While training runs, the sampler
may use at most SAMPLER_SHARE of the worker's time (`sampler_budget`, a token bucket: its credit refills at
that share of the clock, one interval's worth at most, and a step that overruns leaves it in debt): when the
worker cannot do both (a large sampler beside a busy window, which slows every step by holding the GIL), the
animation plays slower than its speed instead of training stopping. Each frame may still take one step on
debt when a step fits in the sampler's share of an interval, so the frames keep their beat.
"""
from __future__ import annotations

#: A frame may go out this much before its beat: a tick that ends just short of the beat sends it instead of
#: waiting for the worker's next wake-up (which would come later than the beat).
EARLY_S = 0.002
#: A training step may make the next frame this share of an interval late (the beat stays, so the rate does):
#: planning to end exactly on the beat leaves, on average, half a step idle before every frame.
LATE_SHARE = 0.25
#: Training takes a step at least this often, fitting or not. Once per frame would, at 60 frames/s beside a busy
#: window, take the time the frames need and cost them their beat.
STARVATION_S = 0.05
#: The sampler's share of the worker's time while training runs (the rest is training's).
SAMPLER_SHARE = 0.6
#: A budget that lets the sampler take exactly one step (it stops at the first step that ends past its budget).
ONE_STEP = 1e-9


class FramePacer:
    """The particle frames' beat at `interval` seconds; `due(now)` asks, `sent(now)` moves the beat on."""

    def __init__(self, interval: float):
        self.interval = interval
        self.next_at = 0.0
        #: when training last took a step (the starvation guard)
        self.trained_at = 0.0
        #: seconds of sampler time the sampler may still take (negative: a step overran it) and when it was
        #: last refilled (None: full)
        self._credit, self._credit_at = 0.0, None
        #: the sampler took a step since the last frame went out
        self._stepped = False

    def set_interval(self, interval: float) -> None:
        self.interval = interval
        self.next_at = 0.0

    def due(self, now: float) -> bool:
        return now >= self.next_at - EARLY_S

    def sent(self, now: float) -> None:
        self.next_at += self.interval
        if self.next_at < now:             # more than one interval late: a new beat from now
            self.next_at = now + self.interval
        self._stepped = False

    def sampler_budget(self, now: float, budget: float, training: bool, step_cost: float = 0.0) -> float:
        """Seconds the sampler may take now: `budget`, or, while training runs, no more than its credit (≤ 0:
        none this time), or one step (the smallest budget) for a frame that has none yet, if a step of
        `step_cost` seconds fits in the sampler's share of an interval."""
        if not training:
            self._credit_at = None             # the credit is full when training starts
            return budget
        full = SAMPLER_SHARE * self.interval
        if self._credit_at is None:
            self._credit = full
        else:
            self._credit = min(full, self._credit + SAMPLER_SHARE * (now - self._credit_at))
        self._credit_at = now
        if self._credit <= 0 and not self._stepped and step_cost <= full:
            return ONE_STEP
        return min(budget, self._credit)

    def sampler_used(self, seconds: float, steps: int) -> None:
        """The sampler took `steps` steps in `seconds` (charged to its credit while training runs)."""
        self._stepped |= steps > 0
        if self._credit_at is not None:
            self._credit -= seconds

    def training_deadline(self, now: float, sampler_cost: float) -> tuple[float, int]:
        """(end, min_steps) for training: no step should end after `end`, when the sampler's steps for the next
        frame (`sampler_cost` seconds, no more than its credit by then) must start; min_steps is 1 when no step
        has been taken for STARVATION_S (a slow sampler must not stop training), else 0."""
        if self._credit_at is not None:
            sampler_cost = min(sampler_cost, max(0.0, self._credit + SAMPLER_SHARE * (self.next_at - now)))
        end = self.next_at + LATE_SHARE * self.interval - sampler_cost
        return end, 1 if now - self.trained_at >= STARVATION_S else 0
