"""`ImageModeWidget`: MNIST digits emerging from noise, self-contained (its own worker thread, GUIDE §2).

Left: data (folder chooser remembered in QSettings, the "MNIST not found — download?" offer with progress and
cancel), model (size, class-conditional, train/pause, open/save checkpoint), training progress (loss, loss per
noise level, images/s, device) and sampling (sampler, steps, seed, class + guidance or autoguidance, save
PNG). Right: the live 8×8 grid of samples beside the grid of Tweedie estimates x + σ²s(x, σ); under them, a
batch of real images noised at the σ of the slider beside the model's denoising of them.

The GUI keeps only the latest frame of each kind (a mailbox) and repaints from its own 30 Hz timer when dirty.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from scoreviz.datasets.montage import save_grid_png
from scoreviz.core.recipes.images import DEFAULT_AUTOGUIDANCE, DEFAULT_SAMPLER, RECIPES, SAMPLER_STEPS

from ..panels.common import combo, select, small_plot, spin_box
from ..qt import QtCore, QtGui, QtWidgets, pg
from scoreviz.lab import image_frames as fr
from ..worker_host import WorkerHost
from .worker import ImageWorker

SETTINGS_ORG = "scoreviz"
SETTINGS_APP = "scoreviz"
KEY_DIR = "image_mode/data_dir"
KEY_KIND = "image_mode/kind"
SAMPLERS = ("ode", "em", "pc", "annealed", "langevin")
SIGMA_LO, SIGMA_HI = 0.01, 20.0
SLIDER_MAX = 400


def _sigma_of(v: int) -> float:
    return math.exp(math.log(SIGMA_LO) + (math.log(SIGMA_HI) - math.log(SIGMA_LO)) * v / SLIDER_MAX)


def _slider_of(sigma: float) -> int:
    s = min(max(sigma, SIGMA_LO), SIGMA_HI)
    return round(SLIDER_MAX * (math.log(s) - math.log(SIGMA_LO)) / (math.log(SIGMA_HI) - math.log(SIGMA_LO)))


class _ImageView:
    """A titled, aspect-locked ViewBox with one ImageItem (fixed levels, no auto-levels: GUIDE §3)."""

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
    places); ``model_size``: a key of ``RECIPES`` (``"cpu"``, ``"unet"``, ``"gpu"``; ``"tiny"`` for tests).
    Call :meth:`shutdown` before closing."""

    frameApplied = QtCore.Signal(str)      # GUI-side relay for tests: the kind of frame just shown

    def __init__(self, parent=None, data_dir=None, model_size: str = "cpu", *, device: str = "auto",
                 kind: str | None = None, threads: int | None = None, max_images: int | None = None,
                 settings: QtCore.QSettings | None = None, autoload: bool = True):
        super().__init__(parent)
        if model_size not in RECIPES:
            raise ValueError(f"unknown image model size {model_size!r}; choose one of {', '.join(RECIPES)}")
        self.settings = settings or QtCore.QSettings(SETTINGS_ORG, SETTINGS_APP)
        remembered = str(self.settings.value(KEY_DIR, "") or "")
        if remembered and not Path(remembered).exists():
            remembered = ""  # a remembered folder that has gone: search the usual places instead
        self.data_dir: str = str(data_dir) if data_dir else remembered
        self.kind: str = kind or str(self.settings.value(KEY_KIND, "mnist") or "mnist")
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

        self._build_ui()
        self._start_worker(device, threads, max_images)
        self._repaint_timer = QtCore.QTimer(self)
        self._repaint_timer.setInterval(33)
        self._repaint_timer.timeout.connect(self._repaint)
        self._repaint_timer.start()
        if autoload:
            self.load_data()

    # --- worker ----------------------------------------------------------------------------------------------
    def _start_worker(self, device, threads, max_images) -> None:
        self.host = WorkerHost(self, ImageWorker(self.model_size, device, threads, max_images), "scoreviz-image-worker")
        self.worker, self._thread = self.host.worker, self.host.thread
        self.worker.frame.connect(self._on_frame)      # bound methods of this GUI-thread object only
        self.worker.message.connect(self._on_message)
        self.host.start()

    def send(self, name: str, payload=None) -> None:
        self.host.send(name, payload)

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Stop the worker and its thread (cancels a download); True if the thread ended in time."""
        self._repaint_timer.stop()
        self.worker.request_cancel()
        return self.host.shutdown(timeout_ms)

    # --- UI --------------------------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        outer = QtWidgets.QHBoxLayout(self)
        controls = QtWidgets.QWidget()
        controls.setFixedWidth(360)
        side = QtWidgets.QVBoxLayout(controls)
        side.setContentsMargins(0, 0, 0, 0)

        # data
        data_box = QtWidgets.QGroupBox("Data")
        form = QtWidgets.QVBoxLayout(data_box)
        row = QtWidgets.QHBoxLayout()
        self.kind_combo = combo([("MNIST", "mnist"), ("Fashion-MNIST", "fashion")])
        select(self.kind_combo, self.kind)
        self.kind_combo.currentIndexChanged.connect(self._kind_changed)
        self.folder_button = QtWidgets.QPushButton("Choose folder…")
        self.folder_button.clicked.connect(self._choose_folder)
        row.addWidget(self.kind_combo)
        row.addWidget(self.folder_button)
        form.addLayout(row)
        self.data_label = QtWidgets.QLabel("Looking for data…")
        self.data_label.setWordWrap(True)
        form.addWidget(self.data_label)
        self.download_frame = QtWidgets.QFrame()
        dl = QtWidgets.QVBoxLayout(self.download_frame)
        dl.setContentsMargins(0, 0, 0, 0)
        self.download_label = QtWidgets.QLabel("MNIST not found — download it (about 11 MB)?")
        self.download_label.setWordWrap(True)
        dl_row = QtWidgets.QHBoxLayout()
        self.download_button = QtWidgets.QPushButton("Download MNIST")
        self.download_button.clicked.connect(self.start_download)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_download)
        self.cancel_button.setEnabled(False)
        dl_row.addWidget(self.download_button)
        dl_row.addWidget(self.cancel_button)
        self.download_progress = QtWidgets.QProgressBar()
        self.download_progress.setRange(0, 1000)
        self.download_progress.setValue(0)
        dl.addWidget(self.download_label)
        dl.addLayout(dl_row)
        dl.addWidget(self.download_progress)
        self.download_frame.setVisible(False)
        form.addWidget(self.download_frame)
        side.addWidget(data_box)

        # model
        model_box = QtWidgets.QGroupBox("Model")
        grid = QtWidgets.QGridLayout(model_box)
        self.size_combo = combo([(name, name) for name in RECIPES],
                                "cpu: the fast conv net (the CPU default) · unet: a small U-Net, slower per image · "
                                "gpu: a 7 M-parameter U-Net for a GPU · tiny: a toy for quick checks")
        select(self.size_combo, self.model_size)
        self.conditional_check = QtWidgets.QCheckBox("class-conditional")
        self.conditional_check.setChecked(True)   # the worker's default: far more recognisable digits
        self.size_combo.currentIndexChanged.connect(self._model_changed)
        self.conditional_check.toggled.connect(self._model_changed)
        self.train_button = QtWidgets.QPushButton("Train")
        self.train_button.setCheckable(True)
        self.train_button.toggled.connect(self._train_toggled)
        self.new_button = QtWidgets.QPushButton("New model")
        self.new_button.clicked.connect(self._model_changed)
        self.open_button = QtWidgets.QPushButton("Open…")
        self.open_button.clicked.connect(self._open_checkpoint)
        self.save_ckpt_button = QtWidgets.QPushButton("Save…")
        self.save_ckpt_button.clicked.connect(self._save_checkpoint)
        grid.addWidget(QtWidgets.QLabel("size"), 0, 0)
        grid.addWidget(self.size_combo, 0, 1)
        grid.addWidget(self.conditional_check, 0, 2, 1, 2)
        grid.addWidget(self.train_button, 1, 0, 1, 2)
        grid.addWidget(self.new_button, 1, 2, 1, 2)
        grid.addWidget(self.open_button, 2, 0, 1, 2)
        grid.addWidget(self.save_ckpt_button, 2, 2, 1, 2)
        self.model_label = QtWidgets.QLabel("")
        self.model_label.setWordWrap(True)
        grid.addWidget(self.model_label, 3, 0, 1, 4)
        side.addWidget(model_box)

        # training progress
        train_box = QtWidgets.QGroupBox("Training")
        tv = QtWidgets.QVBoxLayout(train_box)
        self.train_label = QtWidgets.QLabel("step 0")
        tv.addWidget(self.train_label)
        self.loss_plot = small_plot(90)
        self.loss_plot.setLabels(left="loss", bottom="step")
        self.loss_curve = self.loss_plot.plot([], [])
        self.level_plot = small_plot(90)
        self.level_plot.setLogMode(x=True, y=False)
        self.level_plot.setLabels(left="loss", bottom="σ")
        self.level_curve = self.level_plot.plot([], [], symbol="o", symbolSize=4)
        tv.addWidget(self.loss_plot)
        tv.addWidget(self.level_plot)
        side.addWidget(train_box)

        # sampling
        sample_box = QtWidgets.QGroupBox("Sampling")
        sg = QtWidgets.QGridLayout(sample_box)
        self.sampler_combo = combo([(name, name) for name in SAMPLERS])
        select(self.sampler_combo, DEFAULT_SAMPLER)
        self.sampler_combo.currentIndexChanged.connect(self._sampler_changed)
        self.steps_spin = spin_box(1, 2000, SAMPLER_STEPS[DEFAULT_SAMPLER])
        self.seed_spin = spin_box(0, 2**31 - 1, 0)
        self.class_combo = combo([("all classes", None)])
        self.guidance_spin = spin_box(0.0, 10.0, 2.0, 0.5, "Classifier-free guidance weight (conditional models)")
        self.autoguidance_spin = spin_box(1.0, 5.0, DEFAULT_AUTOGUIDANCE, 0.5,
                                          "Unconditional models: step this far away from an early copy of the "
                                          "model (autoguidance, Karras et al. 2024); 1 turns it off")
        self.sample_button = QtWidgets.QPushButton("Sample")
        self.sample_button.clicked.connect(self.sample)
        self.save_png_button = QtWidgets.QPushButton("Save PNG…")
        self.save_png_button.clicked.connect(self._save_png_dialog)
        self.save_png_button.setEnabled(False)
        sg.addWidget(QtWidgets.QLabel("sampler"), 0, 0)
        sg.addWidget(self.sampler_combo, 0, 1)
        sg.addWidget(QtWidgets.QLabel("steps"), 0, 2)
        sg.addWidget(self.steps_spin, 0, 3)
        sg.addWidget(QtWidgets.QLabel("seed"), 1, 0)
        sg.addWidget(self.seed_spin, 1, 1)
        sg.addWidget(QtWidgets.QLabel("class"), 2, 0)
        sg.addWidget(self.class_combo, 2, 1)
        sg.addWidget(QtWidgets.QLabel("guidance"), 2, 2)
        sg.addWidget(self.guidance_spin, 2, 3)
        sg.addWidget(QtWidgets.QLabel("autoguidance"), 3, 2)
        sg.addWidget(self.autoguidance_spin, 3, 3)
        sg.addWidget(self.sample_button, 4, 0, 1, 2)
        sg.addWidget(self.save_png_button, 4, 2, 1, 2)
        self.sample_label = QtWidgets.QLabel("")
        sg.addWidget(self.sample_label, 5, 0, 1, 4)
        side.addWidget(sample_box)
        side.addStretch(1)
        self.message_label = QtWidgets.QLabel("")
        self.message_label.setWordWrap(True)
        side.addWidget(self.message_label)
        self._set_conditional_controls(False, [])

        # views
        right = QtWidgets.QVBoxLayout()
        self.views = pg.GraphicsLayoutWidget()
        lay = self.views.ci
        self.samples_view = _ImageView(lay, 0, 0, "samples x")
        self.denoised_view = _ImageView(lay, 0, 1, "denoised x + σ²s(x, σ)")
        self.noisy_view = _ImageView(lay, 2, 0, "real images + σε")
        self.sigma_denoised_view = _ImageView(lay, 2, 1, "model's denoising D(·, σ)")
        right.addWidget(self.views, 1)
        slider_row = QtWidgets.QHBoxLayout()
        slider_row.addWidget(QtWidgets.QLabel("σ"))
        self.sigma_slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.sigma_slider.setRange(0, SLIDER_MAX)
        self.sigma_slider.setValue(_slider_of(0.5))
        self.sigma_slider.valueChanged.connect(self._sigma_changed)
        self.sigma_label = QtWidgets.QLabel("0.50")
        self.sigma_label.setMinimumWidth(60)
        slider_row.addWidget(self.sigma_slider, 1)
        slider_row.addWidget(self.sigma_label)
        right.addLayout(slider_row)
        outer.addWidget(controls)
        outer.addLayout(right, 1)

    # --- data ------------------------------------------------------------------------------------------------
    def load_data(self) -> None:
        self.data_label.setText("Looking for data…")
        self.send("load_data", {"kind": self.kind, "dir": self.data_dir or None})

    def set_data_dir(self, path: str | Path) -> None:
        """Use this folder (or .npz / IDX file) and remember it."""
        self.data_dir = str(path)
        self.settings.setValue(KEY_DIR, self.data_dir)
        self.load_data()

    def _choose_folder(self) -> None:
        folder = QtWidgets.QFileDialog.getExistingDirectory(self, "Folder with the IDX files", self.data_dir or "")
        if folder:
            self.set_data_dir(folder)

    def _kind_changed(self) -> None:
        self.kind = self.kind_combo.currentData()
        self.settings.setValue(KEY_KIND, self.kind)
        self.load_data()

    def start_download(self) -> None:
        if self._downloading:
            return
        self._downloading = True
        self.download_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.download_progress.setValue(0)
        self.send("download", {"dest": self.download_dest, "mirrors": self.download_mirrors,
                               "files": self.download_files})

    def cancel_download(self) -> None:
        self.worker.request_cancel()   # thread-safe: the download polls it between chunks

    # --- model -----------------------------------------------------------------------------------------------
    def _model_changed(self, *_) -> None:
        self.model_size = self.size_combo.currentData()
        self.train_button.setChecked(False)
        self.send("model", {"size": self.model_size, "conditional": self.conditional_check.isChecked()})

    def _train_toggled(self, on: bool) -> None:
        self.train_button.setText("Pause" if on else "Train")
        self.send("train", on)

    def set_training(self, on: bool) -> None:
        self.train_button.setChecked(on)

    def _open_checkpoint(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Open an image checkpoint", "", "Checkpoints (*.pt)")
        if path:
            self.train_button.setChecked(False)
            self.send("open_checkpoint", path)

    def _save_checkpoint(self) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Save the model", "digits.pt", "Checkpoints (*.pt)")
        if path:
            self.send("save_checkpoint", path)

    def _set_conditional_controls(self, conditional: bool, class_names) -> None:
        current = self.class_combo.currentData()
        self.class_combo.clear()
        self.class_combo.addItem("all classes", None)
        for k, name in enumerate(class_names):
            self.class_combo.addItem(name, k)
        if current is not None and current < len(class_names):
            self.class_combo.setCurrentIndex(current + 1)
        self.class_combo.setEnabled(conditional)
        self.guidance_spin.setEnabled(conditional)
        self.autoguidance_spin.setEnabled(not conditional)

    # --- sampling --------------------------------------------------------------------------------------------
    def _sampler_changed(self) -> None:
        self.steps_spin.setValue(SAMPLER_STEPS.get(self.sampler_combo.currentData(), 100))

    def sample(self) -> None:
        conditional = bool(self.model_info and self.model_info.conditional)
        self.send("sample", fr.SamplerRequest(
            sampler=self.sampler_combo.currentData(), steps=self.steps_spin.value(), seed=self.seed_spin.value(),
            class_label=self.class_combo.currentData() if conditional else None,
            guidance=self.guidance_spin.value() if conditional else 0.0,
            autoguidance=1.0 if conditional else self.autoguidance_spin.value()))

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

    def _sigma_changed(self, value: int) -> None:
        sigma = _sigma_of(value)
        self.sigma_label.setText(f"{sigma:.3g}")
        self.send("sigma", sigma)

    def set_sigma(self, sigma: float) -> None:
        self.sigma_slider.setValue(_slider_of(sigma))

    # --- frames (GUI thread) ---------------------------------------------------------------------------------
    @QtCore.Slot(object)
    def _on_frame(self, frame) -> None:
        kind = type(frame)
        if kind in (fr.DataReady, fr.DataMissing, fr.DownloadProgress, fr.ModelInfo):
            self._apply_now(frame)             # rare and state-changing: shown at once
            self.frameApplied.emit(kind.__name__)
            return
        if kind is fr.SampleFrame:
            self.sample_frames += 1
            if frame.done:
                self.last_images = frame.final_images
                self.save_png_button.setEnabled(True)
        self._latest[kind] = frame
        self._dirty.add(kind)

    @QtCore.Slot(str, str)
    def _on_message(self, level: str, text: str) -> None:
        self.messages.append((level, text))
        colour = {"error": "#e0554f", "warning": "#d9a441"}.get(level, "")
        self.message_label.setStyleSheet(f"color: {colour}" if colour else "")
        self.message_label.setText(text)

    def _apply_now(self, frame) -> None:
        if isinstance(frame, fr.DataReady):
            self.data_info = frame
            self.download_frame.setVisible(False)
            self.data_label.setStyleSheet("")
            self.data_label.setText(f"{frame.name}: {frame.n:,} images from {frame.source}")
            self._set_conditional_controls(bool(self.model_info and self.model_info.conditional), frame.class_names)
        elif isinstance(frame, fr.DataMissing):
            self.data_info = None
            self.data_label.setStyleSheet("color: #e0554f")
            self.data_label.setText(frame.reason)
            self.download_frame.setVisible(frame.can_download)
            self.download_label.setText(f"MNIST not found — download it (about 11 MB, verified) into "
                                        f"{self.download_dest or frame.download_dir}?")
        elif isinstance(frame, fr.DownloadProgress):
            if frame.finished:
                self._downloading = False
                self.download_button.setEnabled(True)
                self.cancel_button.setEnabled(False)
                self.download_progress.setValue(1000 if frame.ok else 0)
                self._on_message("info" if frame.ok else "warning", frame.text)
            else:
                fraction = frame.done / frame.total if frame.total else 0.0
                self.download_progress.setValue(int(1000 * fraction))
                self.download_progress.setFormat(f"{frame.filename} %p%")
        elif isinstance(frame, fr.ModelInfo):
            self.model_info = frame
            names = self.data_info.class_names if self.data_info else ()
            self._set_conditional_controls(frame.conditional, names)
            source = "" if frame.source == "new" else f" from {Path(frame.source).name}"
            self.model_label.setText(f"{frame.size}: {frame.parameters / 1e6:.2f} M parameters"
                                     f"{', class-conditional' if frame.conditional else ''}{source} on {frame.device}")

    def _repaint(self) -> None:
        if not self._dirty:
            return
        dirty, self._dirty = self._dirty, set()
        if fr.TrainFrame in dirty:
            t = self._latest[fr.TrainFrame]
            loss = "—" if not np.isfinite(t.smoothed_loss) else f"{t.smoothed_loss:.4f}"
            self.train_label.setText(f"step {t.step:,}   loss {loss}   "
                                     f"{t.images_per_second:,.0f} images/s   on {t.device}")
            if len(t.loss_history):
                start = t.step - len(t.loss_history)
                self.loss_curve.setData(np.arange(start, t.step), t.loss_history)
            seen = np.isfinite(t.level_losses)
            self.level_curve.setData(t.level_centres[seen], t.level_losses[seen])
            self.frameApplied.emit("TrainFrame")
        if fr.SampleFrame in dirty:
            s = self._latest[fr.SampleFrame]
            self.samples_view.set(s.samples)
            self.denoised_view.set(s.denoised)
            self.last_grid = s.samples
            self.sample_label.setText(f"step {s.index}/{s.total}   σ = {s.noise_level:.3g}"
                                      + ("   done" if s.done else ""))
            self.frameApplied.emit("SampleFrame")
        if fr.SigmaFrame in dirty:
            g = self._latest[fr.SigmaFrame]
            self.noisy_view.set(g.noisy)
            self.sigma_denoised_view.set(g.denoised)
            self.frameApplied.emit("SigmaFrame")


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
