"""The time the lab's sessions read, as one injectable source.

Every timing rule of the lab (the frame beat, the sampler's share, training's budget, steps owed at a speed,
rates) reads `clock()` — seconds as a float, monotonic, with an arbitrary origin — from the `Clock` it was
given. The window's worker gives the wall clock; a test gives a clock it moves itself, so each rule can be
checked exactly and independently of how busy the machine is (the rates themselves are `scoreviz bench`'s).
"""
from __future__ import annotations

import time
from typing import Callable

#: A source of the current time in seconds (monotonic; only differences mean anything).
Clock = Callable[[], float]

#: The real one: `time.perf_counter`, the finest monotonic clock Python has.
wall_clock: Clock = time.perf_counter
