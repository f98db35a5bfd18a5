"""The status bar's performance line: frames drawn per second (the particle animation's while particles move, else
every repaint's), the device, training steps/s, the field's error."""
from __future__ import annotations

import math

from scoreviz.lab import frames as fr
from scoreviz.lab.clock import Clock, wall_clock

from scoreviz.app.qt import QtWidgets

#: The line is refreshed once per this many seconds (the frame rate is counted over the same window).
REFRESH_S = 1.0


class PerfReadout:
    """Counts drawn frames; `count_frame()` says when a second has passed and `show` should refresh the label."""

    def __init__(self, clock: Clock = wall_clock):
        self.clock = clock
        self.label = QtWidgets.QLabel()
        self.fps = 0.0
        self._count = self._particle_count = 0
        self._since = self.clock()

    def count_frame(self, particles: bool = False) -> bool:
        """One repaint (`particles`: it drew a particle frame)."""
        self._count += 1
        self._particle_count += bool(particles)
        now = self.clock()
        if now - self._since <= REFRESH_S:
            return False
        self.fps = (self._particle_count or self._count) / (now - self._since)
        self._count = self._particle_count = 0
        self._since = now
        return True

    def show(self, training: fr.TrainingFrame | None, field) -> None:
        parts = [f"{self.fps:.0f} fps"]
        if training is not None:
            parts.append(f"{training.device}")
            if training.running:
                parts.append(f"{training.steps_per_second:,.0f} steps/s")
        if isinstance(field, fr.FieldFrame) and math.isfinite(field.rel_error):
            parts.append(f"field error here {field.rel_error:.2f}")
        self.label.setText("  ·  ".join(parts))
