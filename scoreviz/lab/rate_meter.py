"""Training steps per second as a window delivers them (ticks and pauses included), and what one step costs."""
from __future__ import annotations

from collections import deque

from scoreviz.lab.clock import Clock, wall_clock


class RateMeter:
    """Steps per second over the last `window` seconds of wall time (ticks and pauses of the worker included,
    so the figure is what the window delivers, not what one step costs)."""

    def __init__(self, window: float = 2.0, clock: Clock = wall_clock):
        self.window = window
        self.clock = clock
        self._marks: deque[tuple[float, int]] = deque()

    def clear(self) -> None:
        """Forget the marks (after a pause, so the pause does not count)."""
        self._marks.clear()

    def mark(self, step_count: int) -> float:
        """Record that `step_count` steps are done now; returns the current rate."""
        now = self.clock()
        self._marks.append((now, step_count))
        while len(self._marks) > 2 and now - self._marks[0][0] > self.window:
            self._marks.popleft()
        return self.rate

    @property
    def rate(self) -> float:
        if len(self._marks) < 2:
            return 0.0
        (t0, s0), (t1, s1) = self._marks[0], self._marks[-1]
        return (s1 - s0) / (t1 - t0) if t1 > t0 else 0.0


class StepCost:
    """Seconds one step takes, a running mean with a few steps' memory (what the frame pacing plans with)."""

    #: weight of the newest measurement
    SMOOTHING = 0.2

    def __init__(self):
        self.seconds = 0.0

    def add(self, seconds: float, steps: int = 1) -> None:
        """`steps` steps took `seconds` together."""
        if steps <= 0:
            return
        each = seconds / steps
        self.seconds = each if self.seconds == 0 else self.seconds + self.SMOOTHING * (each - self.seconds)
