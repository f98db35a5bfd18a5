"""When the next particle frame is due, and how much training fits before it.

A frame rate is a beat, not a gap: the next frame is due one interval after the previous one was *due*, not
after it was sent, or every frame would be late by the part of a tick that overran it and 60 frames a second
would come out as 45–50. After a stall of more than one interval the beat restarts from now (no burst of
catch-up frames). Training shares the worker's thread with the sampler, so it gets the time left before the
next beat (give or take LATE_SHARE of an interval) less what the sampler's steps owed by then will take
(`training_deadline`), and at least one optimiser step every STARVATION_S so that a sampler too slow for the
frame rate cannot stop it.
"""
from __future__ import annotations

#: A frame may go out this much before its beat: a tick that ends just short of the beat sends it instead of
#: waiting for the worker's next wake-up (which would come later than the beat).
EARLY_S = 0.002
#: A training step may make the next frame this share of an interval late (the beat stays, so the rate does):
#: planning to end exactly on the beat leaves, on average, half a step idle before every frame.
LATE_SHARE = 0.25
#: Training takes a step at least this often, fitting or not. Once per frame at 60 frames/s would claim ~0.35 s
#: of every second on 2 cores (a step costs ~6 ms beside the window) and cost the frames their beat.
STARVATION_S = 0.05


class FramePacer:
    """The particle frames' beat at `interval` seconds; `due(now)` asks, `sent(now)` moves the beat on."""

    def __init__(self, interval: float):
        self.interval = interval
        self.next_at = 0.0
        #: when training last took a step (the starvation guard)
        self.trained_at = 0.0

    def set_interval(self, interval: float) -> None:
        self.interval = interval
        self.next_at = 0.0

    def due(self, now: float) -> bool:
        return now >= self.next_at - EARLY_S

    def sent(self, now: float) -> None:
        self.next_at += self.interval
        if self.next_at < now:             # more than one interval late: a new beat from now
            self.next_at = now + self.interval

    def training_deadline(self, now: float, budget: float, sampler_cost: float) -> tuple[float, int]:
        """(end, min_steps) for a training chunk of at most `budget` seconds that ends before the sampler's
        steps for the next frame (`sampler_cost` seconds) must start; min_steps is 1 when no step has been
        taken for STARVATION_S (a slow sampler must not stop training), else 0."""
        end = min(now + budget, self.next_at + LATE_SHARE * self.interval - sampler_cost)
        return end, 1 if now - self.trained_at >= STARVATION_S else 0
