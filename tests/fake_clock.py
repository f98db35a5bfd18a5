"""A clock a test moves, and step costs charged to it: the lab's timing rules (frame beats, budgets, shares,
steps owed at a speed) tested exactly, whatever the machine's load. Rates on the real clock are `scoreviz
bench`'s, never a test's."""
from __future__ import annotations

from scoreviz.core.samplers import ScoreFunction


class FakeClock:
    """Seconds that pass only when `advance` is called (a step's cost, a worker's wait between ticks)."""

    def __init__(self, start: float = 1000.0):
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def costing(clock: FakeClock, seconds: float, fn):
    """`fn` that takes `seconds` of the clock each call."""
    def charged(*args, **kwargs):
        clock.advance(seconds)
        return fn(*args, **kwargs)
    return charged


def charge_training(training, clock: FakeClock, seconds: float) -> None:
    """Each optimiser step of a LiveTraining's trainer (built by its `start`) takes `seconds` of `clock`. A
    session trained on a FakeClock needs this: steps that take no time would fill any budget without end."""
    trainer = training.trainer
    trainer.step = costing(clock, seconds, trainer.step)


def charge_sampling(session, clock: FakeClock, seconds: float) -> None:
    """Each score evaluation (a sampler step's network evaluations) of a LabSession's later releases takes
    `seconds` of `clock`."""
    plain = session._score

    def score(source: str) -> ScoreFunction:
        s = plain(source)
        return ScoreFunction(costing(clock, seconds, s.ve_score), s.process)
    session._score = score


#: What a tick costs beyond its steps (emitting, bookkeeping), and how long the window's worker waits before
#: the next tick when one did no work (app.workers.lab_worker's PENDING_INTERVAL_MS).
TICK_COST = 0.0002
IDLE_WAIT = 0.001


def run_for(session, clock: FakeClock, seconds: float, on_tick=None) -> None:
    """Tick `session` as the window's worker does for `seconds` of `clock`: again at once after a busy tick,
    after IDLE_WAIT otherwise."""
    end = clock() + seconds
    while clock() < end:
        busy, _ = session.tick()
        clock.advance(TICK_COST if busy else IDLE_WAIT)
        if on_tick is not None and on_tick():
            return
