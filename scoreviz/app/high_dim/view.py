"""The window's side of data in more than two dimensions: the canvas shows one pair of coordinates (the
Projections dock picks it), data and particles are projected onto it, the score field is drawn on the slice
through the dock's point, and a click on the canvas is a point of the full space."""
from __future__ import annotations

from dataclasses import replace
from typing import Protocol

import numpy as np

from scoreviz.lab import commands as cmd
from scoreviz.lab import frames as fr

from scoreviz.app.canvas.items.field import BAND_EDGES
from scoreviz.app.high_dim.projections_dock import ProjectionsDock
from scoreviz.app.qt import QtCore

#: The pair plot follows the particles at most this often (36 panels for 8-D: too many to redraw every frame).
PAIR_PLOT_EVERY = 6


class HighDimHost(Protocol):
    """What the high-dimensional view uses of the window (the main window satisfies it): the canvas (`scene`), the
    stack it shares with the 3-D view, the data (`editor`), the data panel, the theme, the last field drawn, and
    a few public actions."""

    scene: object           # canvas.scene.Scene
    stack: object           # the QStackedWidget of the canvas, the 1-D plot and the 3-D view
    editor: object          # canvas.data_editor.DataEditor
    data_panel: object      # panels.DataPanel
    theme: object           # theme.Theme
    last_field: object

    def send(self, command: cmd.LabCommand) -> None: ...
    def show_data(self, spec: fr.DataSpec) -> None: ...
    def fit_view(self) -> None: ...
    def show_message(self, level: str, text: str) -> None: ...


class HighDimView(QtCore.QObject):
    """`dock` (the Projections dock) is made with the QWidget `parent`; everything else goes through `window`."""

    def __init__(self, window: HighDimHost, parent):
        super().__init__(parent)
        self.window = window
        self.dim = 2
        self.dock = ProjectionsDock(parent, window.send)
        self.dock.setVisible(False)
        self.dock.pair_changed.connect(self._on_pair)
        self.dock.view_3d.toggled.connect(self.set_3d)
        self._frames = 0
        self.view3d = None           # the OpenGL view, built on first use where OpenGL exists

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
        if self.dim != 3 and self.dock.view_3d.isChecked():
            self.dock.view_3d.setChecked(False)
        elif self.showing_3d:
            self.view3d.show_data(spec.train)
        self.window.data_panel.set_painting(self.dim == 2, f"Painting works on 2-D data; these data are "
                                                           f"{self.dim}-D (load, presets and clear still work).")

    def particles(self, frame: fr.ParticleFrame) -> fr.ParticleFrame:
        """The frame as the canvas draws it (projected); the pair plot follows every few frames."""
        if not self.active or frame.positions.ndim != 2 or frame.positions.shape[1] <= 2:
            return frame
        self._frames += 1
        pairs = self._frames % PAIR_PLOT_EVERY == 0 or frame.finished or not frame.running
        if pairs or self.showing_3d:
            colours = self.window.scene.mode_colours()  # the canvas's colour for each mode, in every view
            if pairs:
                self.dock.show_particles(frame.positions, frame.labels, colours)
            if self.showing_3d:
                self.view3d.show_particles(frame, colours)
        paths = frame.trajectories
        return replace(frame, positions=self.project(frame.positions),
                       trajectories=None if paths is None else paths[..., list(self.axes)])

    def bounds(self, spec: fr.DataSpec, margin: float) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = spec.bounds(margin)
        return (lo[list(self.axes)], hi[list(self.axes)]) if self.active else (lo, hi)

    def origin(self, point):
        """A click on the canvas as a point of the data space (the slice's other coordinates)."""
        return self.dock.origin(*point) if self.active and point is not None else point

    def _on_pair(self, i: int, j: int) -> None:
        w = self.window
        if w.editor.spec is not None:
            w.show_data(w.editor.spec)
        w.fit_view()

    # --- the 3-D view ----------------------------------------------------------------------------------------
    @property
    def showing_3d(self) -> bool:
        return self.view3d is not None and self.window.stack.currentWidget() is self.view3d

    def set_3d(self, on: bool) -> None:
        """Show 3-D data in the OpenGL view (or, without OpenGL, say why and keep the projections)."""
        w = self.window
        if on and self.view3d is None:
            from scoreviz.app.high_dim.view3d import View3D, gl_available

            ok, why = gl_available()
            if not ok:
                w.show_message("warning", f"The 3-D view needs OpenGL and {why}: showing the projections.")
                with QtCore.QSignalBlocker(self.dock.view_3d):
                    self.dock.view_3d.setChecked(False)
                return
            self.view3d = View3D()
            w.stack.addWidget(self.view3d)
        if on and self.dim == 3:
            w.stack.setCurrentWidget(self.view3d)
            self.view3d.show_data(w.editor.points)
            if w.last_field is not None:
                self.field(w.last_field)
        else:
            w.stack.setCurrentWidget(w.scene.widget)

    def field(self, frame) -> None:
        """A FieldFrame: also on the 3-D view's slice plane when it is shown."""
        if self.showing_3d and hasattr(frame, "axes"):
            colours = [c.getRgbF()[:3] for c in self.window.theme.arrow_colours(len(BAND_EDGES))]
            self.view3d.show_field(frame, self.dock.point, colours)
