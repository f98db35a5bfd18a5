"""When the session computes the Density view's frame (lab.density_view.DensityFrame), and nothing else.

The map costs an ODE solve per grid point and the held-out NLL one per held-out point (about 0.3 s for 24² + 256
points on a laptop CPU), so the rule is: only while the view is on (`ShowDensity`), only for 2-D data, and only when
the frame on screen is stale —

* what it was computed for changed: σ, the view, the data (their version), the process or the model object
  (a reset or a new process): computed at the next tick;
* the model trained since: every DENSITY_REFRESH seconds while training runs, and once more when it pauses (so the
  map and the NLL on screen belong to the model that stays).

Never per particle frame. The session asks on the ticks where it refreshes its other read-outs (right after a
particle frame was sent, or when no particles play), so the tick that computes the frame delays the *next*
particle frame by that computation's time: a visible hitch at most once every DENSITY_REFRESH while training, and
once per change of σ / view / data, which redraw the canvas anyway. Splitting the grid over ticks was measured and
rejected: the ODE's cost is mostly per step, not per point (96 points cost half of 576), so chunks would triple
the work to shorten each hitch.
"""
from __future__ import annotations

import math
from typing import Callable

from scoreviz.lab.clock import Clock
from scoreviz.lab.commands import ShowDensity
from scoreviz.lab.density_view import density_frame

#: Seconds between two maps while the model trains (each one costs ~0.3 s of the worker's time).
DENSITY_REFRESH = 2.0


class LiveDensity:
    """The Density view's part of a LabSession: its command (`handlers`), its on/off state and what its last frame
    was computed for; `refresh(session)` emits a frame when one is due (the module's rule)."""

    def __init__(self, emit: Callable[[object], None], say: Callable[[str, str], None], clock: Clock):
        self.emit, self.say, self.clock = emit, say, clock
        self.on = False
        self._key: tuple | None = None       # (σ, view, data version, process, model) of the last frame
        self._steps = -1                     # the model's optimiser steps at the last frame
        self._at = -math.inf                 # when the last frame was computed (clock seconds)

    def handlers(self) -> dict[type, Callable]:
        return {ShowDensity: self.show}

    def show(self, command: ShowDensity) -> None:
        """The view is shown (a fresh frame at the next tick) or hidden (none until it is shown again)."""
        self.on = bool(command.on)
        self._key = None

    def frame_due(self, key: tuple, steps: int, training: bool) -> bool:
        """A frame is due for this `key` (what it is computed for) with the model at `steps` optimiser steps."""
        if not self.on:
            return False
        if key != self._key:
            return True
        if steps == self._steps:
            return False
        return not training or self.clock() - self._at >= DENSITY_REFRESH

    def refresh(self, session) -> bool:
        """Emit a DensityFrame of `session` (a LabSession: its data, process, field's σ and view, EMA model) if one
        is due; True if it computed one. 2-D data only: the grid and the ODE's exact divergence are 2-D."""
        dataset, field, trainer = session.dataset, session.field, session.training.trainer
        if dataset is None or session.process is None or dataset.dim != 2:
            return False
        model = trainer.ema if trainer is not None else None
        steps = trainer.step_count if trainer is not None else -1
        key = (field.sigma, field.view, session.version, session.process, model)   # objects: a new one is a new key
        if not self.frame_due(key, steps, session.training.running):
            return False
        self._key, self._steps, self._at = key, steps, self.clock()
        xmin, xmax, ymin, ymax = field.view
        try:
            frame = density_frame(dataset, session.process, model, session.training.device,
                                  (xmin, ymin, xmax - xmin, ymax - ymin), field.sigma, session.version)
        except (RuntimeError, ValueError) as exc:     # a diverged model's NaNs, a device gone: say so, go on
            self.say("warning", f"The density view could not be computed: {exc}")
            return True
        self.emit(frame)
        return True
