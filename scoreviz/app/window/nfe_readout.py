"""The status bar's cost of the particles' run: "NFE 240 / 491" while it runs, "NFE 491 / 491 · done" at its end."""
from __future__ import annotations

from scoreviz.app.qt import QtWidgets
from scoreviz.lab import frames as fr


class NFEReadout:
    """A label showing a ParticleFrame's network evaluations made so far against the run's total (empty with no
    run)."""

    def __init__(self):
        self.label = QtWidgets.QLabel()
        self.label.setToolTip("Score-network evaluations (NFE) of the sampler run: made so far / in all")

    def show(self, f: fr.ParticleFrame) -> None:
        if not f.sampler or not f.nfe_total:
            self.label.setText("")
            return
        self.label.setText(f"NFE {f.nfe:,} / {f.nfe_total:,}" + (" · done" if f.finished else ""))
