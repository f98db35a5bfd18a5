"""The Density view's wiring in the main window: the View panel's box and the D key, the session's command, the
canvas and the Training panel's held-out NLL.

On: the session is told (`ShowDensity`) and computes DensityFrames while it stays on (lab.live_density's cadence);
each one that arrives (`show`) becomes the canvas's heat map and contour lines (app.canvas.density_overlay) and the
NLL read-out. Off, or new data: the NLL stays on screen dimmed (it no longer follows the model). Data that are not
2-D disable the box (ViewPanel.set_data_dim).
"""
from __future__ import annotations

from scoreviz.lab.commands import ShowDensity

from scoreviz.app.qt import QtCore


class DensityControl(QtCore.QObject):
    """`last`: the latest DensityFrame shown (None before the first); `shortcut`: the D key."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.last = None
        panel = window.view_panel
        panel.density.toggled.connect(self.set_on)
        window.editor.changed.connect(self._on_data)
        window.editor.adopted.connect(self._on_data)

    @property
    def on(self) -> bool:
        return self.window.view_panel.density.isChecked()

    def set_on(self, on: bool) -> None:
        w = self.window
        w.send(ShowDensity(bool(on)))
        w.scene.show_density(on=bool(on))
        if not on and self.last is not None:
            w.training_panel.show_nll(self.last.heldout_nll, fresh=False)

    def show(self, frame) -> None:
        """A DensityFrame from the session (ignored if the view was left since it was asked for)."""
        if not self.on:
            return
        self.last = frame
        self.window.scene.show_density(frame)
        self.window.training_panel.show_nll(frame.heldout_nll, fresh=True)

    def _on_data(self, spec) -> None:
        self.window.view_panel.set_data_dim(spec.dim)
        if self.last is not None and spec.version != self.last.data_version:
            self.window.training_panel.show_nll(self.last.heldout_nll, fresh=False)
