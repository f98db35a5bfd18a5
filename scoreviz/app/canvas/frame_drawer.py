"""Frames from the 2-D lab's worker, drawn in the window.

They land in a mailbox that keeps the latest frame of each kind (a slow paint never builds a backlog) and are
drawn by a GUI timer only when something new arrived. A field's arrows and heat map are made when it arrives,
between two frames, so the frame that shows it only swaps them in. After drawing, the window's relay signals
(`field_shown`, `particles_shown`, `train_shown`, `process_shown`) fire: GUI-thread signals that tests and the
scripted run wait on.
"""
from __future__ import annotations

from scoreviz.lab import frames as fr
from scoreviz.lab.density_view import DensityFrame
from scoreviz.lab.recording import ClipFrame

from scoreviz.app.qt import QtCore

#: The mailbox is looked at this often: a frame waits at most this long (60 frames/s are 16.7 ms apart).
RENDER_INTERVAL_MS = 8


class FrameDrawer(QtCore.QObject):
    """The MainWindow's frames: `on_frame` (the worker's signal), `redraw(...)`, `render()`; `timer` draws."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.mailbox: dict[type, object] = {}
        self.particle_frames_drawn = 0     # the animation's frames drawn so far (`scoreviz bench` counts them)
        self._field_ahead = None           # the newest field's arrows and heat, made when it arrived
        self.timer = QtCore.QTimer(self)
        self.timer.setInterval(RENDER_INTERVAL_MS)
        self.timer.timeout.connect(self.render)

    @QtCore.Slot(object)
    def on_frame(self, frame) -> None:
        """Runs in the GUI thread (queued): keep only the latest frame of each kind."""
        if isinstance(frame, ClipFrame):         # every one of these goes to the recorder, none is dropped
            return
        if isinstance(frame, fr.FieldFrame) and frame.points.shape[1:] == (2,):
            self._field_ahead = self.window.scene.prepare_field(frame, self.window.view_panel.arrows.isChecked())
        self.mailbox[type(frame)] = frame

    def redraw(self, *frames) -> None:
        """Draw these frames again at the next render (a newer one of the same kind, already waiting, wins)."""
        for frame in frames:
            if frame is not None:
                self.mailbox.setdefault(type(frame), frame)

    def render(self) -> None:
        """Draw what arrived since the last render, each kind where it belongs."""
        if not self.mailbox:
            return
        w, box = self.window, self.mailbox
        self.mailbox = {}
        process = box.get(fr.ProcessFrame)
        if process is not None:
            w.process = process
            w.sigma_bar.set_process(process)
            w.process_shown.emit(process)
        sigma = box.get(fr.SigmaInUse)       # never older than the process frame: the session sends one after each
        if sigma is not None:
            w.sigma_bar.show_sigma(sigma.sigma)
        self._draw_field(box)
        if DensityFrame in box:
            w.density.show(box[DensityFrame])
        particles = box.get(fr.ParticleFrame)
        if particles is not None:
            if particles.positions.ndim == 2 and particles.positions.shape[1] == 1:
                w.plot1d.show_particles(particles.positions)
            else:
                w.scene.show_particles(w.high_dim.particles(particles))
            w.sampling_panel.show_frame(particles)
            w.nfe.show(particles)
            w.last_particles = particles
            self.particle_frames_drawn += 1
            w.particles_shown.emit(particles)
        if fr.SessionOpened in box:
            w.sessions.on_opened(box[fr.SessionOpened])
        for kind in (fr.ScheduleFrame, fr.LevelDiagnosticsFrame, fr.ScheduleComparison):
            if kind in box:
                w.schedule_dock.show(box[kind])
        train = box.get(fr.TrainingFrame)
        if train is not None:
            w.training_panel.show_frame(train)
            w.last_train = train
            w.train_shown.emit(train)
        if w.perf.count_frame(particles is not None):
            w.perf.show(w.last_train, w.last_field)

    def _draw_field(self, box: dict) -> None:
        w = self.window
        field = box.get(fr.FieldFrame) if w.editor.dim >= 2 and len(w.editor.points) else None
        if field is not None:
            w.scene.show_field(field, w.view_panel.arrows.isChecked(), self._field_ahead)
            w.high_dim.field(field)
        elif w.editor.dim == 1 and fr.Field1DFrame in box:
            field = box[fr.Field1DFrame]
            w.plot1d.show_field(field)
        if field is not None:
            w.last_field = field
            w.field_shown.emit(field)
