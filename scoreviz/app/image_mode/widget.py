"""`ImageModeWidget`: MNIST digits emerging from noise, self-contained (its own worker thread).

Left, the panels of `.panels`: data (MNIST or Fashion-MNIST, a folder, the "not found — download?" offer with
progress and cancel), model (size, class-conditional, train/pause, new, open/save checkpoint), training
read-outs (loss, loss per noise level, images/s, device) and sampling (sampler, steps, seed, class + guidance or
autoguidance, save PNG). Right: the live 8×8 grid of samples beside the grid of Tweedie estimates
x + σ²s(x, σ); under them, a batch of real images noised at the σ of the shared σ bar (its range follows the
model's noise process) beside the model's denoising of them.

The GUI keeps only the latest frame of each kind (a mailbox) and repaints from its own 30 Hz timer when dirty.
Choices are remembered through the window's `Settings` (keys ``images.*``) when one is given.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from scoreviz.core.recipes.images import default_sampler
from scoreviz.datasets.montage import save_grid_png
from scoreviz.lab.images import commands as cmd
from scoreviz.lab.images import frames as fr
from scoreviz.lab.frames import ProcessFrame, ScheduleFrame
from scoreviz.names import IMAGE_MODEL_SIZES

from scoreviz.app.qt import QtCore, QtGui, QtWidgets, pg
from scoreviz.app.window.settings import Settings
from scoreviz.app.canvas.sigma_bar import SigmaBar
from scoreviz.app.panels.common import select
from scoreviz.app.workers.host import WorkerHost
from scoreviz.app.image_mode.panels import ImageDataPanel, ImageModelPanel, ImageSamplingPanel, ImageTrainingPanel
from scoreviz.app.image_mode.worker import ImageWorker

PREFIX = "images."           # this page's keys in Settings.choices()
START_SIGMA = 0.5
REPAINT_MS = 33
#: Frames that change state and are rare: shown at once rather than on the next repaint.
IMMEDIATE = (fr.DataReady, fr.DataMissing, fr.DownloadProgress, fr.ModelInfo, ProcessFrame)


class _ImageView:
    """A titled, aspect-locked ViewBox with one ImageItem (fixed levels: a grey means the same value in every
    frame, and auto-levels would rescan each one)."""

    def __init__(self, layout: pg.GraphicsLayout, row: int, col: int, title: str):
        self.label = layout.addLabel(title, row=row, col=col)
        self.box = layout.addViewBox(row=row + 1, col=col, lockAspect=True, invertY=True, enableMouse=False)
        self.item = pg.ImageItem()
        self.box.addItem(self.item)
        self.shape = None

    def set(self, image: np.ndarray) -> None:
        self.item.setImage(image, levels=(0.0, 1.0), autoLevels=False)
        if image.shape != self.shape:
            self.shape = image.shape
            self.box.autoRange(padding=0.01)


class ImageModeWidget(QtWidgets.QWidget):
    """The image mode. ``data_dir``: a folder or ``.npz`` to use (else the remembered one, else the usual
    places); ``model_size``: a key of ``names.IMAGE_MODEL_SIZES`` (``"cpu"``, ``"unet"``, ``"gpu"``; ``"tiny"``
    for tests); ``settings``: the window's `Settings` to remember choices in (None: remember nothing).
    Call :meth:`shutdown` before closing."""

    frameApplied = QtCore.Signal(str)      # GUI-side relay for tests: the kind of frame just shown

    def __init__(self, parent=None, data_dir=None, model_size: str = "cpu", *, device: str = "auto",
                 kind: str | None = None, threads: int | None = None, max_images: int | None = None,
                 settings: Settings | None = None, autoload: bool = True):
        super().__init__(parent)
        if model_size not in IMAGE_MODEL_SIZES:
            raise ValueError(f"unknown image model size {model_size!r}; choose one of {', '.join(IMAGE_MODEL_SIZES)}")
        self.settings = settings
        remembered = self.remembered_choices()
        folder = str(remembered.get("data_dir") or "")
        if folder and not Path(folder).exists():
            folder = ""  # a remembered folder that has gone: search the usual places instead
        self.data_dir: str = str(data_dir) if data_dir else folder
        self.model_size = model_size
        # download target and sources (tests point these at a local server)
        self.download_dest: str | None = None
        self.download_mirrors: tuple[str, ...] | None = None
        self.download_files: dict | None = None
        # mailbox
        self._latest: dict[type, object] = {}
        self._dirty: set[type] = set()
        self.sample_frames = 0
        self.last_grid: np.ndarray | None = None
        self.last_images: np.ndarray | None = None
        self.model_info: fr.ModelInfo | None = None
        self.data_info: fr.DataReady | None = None
        self.messages: list[tuple[str, str]] = []
        self._downloading = False
        self._process_name: str | None = None      # the process of the last ProcessFrame
        self._show = {fr.DataReady: self._show_data, fr.DataMissing: self._show_missing,
                      fr.DownloadProgress: self._show_download, fr.ModelInfo: self._show_model,
                      ProcessFrame: self._show_process, fr.ImageTrainingFrame: self._show_training,
                      ScheduleFrame: self._show_schedule,
                      fr.SampleFrame: self._show_samples, fr.SigmaFrame: self._show_sigma}

        self._build_ui()
        self.apply_choices({**remembered, **({"kind": kind} if kind else {})})
        self._connect()
        self._start_worker(device, threads, max_images)
        self.send(cmd.ConfigureModel(size=self.model_size, conditional=self.model_panel.conditional.isChecked(),
                                     **self.model_panel.process_fields()))
        self.send(cmd.SetSigma(self.sigma_bar.sigma))
        self._repaint_timer = QtCore.QTimer(self)
        self._repaint_timer.setInterval(REPAINT_MS)
        self._repaint_timer.timeout.connect(self._repaint)
        self._repaint_timer.start()
        if autoload:
            self.load_data()

    @property
    def kind(self) -> str:
        return self.data_panel.kind.currentData()

    # --- worker ----------------------------------------------------------------------------------------------
    def _start_worker(self, device, threads, max_images) -> None:
        worker = ImageWorker(self.model_size, device, threads, max_images)
        self.host = WorkerHost(self, worker, "scoreviz-image-worker")
        self.worker, self._thread = self.host.worker, self.host.thread
        self.worker.frame.connect(self._on_frame)      # bound methods of this GUI-thread object only
        self.worker.message.connect(self._on_message)
        self.host.start()

    def send(self, command) -> None:
        """Queue a command (lab.images.commands) for the image lab's session."""
        self.host.send(command)

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Remember the choices, stop the worker and its thread (cancels a download); True if it ended in time."""
        self._repaint_timer.stop()
        self.remember()
        self.worker.request_cancel()
        return self.host.shutdown(timeout_ms)

    # --- UI --------------------------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        self.data_panel = ImageDataPanel()
        self.model_panel = ImageModelPanel(self.model_size)
        self.training_panel = ImageTrainingPanel()
        self.sampling_panel = ImageSamplingPanel()
        self.message_label = QtWidgets.QLabel("")
        self.message_label.setWordWrap(True)
        controls = QtWidgets.QWidget()
        controls.setFixedWidth(360)
        side = QtWidgets.QVBoxLayout(controls)
        side.setContentsMargins(0, 0, 0, 0)
        for panel in (self.data_panel, self.model_panel, self.training_panel, self.sampling_panel):
            side.addWidget(panel)
        side.addStretch(1)
        side.addWidget(self.message_label)

        self.views = pg.GraphicsLayoutWidget()
        lay = self.views.ci
        self.samples_view = _ImageView(lay, 0, 0, "samples x")
        self.denoised_view = _ImageView(lay, 0, 1, "denoised x + σ²s(x, σ)")
        self.noisy_view = _ImageView(lay, 2, 0, "real images + σε")
        self.sigma_denoised_view = _ImageView(lay, 2, 1, "model's denoising D(·, σ)")
        self.sigma_bar = SigmaBar()
        self.sigma_bar.show_sigma(START_SIGMA)    # sent to the session when its worker starts
        right = QtWidgets.QVBoxLayout()
        right.addWidget(self.views, 1)
        right.addWidget(self.sigma_bar)
        outer = QtWidgets.QHBoxLayout(self)
        outer.addWidget(controls)
        outer.addLayout(right, 1)

    def _connect(self) -> None:
        d, m, s = self.data_panel, self.model_panel, self.sampling_panel
        d.kind_changed.connect(self._kind_changed)
        d.folder_requested.connect(self._choose_folder)
        d.download_requested.connect(self.start_download)
        d.cancel_requested.connect(self.cancel_download)
        m.configure.connect(self._model_changed)
        m.train_toggled.connect(self._train_toggled)
        m.open_requested.connect(self._open_checkpoint)
        m.save_requested.connect(self._save_checkpoint)
        s.sample_requested.connect(self.sample)
        s.save_png_requested.connect(self._save_png_dialog)
        self.sigma_bar.sigma_requested.connect(self.set_sigma)

    # --- remembered choices (the window's Settings, keys images.*) -------------------------------------------
    def choices(self) -> dict:
        return {PREFIX + "kind": self.kind, PREFIX + "data_dir": self.data_dir,
                PREFIX + "conditional": self.model_panel.conditional.isChecked(),
                PREFIX + "process": self.model_panel.process.currentData(),
                PREFIX + "sigma": self.sigma_bar.sigma,
                **{f"{PREFIX}sample.{k}": v for k, v in self.sampling_panel.options().items()}}

    def remembered_choices(self) -> dict:
        """This page's remembered choices, without the prefix (empty without settings)."""
        c = self.settings.choices() if self.settings is not None else {}
        return {k[len(PREFIX):]: v for k, v in c.items() if k.startswith(PREFIX)}

    def apply_choices(self, c: dict) -> None:
        """Show remembered choices (``kind``, ``conditional``, ``process``, ``sigma``, ``sample.*``; no prefix)."""
        try:
            self.data_panel.set_options({k: c[k] for k in ("kind",) if k in c})
            self.model_panel.set_options({k: c[k] for k in ("conditional", "process") if k in c})
            self.sampling_panel.set_options({k[len("sample."):]: v for k, v in c.items() if k.startswith("sample.")})
            if "sigma" in c:
                self.sigma_bar.show_sigma(float(c["sigma"]))
        except (TypeError, ValueError):
            pass  # a damaged settings file is ignored, never fatal

    def remember(self) -> None:
        """Write this page's choices into the window's settings (keeping every other key)."""
        if self.settings is not None:
            self.settings.save_choices(self.choices())

    # --- data ------------------------------------------------------------------------------------------------
    def load_data(self) -> None:
        self.data_panel.show_looking()
        self.send(cmd.LoadData(kind=self.kind, folder=self.data_dir or None))

    def set_data_dir(self, path: str | Path) -> None:
        """Use this folder (or .npz / IDX file) and remember it."""
        self.data_dir = str(path)
        self.remember()
        self.load_data()

    def _choose_folder(self) -> None:
        folder = QtWidgets.QFileDialog.getExistingDirectory(self, "Folder with the IDX files", self.data_dir or "")
        if folder:
            self.set_data_dir(folder)

    def _kind_changed(self, _kind: str) -> None:
        self.remember()
        self.load_data()

    def start_download(self) -> None:
        if self._downloading:
            return
        self._downloading = True
        self.data_panel.show_downloading(True)
        self.send(cmd.Download(dest=self.download_dest, mirrors=self.download_mirrors, files=self.download_files))

    def cancel_download(self) -> None:
        self.worker.request_cancel()   # thread-safe: the download polls it between chunks

    # --- model -----------------------------------------------------------------------------------------------
    def _model_changed(self, options: dict) -> None:
        self.model_size = options["size"]
        self.send(cmd.ConfigureModel(**options))

    def _train_toggled(self, on: bool) -> None:
        self.send(cmd.Train(on))

    def set_training(self, on: bool) -> None:
        self.model_panel.train.setChecked(on)

    def _open_checkpoint(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Open an image checkpoint", "", "Checkpoints (*.pt)")
        if path:
            self.open_checkpoint(path)

    def open_checkpoint(self, path: str | Path) -> None:
        """Sample from a saved image model (training stops)."""
        self.set_training(False)
        self.send(cmd.OpenCheckpoint(str(path)))

    def _save_checkpoint(self) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Save the model", "digits.pt", "Checkpoints (*.pt)")
        if path:
            self.send(cmd.SaveCheckpoint(path))

    # --- sampling and σ --------------------------------------------------------------------------------------
    def sample(self) -> None:
        self.send(cmd.Sample(self.sampling_panel.request(bool(self.model_info and self.model_info.conditional))))

    def save_png(self, path: str | Path) -> Path:
        """Save the last finished 8×8 grid of samples as a PNG."""
        if self.last_images is None:
            raise ValueError("no finished samples to save yet")
        return save_grid_png(self.last_images[:64], path, nrow=8)

    def _save_png_dialog(self) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Save the grid", "digits.png", "PNG images (*.png)")
        if path:
            try:
                self._on_message("info", f"Saved {self.save_png(path)}")
            except (OSError, ValueError) as exc:
                self._on_message("error", f"Could not save the grid: {exc}")

    def set_sigma(self, sigma: float) -> None:
        """Ask the session for σ; the slider shows the σ its next SigmaFrame reports."""
        self.send(cmd.SetSigma(float(sigma)))

    # --- frames (GUI thread) ---------------------------------------------------------------------------------
    @QtCore.Slot(object)
    def _on_frame(self, frame) -> None:
        kind = type(frame)
        if kind in IMMEDIATE:
            self._show[kind](frame)
            self.frameApplied.emit(kind.__name__)
            return
        if kind is fr.SampleFrame:
            self.sample_frames += 1
            if frame.done:
                self.last_images = frame.final_images
        self._latest[kind] = frame
        self._dirty.add(kind)

    @QtCore.Slot(str, str)
    def _on_message(self, level: str, text: str) -> None:
        self.messages.append((level, text))
        colour = {"error": "#e0554f", "warning": "#d9a441"}.get(level, "")
        self.message_label.setStyleSheet(f"color: {colour}" if colour else "")
        self.message_label.setText(text)

    def _repaint(self) -> None:
        if not self._dirty:
            return
        dirty, self._dirty = self._dirty, set()
        for kind in dirty:
            self._show[kind](self._latest[kind])
            self.frameApplied.emit(kind.__name__)

    def _show_data(self, frame: fr.DataReady) -> None:
        self.data_info = frame
        self.data_panel.show_frame(frame)
        self.sampling_panel.set_classes(bool(self.model_info and self.model_info.conditional), frame.class_names)

    def _show_missing(self, frame: fr.DataMissing) -> None:
        self.data_info = None
        self.data_panel.show_frame(frame, self.download_dest)

    def _show_download(self, frame: fr.DownloadProgress) -> None:
        self.data_panel.show_frame(frame)
        if frame.finished:
            self._downloading = False
            self._on_message("info" if frame.ok else "warning", frame.text)

    def _show_model(self, frame: fr.ModelInfo) -> None:
        self.model_info = frame
        self.model_panel.show_frame(frame)
        self.sampling_panel.set_classes(frame.conditional, self.data_info.class_names if self.data_info else ())

    def _show_schedule(self, frame: ScheduleFrame) -> None:
        self.training_panel.show_schedule(frame)

    def _show_process(self, frame: ProcessFrame) -> None:
        self.sigma_bar.set_process(frame)
        if self._process_name is not None and frame.name != self._process_name:
            # another kind of process: its own sampler (DDIM on discrete β's, Heun on flow), at the recipe's NFE
            select(self.sampling_panel.sampler, default_sampler(frame.name))
        self._process_name = frame.name

    def _show_training(self, frame: fr.ImageTrainingFrame) -> None:
        self.training_panel.show_frame(frame)
        self.model_panel.show_running(frame.training)

    def _show_samples(self, frame: fr.SampleFrame) -> None:
        self.samples_view.set(frame.samples)
        self.denoised_view.set(frame.denoised)
        self.last_grid = frame.samples
        self.sampling_panel.show_frame(frame)

    def _show_sigma(self, frame: fr.SigmaFrame) -> None:
        self.sigma_bar.show_sigma(frame.sigma)
        self.noisy_view.set(frame.noisy)
        self.sigma_denoised_view.set(frame.denoised)


class ImageModeWindow(QtWidgets.QMainWindow):
    """The image mode alone in a window (``python -m scoreviz.app.image_mode``)."""

    def __init__(self, **kwargs):
        super().__init__()
        self.setWindowTitle("scoreviz — image mode")
        self.widget = ImageModeWidget(**kwargs)
        self.setCentralWidget(self.widget)
        self.resize(1280, 860)

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        self.widget.shutdown()
        super().closeEvent(event)
