"""The window's recording: File → Record (Ctrl+R, and the ● Rec button) toggles it, File → Record the next
sampler run (Ctrl+Shift+R) makes one clip of the next run from its release to its end.

The worker's session sends a `lab.recording.ClipFrame` for each planned sampler step, in order, none dropped
(session command "record"); they queue here and a zero-interval GUI timer draws one per turn of the event loop
into an offscreen copy of the canvas (app.recorder.CanvasRenderer) and hands it to the ClipWriter, so the
window stays responsive while a clip is written. The end marker closes the file. "window" clips grab the whole
window per frame and draw the offscreen canvas over the live one, so the canvas part is the recorded step. In
the image mode the same commands record its next sampler run (app.recording.image_clip: the sample grid beside its
denoised estimates).
"""
from __future__ import annotations

import collections
import datetime
import time
from pathlib import Path

from scoreviz.lab.captions import caption as caption_text
from scoreviz.lab.commands import Record, StopRecording
from scoreviz.lab.recording import FPS, ClipFrame, plan_clip

from scoreviz.app.recording.image_clip import ImageClipRecorder
from scoreviz.app.lecture.presentation import NORMAL_STYLE
from scoreviz.app.qt import QtCore, QtGui, QtWidgets
from scoreviz.app.recording.canvas_clip import CanvasRenderer, ClipWriter, even_size, qimage_rgb

#: Frames drawn per turn of the GUI's event loop at most (each ~5–20 ms): input stays responsive meanwhile.
RENDER_BUDGET_S = 0.012


