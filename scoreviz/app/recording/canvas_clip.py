"""Clips of the canvas: an offscreen Scene2D drawn once per planned sampler step, written to MP4 or GIF.

* `CanvasRenderer` owns a Scene2D that is never on screen (the window's look, at a fixed size): `set_content`
  gives it the view, data and field, `render(particle_frame, caption)` returns one RGB frame (H, W, 3) uint8.
* `ClipWriter` writes frames: MP4 through imageio-ffmpeg (which ships ffmpeg: H.264, yuv420p, crf 16, even
  sizes, `macro_block_size=1` so nothing is rescaled), GIF through Pillow with one palette for the whole clip
  (no dithering: arrows and particles keep their colours and edges), frame times in ms.

What a frame shows is decided by the sampler's steps (lab.recording), never by a clock: the same run gives the
same file. The window's recording controls live in `app.recording.recorder`; `scoreviz render` uses these two
classes directly.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import shiboken6

from scoreviz.app.lecture.presentation import NORMAL_STYLE, SceneStyle, style_scene
from scoreviz.app.qt import QtCore, QtGui, QtWidgets
from scoreviz.app.canvas.scene import Scene2D
from scoreviz.app.theme import Theme

FORMATS = (".mp4", ".gif")
#: x264's constant rate factor and preset. Measured on 150 frames of a 1280×720 clip (2-core CPU): medium/18
#: 9.2 s, 7.0 MB, 36.7 dB; veryfast/16 3.1 s, 7.5 MB, 35.4 dB (against the same frames); 1-px arrows stay crisp.
#: The encoder's speed is what keeps the window responsive while it records and sets `scoreviz render`'s pace.
MP4_CRF = 16
MP4_PRESET = "veryfast"
#: Colours in the GIF's one palette, built from frames spread over the clip.
GIF_COLOURS = 255
GIF_TRANSPARENT = 255
GIF_PALETTE_SAMPLES = 8


def even_size(width: int, height: int) -> tuple[int, int]:
    """The largest even size within (width, height), at least 2×2 (H.264 in yuv420p needs even sizes)."""
    return max(2, int(width) // 2 * 2), max(2, int(height) // 2 * 2)


def clip_format(path) -> str:
    """".mp4" or ".gif" from the file name; ValueError for anything else."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"{path}: a clip is written as .mp4 or .gif (got {suffix or 'no suffix'!r})")
    return suffix


def qimage_rgb(image: QtGui.QImage) -> np.ndarray:
    """A copy of `image` as (H, W, 3) uint8 RGB."""
    image = image.convertToFormat(QtGui.QImage.Format.Format_RGB888)
    w, h, stride = image.width(), image.height(), image.bytesPerLine()
    buf = np.frombuffer(image.constBits(), dtype=np.uint8, count=stride * h).reshape(h, stride)
    return buf[:, :3 * w].reshape(h, w, 3).copy()


