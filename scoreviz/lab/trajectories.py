"""Full paths of a few particles of a sampler run, from the release to the end (Qt-free).

The canvas's trails fade; a lecture also wants to see whole paths, first against second order, ODE against SDE.
`Trajectories` keeps, for K particles chosen at the release, every position the run gave them: the start and one
point per sampler step. Every step is kept, not every frame: the session sends about 30 frames a second while a
run may take hundreds of steps between two of them, so a window that collected positions from frames would draw
a coarser path than the sampler took (and the window's mailbox drops frames it had no time to draw).

A frame carries a copy of the paths, (K, S, D) float32: 16 particles × 1001 points × 2 coordinates is 128 kB,
copied in tens of microseconds, so every frame is complete on its own and a dropped one loses nothing.
"""
from __future__ import annotations

import numpy as np
import torch

#: Particles whose paths are kept (fewer when fewer are released).
DEFAULT_COUNT = 12
#: Rows the buffer starts with (it doubles when a run is longer).
INITIAL_CAPACITY = 256


def chosen_particles(n: int, k: int = DEFAULT_COUNT) -> np.ndarray:
    """(min(n, k),) indices spread evenly over 0 … n − 1. The particles start in random order (a prior sample, or
    a cloud around a click), so evenly spread indices are a random pick that a seed repeats."""
    k = min(int(n), int(k))
    if k <= 0:
        return np.zeros(0, dtype=np.intp)
    return np.round(np.linspace(0, n - 1, k)).astype(np.intp)


class Trajectories:
    """The paths of the chosen particles: `start(x0)` at a release, `add(x)` after every step, `paths()`."""

    def __init__(self, count: int = DEFAULT_COUNT):
        self.count = count
        self.index = np.zeros(0, dtype=np.intp)
        self._rows = torch.zeros(0)
        self._buffer = np.zeros((0, 0, 0), dtype=np.float32)     # (K, capacity, D)
        self.length = 0                                           # points kept per particle

    def start(self, x0: torch.Tensor) -> None:
        """A new run from positions x0 (N, D): its paths begin at the chosen particles' starts."""
        n, dim = x0.shape[0], x0.shape[1]
        self.index = chosen_particles(n, self.count)
        self._rows = torch.as_tensor(self.index, device=x0.device)
        self._buffer = np.zeros((len(self.index), INITIAL_CAPACITY, dim), dtype=np.float32)
        self.length = 0
        self.add(x0)

    def clear(self) -> None:
        self.index = np.zeros(0, dtype=np.intp)
        self._buffer = np.zeros((0, 0, 0), dtype=np.float32)
        self.length = 0

    def add(self, x: torch.Tensor) -> None:
        """The chosen particles' positions after one more step (x: all positions (N, D))."""
        if not len(self.index):
            return
        if self.length == self._buffer.shape[1]:
            grown = np.zeros((self._buffer.shape[0], 2 * self._buffer.shape[1], self._buffer.shape[2]), np.float32)
            grown[:, :self.length] = self._buffer
            self._buffer = grown
        self._buffer[:, self.length] = x[self._rows].detach().float().cpu().numpy()
        self.length += 1

    def paths(self) -> np.ndarray | None:
        """(K, S, D) float32, a read-only copy (S = steps added + 1), or None before a run."""
        if not len(self.index):
            return None
        out = self._buffer[:, :self.length].copy()
        out.flags.writeable = False
        return out