class Recorder(QtCore.QObject):
    """`start(path, once=…)`, `stop()`, `toggle()`; `finished(path, frames)` when a file is complete
    (frames 0 and path "" when nothing was written)."""

    finished = QtCore.Signal(str, int)
    state_changed = QtCore.Signal(str)       # "idle" | "armed" | "recording"

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.state = "idle"
        self.path: Path | None = None
        self.last_path: Path | None = None
        self._clip = 0
        self._queue: collections.deque[ClipFrame] = collections.deque()
        self._writer: ClipWriter | None = None
        self._renderer: CanvasRenderer | None = None
        self._options: dict = {}
        self._spec = None
        self._images: ImageClipRecorder | None = None     # the image mode's recorder, made on first use
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._drain)
        window.host.worker.frame.connect(self._on_frame)   # a bound method of a GUI-thread QObject (a lambda runs in the worker thread)
        self.button = QtWidgets.QToolButton()
        self.button.setText("● Rec")
        self.button.setCheckable(True)
        self.button.setToolTip("Record the canvas while the particles move (Ctrl+R); "
                               "File → Record the next sampler run (Ctrl+Shift+R) for one clip of one run")
        self.button.clicked.connect(lambda: self.toggle())
        window.statusBar().addPermanentWidget(self.button)

    @property
    def active(self) -> bool:
        return self.state != "idle"

    # --- commands --------------------------------------------------------------------------------------------
    def start(self, path, *, once: bool = False, what: str = "canvas", fps: int = FPS, seconds: float | None = None,
              size: tuple[int, int] | None = None, caption: bool = True) -> bool:
        """Record to `path` (.mp4 / .gif): the next run only (`once`) or every step from now until `stop()`.
        `what`: "canvas" (an offscreen canvas of `size`, default the canvas's size) or "window". False (and a
        message) if it cannot start."""
        w = self.window
        if self.active:
            self._finish_now("replaced")
        if w.image_mode is not None and w.modes.currentWidget() is w.image_mode:
            return self._start_images(path, fps=fps, seconds=seconds, caption=caption)
        if w.editor.dim != 2:
            w.show_message("warning", "Recording draws the 2-D canvas: load 2-D data first.")
            return False
        if what not in ("canvas", "window"):
            raise ValueError(f"what must be 'canvas' or 'window' (got {what!r})")
        try:
            plan_clip(1, int(fps), seconds)            # the session would refuse these options: say so here
            writer = ClipWriter(path, fps)
        except ValueError as exc:
            w.show_message("error", f"Cannot record: {exc}")
            return False
        canvas = w.scene.widget
        size = even_size(*(size or (canvas.width(), canvas.height())))
        presentation = getattr(w, "presentation", None)
        self._renderer = CanvasRenderer(w.theme, size, presentation.style if presentation else NORMAL_STYLE)
        self._writer, self.path = writer, Path(path)
        self._options = {"what": what, "caption": caption}
        self._clip += 1
        self._queue.clear()
        self._sync_content(force=True)
        w.send(Record(clip=self._clip, fps=int(fps), seconds=seconds, once=bool(once)))
        self._set_state("armed" if once else "recording")
        what_text = "the next sampler run (press Release)" if once else "every sampler step until you stop"
        w.show_message("info", f"Recording {what_text} to {self.path.name}.")
        return True

    def record_next_run(self, path=None, **options) -> bool:
        """One clip of the next run, from its release to its end."""
        path = path or self._ask_path()
        return bool(path) and self.start(path, once=True, **options)

    def stop(self) -> None:
        """Stop: the frames already sent are drawn and the file is closed when the end marker arrives."""
        if self._images is not None and self._images.active:
            self._images.stop()
        elif self.active:
            self.window.send(StopRecording())
            if not self.window.host.running:          # no worker to send the end marker: close now
                self._finish_now("stopped")

    def toggle(self, path=None) -> None:
        """The Record button / Ctrl+R: start recording every step (asking for a file) or stop."""
        if self.active:
            self.stop()
            return
        path = path or self._ask_path()
        if not (path and self.start(path, once=False)):
            self.button.setChecked(False)

    def close(self) -> None:
        """The window closes (after its worker stopped): finish the file with the frames sent so far."""
        if self._images is not None and self._images.active:
            self._images.stop()
        elif self.active:
            QtCore.QCoreApplication.sendPostedEvents(self, QtCore.QEvent.Type.MetaCall)   # queued ClipFrames
            self._finish_now("closed")

    def _finish_now(self, reason: str) -> None:
        """Draw the frames that have arrived and close the file without waiting for the end marker."""
        self._timer.stop()
        self._queue.append(ClipFrame(clip=self._clip, index=-1, particles=None, repeat=0, end=True, reason=reason))
        while self._queue and self._writer is not None:
            self._draw_one()
        self._queue.clear()

    # --- the image mode ----------------------------------------------------------------------------------------
    def _start_images(self, path, **options) -> bool:
        """The image mode: one clip of its next sampler run (the sample grid and its denoised estimates)."""
        w = self.window
        if self._images is None or self._images.image_mode is not w.image_mode:
            self._images = ImageClipRecorder(w.image_mode, w.theme, self)
            self._images.finished.connect(self._on_image_finished)
        self._images.theme = w.theme
        try:
            self._images.start(path, **options)
        except ValueError as exc:
            w.show_message("error", f"Cannot record: {exc}")
            return False
        self.path = Path(path)
        self._set_state("armed")
        w.show_message("info", f"Recording the next image sampler run (press Sample) to {self.path.name}.")
        return True

    def _on_image_finished(self, path: str, frames: int) -> None:
        self._set_state("idle")
        if frames:
            self.last_path = Path(path)
            self.window.show_message("info", f"Recorded {frames} frames to {path}.")
        self.finished.emit(path, frames)

    # --- frames ----------------------------------------------------------------------------------------------
    @QtCore.Slot(object)
    def _on_frame(self, frame) -> None:
        if isinstance(frame, ClipFrame) and frame.clip == self._clip and self._writer is not None:
            self._queue.append(frame)
            if not self._timer.isActive():
                self._timer.start()

    def _drain(self) -> None:
        deadline = time.perf_counter() + RENDER_BUDGET_S
        while self._queue and time.perf_counter() < deadline:
            self._draw_one()
        if not self._queue:
            self._timer.stop()

    def _draw_one(self) -> None:
        frame = self._queue.popleft()
        if frame.end:
            self._finish(frame.reason)
            return
        if self.state == "armed":
            self._set_state("recording")
        self._sync_content()
        text = caption_text(frame.particles, self.window.last_field) if self._options["caption"] else ""
        try:
            self._writer.add(self._picture(frame, text), frame.repeat)
        except (OSError, ValueError) as exc:    # a full disk, ffmpeg gone: say so, keep the window going
            self.window.show_message("error", f"Recording stopped: {exc}")
            self.window.send(StopRecording())
            self._writer.abort()
            self._writer = None
            self._cleanup()
            self.finished.emit("", 0)

    def _picture(self, frame: ClipFrame, text: str):
        r = self._renderer
        if self._options["what"] == "canvas":
            return r.render(frame.particles, text)
        r.scene.show_particles(frame.particles)
        canvas = r.render_image(text)
        shot = self.window.grab().toImage()
        painter = QtGui.QPainter(shot)
        painter.drawImage(self.window.scene.widget.mapTo(self.window, QtCore.QPoint(0, 0)), canvas)
        painter.end()
        return qimage_rgb(shot)

    def _sync_content(self, force: bool = False) -> None:
        """The offscreen canvas shows the window's view, data and latest field (the field changes while a model
        trains: the clip shows the one on screen when each step is drawn)."""
        w, r = self.window, self._renderer
        if force or w.editor.spec is not self._spec:     # new or edited data: draw it (and its view) again
            self._spec = w.editor.spec
            view = w.view_panel.options()
            r.set_content(view=w.scene.view_rect(), points=w.editor.points, data_mode=view["data"],
                          field=w.last_field, arrows=view["arrows"], trails=w.sampling_panel.trails.isChecked(),
                          trajectories=view["trajectories"])
        else:
            view = w.view_panel.options()
            r.set_field(w.last_field, view["arrows"])
            if r.scene.trajectories_on != view["trajectories"]:    # toggled while recording
                r.scene.set_trajectories(view["trajectories"])
        r.scene.follow_density(w.scene)                       # the Density view's map, lines and legend

    def _finish(self, reason: str) -> None:
        writer, path = self._writer, self.path
        self._writer = None
        frames = 0
        if writer is not None:
            if writer.frames:
                try:
                    frames = writer.close()
                except (OSError, ValueError) as exc:
                    self.window.show_message("error", f"Could not finish {path}: {exc}")
                    frames = 0
            else:
                writer.abort()
        self._cleanup()
        if frames:
            self.last_path = path
            self.window.show_message("info", f"Recorded {frames} frames ({frames / writer.fps:.1f} s) to {path}.")
            self.finished.emit(str(path), frames)
        else:
            if reason != "closed":
                self.window.show_message("warning", "Nothing was recorded: no sampler steps ran.")
            self.finished.emit("", 0)

    def _cleanup(self) -> None:
        self._queue.clear()
        self._timer.stop()
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
        self._set_state("idle")

    def _set_state(self, state: str) -> None:
        self.state = state
        self.button.setChecked(state != "idle")
        self.state_changed.emit(state)

    def _ask_path(self) -> str:
        folder = self.last_path.parent if self.last_path is not None else Path.home()
        name = folder / f"scoreviz-{datetime.datetime.now():%Y%m%d-%H%M%S}.mp4"
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self.window, "Record to", str(name),
                                                        "MP4 video (*.mp4);;GIF animation (*.gif)")
        return path