class ClipWriter:
    """Frames (H, W, 3) uint8, all of one size, into `path` (.mp4 or .gif) at `fps`.

    `add(frame, repeat)` shows a frame for `repeat` video frames; `close()` finishes the file and returns the
    number of video frames; `abort()` drops it. The first frame fixes the size (odd sizes lose a row/column).
    """

    def __init__(self, path, fps: int = 30):
        self.path, self.fps = Path(path), int(fps)
        self.kind = clip_format(path)
        if self.fps < 1:
            raise ValueError(f"fps must be at least 1 (got {fps})")
        if not self.path.expanduser().resolve().parent.is_dir():
            raise ValueError(f"{path}: its folder does not exist")
        self.frames = 0
        self.size: tuple[int, int] | None = None
        self._mp4 = None
        self._gif: list[tuple[np.ndarray, int]] = []

    def add(self, frame: np.ndarray, repeat: int = 1) -> None:
        if self.size is None:
            self.size = even_size(frame.shape[1], frame.shape[0])
            if self.kind == ".mp4":
                self._mp4 = self._open_mp4()
        w, h = self.size
        frame = np.ascontiguousarray(frame[:h, :w, :3], dtype=np.uint8)
        if frame.shape[:2] != (h, w):
            raise ValueError(f"frame of {frame.shape[1]}×{frame.shape[0]} in a clip of {w}×{h}")
        repeat = max(1, int(repeat))
        if self._mp4 is not None:
            data = frame.tobytes()
            for _ in range(repeat):
                self._mp4.send(data)
        else:
            self._gif.append((frame, repeat))
        self.frames += repeat

    def close(self) -> int:
        """Finish the file; the number of video frames in it."""
        if self._mp4 is not None:
            self._mp4.close()
            self._mp4 = None
        elif self._gif:
            self._write_gif()
        return self.frames

    def abort(self) -> None:
        if self._mp4 is not None:
            self._mp4.close()
            self._mp4 = None
        self._gif = []
        self.path.unlink(missing_ok=True)

    def _open_mp4(self):
        import imageio_ffmpeg

        gen = imageio_ffmpeg.write_frames(
            str(self.path), self.size, fps=self.fps, codec="libx264", pix_fmt_in="rgb24", pix_fmt_out="yuv420p",
            quality=None, macro_block_size=1, ffmpeg_log_level="error",
            output_params=["-crf", str(MP4_CRF), "-preset", MP4_PRESET, "-tune", "animation",
                           "-movflags", "+faststart"])
        gen.send(None)   # start ffmpeg
        return gen

    def _write_gif(self) -> None:
        """One palette for the whole clip (median cut over frames spread across it), no dithering; pixels that
        did not change since the previous frame are written as the transparent index (the previous frame shows
        through: long runs of one index, which GIF's LZW packs several times smaller); each frame's duration in
        ms from its repeat count, rounded so that the clip keeps `fps` on average (GIF counts in 1/100 s)."""
        from PIL import Image

        frames = self._gif
        picks = np.unique(np.linspace(0, len(frames) - 1, min(GIF_PALETTE_SAMPLES, len(frames))).astype(int))
        mosaic = Image.fromarray(np.concatenate([frames[i][0] for i in picks], axis=0))
        palette = mosaic.quantize(colors=GIF_COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        colours = (palette.getpalette() or [])[:3 * GIF_COLOURS]
        colours += [0] * (3 * 256 - len(colours))               # index 255 (unused by the palette): transparent
        images, durations, shown, previous = [], [], 0, None
        for frame, repeat in frames:
            index = np.asarray(Image.fromarray(frame).quantize(palette=palette, dither=Image.Dither.NONE))
            delta = index.copy()
            if previous is not None:
                delta[index == previous] = GIF_TRANSPARENT
            previous = index
            image = Image.fromarray(delta, mode="P")
            image.putpalette(colours)
            images.append(image)
            start_cs, shown = round(100 * shown / self.fps), shown + repeat
            durations.append(10 * max(1, round(100 * shown / self.fps) - start_cs))
        images[0].save(self.path, save_all=True, append_images=images[1:], duration=durations, loop=0,
                       optimize=False, disposal=1, transparency=GIF_TRANSPARENT)
        self._gif = []


class CanvasRenderer:
    """An offscreen Scene2D at `size` (width, height; made even) in `theme` and `style`."""

    def __init__(self, theme: Theme, size: tuple[int, int], style: SceneStyle = NORMAL_STYLE,
                 caption_scale: float = 1.0):
        self.size = even_size(*size)
        self.theme, self.style, self.caption_scale = theme, style, caption_scale
        self.scene = Scene2D(theme)
        widget = self.scene.widget
        widget.setMinimumSize(16, 16)
        widget.setAttribute(QtCore.Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        widget.resize(*self.size)
        widget.show()               # laid out at its size, never on a screen
        self.scene.plot.layout.activate()
        style_scene(self.scene, style)
        self._field = None

    def set_content(self, *, view, points: np.ndarray, data_mode: str = "points", field=None,
                    arrows: bool = True, trails: bool = True,
                    trajectories: bool = False) -> tuple[float, float, float, float]:
        """The view (xmin, xmax, ymin, ymax; widened to the clip's aspect), the data and the field frame (or
        None), and whether trails and whole trajectories are drawn. Returns the view rect actually shown."""
        self.scene.show_data(points, data_mode)
        self.scene.set_view(*view)
        self.scene.sync_trail_area()
        self.scene.trails_on = trails
        self.scene.set_trajectories(trajectories)
        self.set_field(field, arrows)
        return self.scene.view_rect()

    def set_field(self, field, arrows: bool = True) -> None:
        """A new field frame (drawn only when it differs from the last one)."""
        if field is self._field:
            return
        self._field = field
        if field is None or not hasattr(field, "points"):
            self.scene.clear_field()
        else:
            self.scene.show_field(field, arrows)

    def render(self, particles=None, caption: str = "") -> np.ndarray:
        """The canvas with `particles` (a ParticleFrame; trails go on from the previous render) as (H, W, 3)."""
        if particles is not None:
            self.scene.show_particles(particles)
        return qimage_rgb(self.render_image(caption))

    def render_image(self, caption: str = "") -> QtGui.QImage:
        w, h = self.size
        image = QtGui.QImage(w, h, QtGui.QImage.Format.Format_RGB32)
        image.fill(QtGui.QColor(self.theme.plot_bg))
        painter = QtGui.QPainter(image)
        self.scene.widget.render(painter)
        if caption:   # inside the plot area, right of the y axis' labels
            left = int(self.scene.viewbox.sceneBoundingRect().left())
            draw_caption(painter, caption, w, h, self.theme, self.caption_scale, left=left)
        painter.end()
        return image

    def close(self) -> None:
        widget = self.scene.widget
        widget.hide()
        shiboken6.delete(widget)   # now, not at exit: a pyqtgraph view alive when Python exits can crash it


def draw_caption(painter: QtGui.QPainter, text: str, width: int, height: int, theme: Theme,
                 scale: float = 1.0, left: int = 0) -> None:
    """`text` at the top, `left` pixels in, on a translucent band; its size ~1/32 of the frame's height (× scale)."""
    font = QtGui.QFont()
    font.setPixelSize(max(11, int(round(scale * height / 32))))
    painter.setFont(font)
    metrics = QtGui.QFontMetrics(font)
    pad = max(4, metrics.height() // 3)
    box = metrics.boundingRect(QtCore.QRect(0, 0, max(8 * pad, width - left - 4 * pad), height),
                               int(QtCore.Qt.TextFlag.TextWordWrap), text)
    band = QtCore.QRect(left + pad, pad, box.width() + 2 * pad, box.height() + pad)
    bg = QtGui.QColor(theme.plot_bg)
    bg.setAlpha(190)
    painter.fillRect(band, bg)
    painter.setPen(QtGui.QColor(theme.text))
    painter.drawText(band.adjusted(pad, pad // 2, -pad, 0), int(QtCore.Qt.TextFlag.TextWordWrap), text)


def offscreen_application() -> QtWidgets.QApplication:
    """The QApplication, made on the offscreen platform if there is none yet (`scoreviz render` needs no
    display)."""
    app = QtWidgets.QApplication.instance()
    if app is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QtWidgets.QApplication([])
        _KEEP.append(app)
    return app


_KEEP: list = []   # the application made here lives as long as the process
