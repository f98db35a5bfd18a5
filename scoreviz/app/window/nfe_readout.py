"""The status bar's cost of the particles' run: "NFE 240 / 491" while it runs, "NFE 491 / 491 · done" at its end."""
from __future__ import annotations

from scoreviz.app.qt import QtWidgets
from scoreviz.lab import frames as fr
from scoreviz.lab.clock import Clock, wall_clock

#: While a run goes on the count is rewritten at most this often: a new text relays out the status bar on the GUI
#: thread, whose every frame's worth of work is time the training worker waits for the GIL (`scoreviz bench --only
#: gui`, training steps/s while sampling), and a count read at 4 Hz is as readable as one at 60.
REFRESH_S = 0.25


class NFEReadout:
    """A label showing a ParticleFrame's network evaluations made so far against the run's total (empty with no
    run); `clock` times the refreshes (lab.clock)."""

    def __init__(self, clock: Clock = wall_clock):
        self.clock = clock
        self.label = QtWidgets.QLabel()
        self.label.setToolTip("Score-network evaluations (NFE) of the sampler run: made so far / in all")
        self._shown_at = -float("inf")
        self._shown_state = None         # (serial, running) of the frame last shown

    def show(self, f: fr.ParticleFrame) -> None:
        if not f.sampler or not f.nfe_total:
            self._set("")
            return
        now, state = self.clock(), (f.serial, f.running)
        if f.running and state == self._shown_state and now - self._shown_at < REFRESH_S:
            return                  # the end, a pause or a new run always shows at once
        self._shown_at, self._shown_state = now, state
        self._set(f"NFE {f.nfe:,} / {f.nfe_total:,}" + (" · done" if f.finished else ""))

    def _set(self, text: str) -> None:
        if self.label.text() != text:
            self.label.setText(text)
