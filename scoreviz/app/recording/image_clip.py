"""Clips of the image mode: the live sample grid and its Tweedie estimates, digits emerging from noise.

The image worker's session already sends one `SampleFrame` per sampler step, in order (lab.images.session); this
recorder listens to the worker's signal directly (the widget's own display keeps only the latest frame), waits
for the next run to start (step 1), and writes the steps that lab.recording's plan picks, so the clip is
decided by the sampler's steps as in the 2-D lab. Each frame is the two montages side by side, scaled up by a
whole number of pixels (no blur), with a caption line.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from scoreviz.lab.captions import sampler_caption, sigma_text
from scoreviz.lab.recording import FPS, ClipPlan, plan_clip

from scoreviz.app.qt import QtCore, QtGui
from scoreviz.app.recording.canvas_clip import ClipWriter, draw_caption, qimage_rgb

#: Clip height in pixels the montages are scaled towards (a whole factor, at least 1).
TARGET_HEIGHT = 720
GAP = 8                   # pixels between the two grids, in montage pixels


def sample_picture(frame, theme, caption: str = "", height: int = TARGET_HEIGHT) -> np.ndarray:
    """(H, W, 3) uint8: `frame.samples` and `frame.denoised` ((h, w) in [0, 1]) side by side on the theme's
    background, each pixel a k×k block (k = height // h), and `caption` on top. Even sizes."""
    samples = np.clip(np.asarray(frame.samples, dtype=np.float32), 0, 1)
    denoised = np.clip(np.asarray(frame.denoised, dtype=np.float32), 0, 1)
    h = max(samples.shape[0], denoised.shape[0])
    k = max(1, height // (h + 2 * GAP))
    bg = np.array(QtGui.QColor(theme.plot_bg).getRgb()[:3], dtype=np.uint8)
    width = GAP + samples.shape[1] + GAP + denoised.shape[1] + GAP
    canvas = np.empty((h + 2 * GAP, width, 3), dtype=np.uint8)
    canvas[:] = bg
    for left, grid in ((GAP, samples), (2 * GAP + samples.shape[1], denoised)):
        canvas[GAP:GAP + grid.shape[0], left:left + grid.shape[1]] = (255 * grid + 0.5).astype(np.uint8)[..., None]
    big = canvas.repeat(k, 0).repeat(k, 1)
    big = np.ascontiguousarray(big[:big.shape[0] // 2 * 2, :big.shape[1] // 2 * 2])
    if caption:
        image = QtGui.QImage(big.data, big.shape[1], big.shape[0], 3 * big.shape[1],
                             QtGui.QImage.Format.Format_RGB888).copy()
        painter = QtGui.QPainter(image)
        draw_caption(painter, caption, image.width(), image.height(), theme)
        painter.end()
        big = qimage_rgb(image)
    return big


def sample_caption(sampler: str, frame) -> str:
    name = sampler_caption(sampler)
    if frame.done and frame.noise_level == 0.0:
        return f"{name} · final denoising step · left: samples x, right: their denoised estimates"
    return f"{name} · step {frame.index} of {frame.total} · σ = {sigma_text(frame.noise_level)}"


class ImageClipRecorder(QtCore.QObject):
    """One clip of the image mode's next sampler run: `start(path)`, then press Sample; `finished(path, frames)`."""

    finished = QtCore.Signal(str, int)

    def __init__(self, image_mode, theme, parent=None):
        super().__init__(parent)
        self.image_mode, self.theme = image_mode, theme
        self.active = False
        self._writer: ClipWriter | None = None
        self._plan: ClipPlan | None = None
        self._serial: int | None = None
        self._options: dict = {}
        image_mode.worker.frame.connect(self._on_frame)   # every SampleFrame, in order (a bound method: it runs here)

    def start(self, path, *, fps: int = FPS, seconds: float | None = None, caption: bool = True,
              height: int = TARGET_HEIGHT) -> None:
        """Arm for the next run (ValueError for a bad file name or length)."""
        plan_clip(1, int(fps), seconds)
        self._writer = ClipWriter(path, fps)
        self._options = {"fps": int(fps), "seconds": seconds, "caption": caption, "height": int(height),
                         "sampler": self.image_mode.sampling_panel.options().get("sampler", "")}
        self._plan, self._serial, self.active = None, None, True

    def stop(self) -> None:
        """Finish now with the frames written so far."""
        if self.active:
            self._finish()

    @QtCore.Slot(object)
    def _on_frame(self, frame) -> None:
        if not self.active or not hasattr(frame, "samples") or not hasattr(frame, "serial"):
            return
        if self._serial is None:
            if frame.index != 1:
                return                       # a run that started before the recording: wait for the next
            self._serial = frame.serial
            # the image session sends steps 1 … total: plan over those (its step 0, the prior, is not sent)
            self._plan = plan_clip(max(1, frame.total - 1), self._options["fps"], self._options["seconds"])
        if frame.serial != self._serial:
            self._finish()                   # a new run replaced this one
            return
        repeat = self._plan.repeat_of(frame.index - 1)
        if repeat:
            text = sample_caption(self._options["sampler"], frame) if self._options["caption"] else ""
            self._writer.add(sample_picture(frame, self.theme, text, self._options["height"]), repeat)
        if frame.done:
            self._finish()

    def _finish(self) -> None:
        writer, self._writer, self.active = self._writer, None, False
        if writer is not None and writer.frames:
            frames = writer.close()
            self.finished.emit(str(Path(writer.path)), frames)
        else:
            if writer is not None:
                writer.abort()
            self.finished.emit("", 0)
