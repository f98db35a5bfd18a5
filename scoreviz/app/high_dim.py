"""The window's side of data in more than two dimensions: the canvas shows one pair of coordinates (the
Projections dock picks it), data and particles are projected onto it, the score field is drawn on the slice
through the dock's point, and a click on the canvas is a point of the full space."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from scoreviz.lab import frames as fr

from .projections_dock import ProjectionsDock
from .qt import QtCore

#: The pair plot follows the particles at most this often (36 panels for 8-D: too many to redraw every frame).
PAIR_PLOT_EVERY = 6


class HighDimView(QtCore.QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.dim = 2
        self.dock = ProjectionsDock(window, window.host.send)
        self.dock.setVisible(False)
        self.dock.pair_changed.connect(self._on_pair)
        self._frames = 0

    @property
    def active(self) -> bool:
        return self.dim > 2

    @property
    def axes(self) -> tuple[int, int]:
        return self.dock.axes if self.active else (0, 1)

    def project(self, points: np.ndarray) -> np.ndarray:
        """(N, D) → (N, 2) on the chosen pair (points with D ≤ 2 as they are)."""
        return points[:, list(self.axes)] if points.ndim == 2 and points.shape[1] > 2 else points

    def show_data(self, spec: fr.DataSpec) -> None:
        """New data: the dock appears (in front) for D ≥ 3 and goes for D ≤ 2; painting is for 2-D data only."""
        was = self.active
        self.dim = spec.dim if not spec.empty else 2
        self.dock.setVisible(self.active)
        if self.active:
            self.dock.show_data(spec.train)
            if not was:
                self.dock.raise_()
        self.window.data_panel.set_painting(self.dim == 2, f"Painting works on 2-D data; these data are "
                                                           f"{self.dim}-D (load, presets and clear still work).")

    def particles(self, frame: fr.ParticleFrame) -> fr.ParticleFrame:
        """The frame as the canvas draws it (projected); the pair plot follows every few frames."""
        if not self.active or frame.positions.ndim != 2 or frame.positions.shape[1] <= 2:
            return frame
        self._frames += 1
        if self._frames % PAIR_PLOT_EVERY == 0 or frame.finished or not frame.running:
            self.dock.show_particles(frame.positions)
        return replace(frame, positions=self.project(frame.positions))

    def bounds(self, spec: fr.DataSpec, margin: float) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = spec.bounds(margin)
        return (lo[list(self.axes)], hi[list(self.axes)]) if self.active else (lo, hi)

    def origin(self, point):
        """A click on the canvas as a point of the data space (the slice's other coordinates)."""
        return self.dock.origin(*point) if self.active and point is not None else point

    def _on_pair(self, i: int, j: int) -> None:
        w = self.window
        if w.editor.spec is not None:
            w._show_data(w.editor.spec)
        w.fit_view()
