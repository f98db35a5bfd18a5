"""A 3-D view of 3-D data (pyqtgraph's OpenGL widget): the data, the particles with short trails, and the score
field as arrows on the slice plane (the plane the Projections tab sets: orthogonal to one axis, moved with its
slider), coloured by magnitude as in 2-D. Orbit and zoom with the mouse, reset the view, or let it turn slowly
for a lecture. Where OpenGL is not available (the offscreen platform, some remote sessions) `gl_available()`
says why, and the window keeps the projections instead."""
from __future__ import annotations

import numpy as np

from scoreviz.app.qt import QtCore, QtGui, QtWidgets
from scoreviz.app.theme import PROJECTED_PARTICLES_RGB

#: Trail length (positions kept per particle) and how many particles get one (trails are line segments).
TRAIL_STEPS = 6
TRAIL_PARTICLES = 1000
#: Particles without mode labels (RGBA, 0–1); with labels each takes its mode's colour, as on the canvas.
PARTICLE_RGBA = (*(c / 255 for c in PROJECTED_PARTICLES_RGB), 1.0)
TURN_DEGREES_PER_TICK = 0.4
TURN_INTERVAL_MS = 33


def gl_available() -> tuple[bool, str]:
    """(True, "") when a 3-D view can be shown, else (False, the reason in words)."""
    app = QtGui.QGuiApplication.instance()
    if app is not None and app.platformName() in ("offscreen", "minimal"):
        return False, f"the '{app.platformName()}' display has no OpenGL"
    try:
        import OpenGL.GL  # noqa: F401
        import pyqtgraph.opengl  # noqa: F401
    except Exception as exc:   # PyOpenGL missing or a broken GL library
        return False, f"OpenGL could not be loaded ({type(exc).__name__}: {exc})"
    context = QtGui.QOpenGLContext()
    if not context.create():
        return False, "no OpenGL context could be created on this display"
    return True, ""


class View3D(QtWidgets.QWidget):
    """Build only where `gl_available()` is true."""

    def __init__(self, theme_colours=None, parent=None):
        super().__init__(parent)
        import pyqtgraph.opengl as gl

        self._gl = gl
        self.view = gl.GLViewWidget()
        self.view.setCameraPosition(distance=12, elevation=20, azimuth=45)
        self.grid = gl.GLGridItem()
        self.grid.setSize(10, 10)
        self.view.addItem(self.grid)
        self.data = gl.GLScatterPlotItem(pos=np.zeros((0, 3)), size=2.0, color=(0.6, 0.75, 0.9, 0.5), pxMode=True)
        self.particles = gl.GLScatterPlotItem(pos=np.zeros((0, 3)), size=3.0, color=PARTICLE_RGBA,
                                              pxMode=True)
        self.trails = gl.GLLinePlotItem(pos=np.zeros((0, 3)), mode="lines", color=PARTICLE_RGBA[:3] + (0.35,), width=1)
        self.arrows = gl.GLLinePlotItem(pos=np.zeros((0, 3)), mode="lines", width=1.5, antialias=False)
        for item in (self.data, self.trails, self.particles, self.arrows):
            self.view.addItem(item)
        self.reset_button = QtWidgets.QPushButton("Reset view")
        self.turn = QtWidgets.QCheckBox("turn slowly")
        self.turn.setToolTip("A slow automatic turn for lectures")
        bar = QtWidgets.QHBoxLayout()
        bar.addWidget(self.reset_button)
        bar.addWidget(self.turn)
        bar.addStretch(1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addLayout(bar)
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(TURN_INTERVAL_MS)
        self._timer.timeout.connect(lambda: self.view.orbit(TURN_DEGREES_PER_TICK, 0))
        self.turn.toggled.connect(lambda on: self._timer.start() if on else self._timer.stop())
        self.reset_button.clicked.connect(self.reset_view)
        self._centre = np.zeros(3)
        self._history: list[np.ndarray] = []
        self._serial = -1

    def reset_view(self) -> None:
        self.view.setCameraPosition(pos=QtGui.QVector3D(*self._centre), distance=self._distance, elevation=20,
                                    azimuth=45)

    def show_data(self, points: np.ndarray) -> None:
        """Points (N, 3): drawn, and the camera centred on them."""
        self.data.setData(pos=points.astype(np.float32))
        lo, hi = points.min(0), points.max(0)
        self._centre = 0.5 * (lo + hi)
        self._distance = float(2.2 * np.max(hi - lo)) or 10.0
        self.grid.resetTransform()
        self.grid.translate(*self._centre[:2], float(lo[2]))
        self.reset_view()

    def show_particles(self, frame, colours=None) -> None:
        """The ParticleFrame's positions (N, 3), each in its mode's colour (`frame.labels` into `colours`, QColors
        as on the canvas) where it has labels, with trails."""
        pos = frame.positions
        if pos.ndim != 2 or pos.shape[1] != 3:
            return
        if frame.serial != self._serial:
            self._serial, self._history = frame.serial, []
        labels = getattr(frame, "labels", None)
        if labels is not None and colours and len(labels) == len(pos):
            rgba = np.array([QtGui.QColor(c).getRgbF() for c in colours], dtype=np.float32)
            self.particles.setData(pos=pos.astype(np.float32), color=rgba[labels.astype(np.intp) % len(rgba)])
        else:
            self.particles.setData(pos=pos.astype(np.float32), color=PARTICLE_RGBA)
        self._history = (self._history + [pos[:TRAIL_PARTICLES].astype(np.float32)])[-TRAIL_STEPS:]
        if len(self._history) > 1:
            h = np.stack(self._history)                                 # (T, P, 3)
            segments = np.stack([h[:-1], h[1:]], axis=2).reshape(-1, 3)  # consecutive positions as pairs
            self.trails.setData(pos=segments)

    def show_field(self, frame, slice_point, colours) -> None:
        """The FieldFrame's arrows (drawn on the slice plane through `slice_point` along `frame.axes`), coloured
        by their magnitude band as in 2-D (`colours`: a list of RGB per band)."""
        from scoreviz.app.canvas.items.field import display_vectors, magnitude_bands

        if len(slice_point) != 3:
            return
        i, j = frame.axes
        tails = np.tile(np.asarray(slice_point, dtype=np.float32), (len(frame.points), 1))
        tails[:, i], tails[:, j] = frame.points[:, 0], frame.points[:, 1]
        draw = display_vectors(frame.vectors.astype(np.float64), frame.magnitude.astype(np.float64), frame.cell,
                               frame.bounded)
        tips = tails.copy()
        tips[:, i] += draw[:, 0]
        tips[:, j] += draw[:, 1]
        band = magnitude_bands(frame.magnitude)
        rgba = np.array([list(c) + [1.0] for c in colours], dtype=np.float32)[np.minimum(band, len(colours) - 1)]
        self.arrows.setData(pos=np.stack([tails, tips], 1).reshape(-1, 3), color=np.repeat(rgba, 2, axis=0))
