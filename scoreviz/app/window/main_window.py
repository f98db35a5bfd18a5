"""The main window: canvas (or 1-D plot) with the σ slider below, control panels on the right.

Frames from the worker are drawn by `frame_drawer.FrameDrawer`; after drawing a frame the window emits a relay
signal (`field_shown`, `particles_shown`, `train_shown`, `process_shown`) — GUI-thread signals that tests and
the scripted run can wait on.
"""
from __future__ import annotations

import numpy as np

from scoreviz.core.device import available_devices
from scoreviz.lab import commands as cmd
from scoreviz.lab import data_specs
from scoreviz.lab import frames as fr

from scoreviz.app.window import choices as window_choices
from scoreviz.app.canvas.area import CanvasArea
from scoreviz.app.canvas.gestures import CanvasGestures
from scoreviz.app.window.control_dock import ControlDock
from scoreviz.app.window.density_control import DensityControl
from scoreviz.app.canvas.data_editor import DataEditor
from scoreviz.app.canvas.frame_drawer import FrameDrawer
from scoreviz.app.high_dim.view import HighDimView
from scoreviz.app.icon import app_icon
from scoreviz.app.lecture.lesson_player import LessonPlayer
from scoreviz.app.window.perf_readout import PerfReadout
from scoreviz.app.lecture.presentation import Presentation
from scoreviz.app.qt import QtCore, QtWidgets
from scoreviz.app.recording.recorder import Recorder
from scoreviz.app.schedule.dock import ScheduleDock
from scoreviz.app.window.session_actions import SessionActions
from scoreviz.app.window.settings import Settings
from scoreviz.app.theme import THEMES, apply_theme
from scoreviz.app.window.menus import ask_load, build_menus, build_shortcuts
from scoreviz.app.window.nfe_readout import NFEReadout
from scoreviz.app.workers.host import WorkerHost

VIEW_DEBOUNCE_MS = 40
DATA_DEBOUNCE_MS = 60


class MainWindow(QtWidgets.QMainWindow):
    field_shown = QtCore.Signal(object)
    particles_shown = QtCore.Signal(object)
    train_shown = QtCore.Signal(object)
    process_shown = QtCore.Signal(object)

    def __init__(self, theme: str = "dark", settings: Settings | None = None, preset: str | None = None,
                 start_worker: bool = True):
        super().__init__()
        self.setWindowTitle("scoreviz — score-based generative models, live")
        self.setWindowIcon(app_icon())
        self.settings = settings
        self.theme = THEMES.get(theme, THEMES["dark"])
        app = QtWidgets.QApplication.instance()
        apply_theme(app, self.theme)
        self._closed = False
        self.last_message: tuple[str, str] = ("", "")
        self.process: fr.ProcessFrame | None = None
        self.last_field = self.last_particles = self.last_train = None
        self._pending_spec: fr.DataSpec | None = None

        self.editor = DataEditor(parent=self)
        self.host = WorkerHost(self)
        self.sessions = SessionActions(self)
        self.frames = FrameDrawer(self)          # the worker's frames, drawn
        self._build_ui()
        self._connect()
        self.lessons = LessonPlayer(self, parent=self)
        self._shortcuts = build_shortcuts(self)
        self.density = DensityControl(self)      # the Density view: View panel, D, the model's map and NLL
        self.presentation = Presentation(self)   # F5 / View → Present, Esc leaves
        self.recorder = Recorder(self)           # File → Record, Ctrl+R, the ● Rec button

        self._view_timer = self._timer(VIEW_DEBOUNCE_MS, self._send_view, single_shot=True)
        self._data_timer = self._timer(DATA_DEBOUNCE_MS, self._flush_data, single_shot=True)

        remembered = settings.choices() if settings is not None else {}
        self.apply_choices(remembered)
        if settings is not None:
            settings.restore_window(self)
        if start_worker:
            self.host.start()
        self.send_config()
        self.apply_view_options()   # apply_choices ran before the worker started: send the field's options now
        self.load_preset(preset or remembered.get("preset") or data_specs.DEFAULT_PRESET)
        self.frames.timer.start()

    # --- construction ----------------------------------------------------------------------------------------
    def _timer(self, interval_ms: int, slot, single_shot: bool = False) -> QtCore.QTimer:
        timer = QtCore.QTimer(self)
        timer.setInterval(interval_ms)
        timer.setSingleShot(single_shot)
        timer.timeout.connect(slot)
        return timer

    def _build_ui(self) -> None:
        self.resize(1440, 900)
        central = CanvasArea(self.theme)
        self.scene, self.plot1d, self.stack = central.scene, central.plot1d, central.stack
        self.banner, self.sigma_bar = central.banner, central.sigma_bar
        # The 2D lab and the image mode share the window; the image mode is built on first use (its own worker).
        self.modes = QtWidgets.QStackedWidget()
        self.modes.addWidget(central)
        self.image_mode = None
        self.setCentralWidget(self.modes)

        self.dock = ControlDock(self, data_specs.preset_names(), available_devices())
        self.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.data_panel, self.training_panel = self.dock.data, self.dock.training
        self.sampling_panel, self.view_panel = self.dock.sampling, self.dock.view
        self.dock.apply_theme(self.theme, self.scene.mode_colours())
        self.schedule_dock = ScheduleDock(self, self.host.send, self.sampling_panel.options, self.scene,
                                          self.editor.centre)
        self.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, self.schedule_dock)
        self.tabifyDockWidget(self.dock, self.schedule_dock)
        self.high_dim = HighDimView(self, parent=self)
        self.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, self.high_dim.dock)
        self.tabifyDockWidget(self.dock, self.high_dim.dock)
        self.dock.raise_()

        self.status_data = QtWidgets.QLabel()
        self.nfe = NFEReadout()
        self.status_nfe = self.nfe.label
        self.perf = PerfReadout()
        self.status_perf = self.perf.label
        self.statusBar().addPermanentWidget(self.status_nfe)
        self.statusBar().addPermanentWidget(self.status_data)
        self.statusBar().addPermanentWidget(self.status_perf)
        acts = build_menus(self)
        self.act_load, self.act_shot, self.act_undo, self.act_redo = (acts[k] for k in ("load", "shot", "undo", "redo"))
        self.act_mode_2d, self.act_mode_images = acts["mode_2d"], acts["mode_images"]

    def _connect(self) -> None:
        w = self.host.worker
        w.frame.connect(self.frames.on_frame)    # bound methods of a GUI-thread QObject only: a lambda runs in the worker thread
        w.message.connect(self._on_worker_message)
        w.frame.connect(self.schedule_dock.on_worker_frame)
        # a published schedule brings its own process: the training panel shows it (set quietly, no Configure)
        self.schedule_dock.process_named.connect(lambda name: self.training_panel.set_options({"process": name}))
        self.editor.changed.connect(self._on_data_changed)
        self.editor.adopted.connect(self.show_data)
        self.editor.failed.connect(self._on_data_failed)
        self.dock.wire(self)
        self.sigma_bar.sigma_requested.connect(self.set_sigma)
        self.scene.viewbox.sigRangeChanged.connect(self._on_range_changed)
        self.gestures = CanvasGestures(self.scene, self.editor, self.data_panel, self.release_particles, parent=self)
        self.plot1d.view_changed.connect(lambda *_: self._view_timer.start())

    # --- public actions (also used by tests and the scripted run) --------------------------------------------
    def load_preset(self, name: str) -> bool:
        ok = self.editor.set_preset(name)
        if ok:
            self.data_panel.show_preset(name)
            self.fit_view()
        return ok

    def load_data_file(self, path: str) -> bool:
        ok = self.editor.load_file(path)
        if ok:
            self.data_panel.show_preset("")
            self.fit_view()
            self.show_message("info", f"Loaded {data_specs.describe(self.editor.spec)}")
        return ok

    def ask_load_data(self) -> None:
        """File → Load data: pick a point file or a density image."""
        ask_load(self)

    def set_points(self, points: np.ndarray) -> None:
        """Replace the data by these points (N, D) (a lesson's own) and fit the view to them."""
        self.editor.set_spec(data_specs.edited_spec(None, points), reset=True)
        self.fit_view()

    def choose_process(self, name: str) -> None:
        """Pick a noise process in the training panel, as a person would (a new model)."""
        self.training_panel.set_options({"process": name})
        self.send_config()

    def choose_field(self, kind: str) -> None:
        """Pick what the field shows (a key of names.FIELD_KINDS), as a person would."""
        self.view_panel.set_options({"kind": kind})
        self.apply_view_options()

    def choose_sampler(self, options: dict) -> None:
        """Set the particle panel's choices (sampler, source, n, steps) for the next release."""
        self.sampling_panel.set_options(options)

    def set_training(self, on: bool) -> None:
        self.training_panel.show_running(on)
        self.send(cmd.Train(bool(on)))

    def toggle_training(self) -> None:
        running = self.last_train.running if self.last_train is not None else self.training_panel.train.isChecked()
        self.set_training(not running)

    def reset_training(self) -> None:
        self.send(cmd.ResetTraining())

    def release_particles(self, origin: tuple[float, float] | None = None) -> None:
        o = self.sampling_panel.options()
        self.send(cmd.SetSpeed(self.sampling_panel.steps_per_second))
        self.send(cmd.Release(fr.ParticleRequest(name=o["sampler"], n=o["n"], steps=o["steps"],
                                                 origin=self.high_dim.origin(origin), source=o["source"])))
        self.sampling_panel.show_running(True)

    def toggle_play(self) -> None:
        if self.last_particles is None or not self.last_particles.sampler or self.last_particles.finished:
            self.release_particles()
            return
        on = not self.last_particles.running
        self.sampling_panel.show_running(on)
        self.send(cmd.SamplerPlay(on))

    def reset_particles(self) -> None:
        self.send(cmd.SamplerReset())
        self.sampling_panel.show_running(False)

    def set_sigma(self, sigma: float) -> None:
        """Ask the session for σ; it clamps it to the process's range, and the slider shows what it uses."""
        self.send(cmd.SetSigma(float(sigma)))

    def send(self, command: cmd.LabCommand) -> None:
        """Queue a command (lab.commands) for the 2-D lab's session."""
        self.host.send(command)

    def set_theme(self, name: str) -> None:
        self.theme = THEMES.get(name, self.theme)
        apply_theme(QtWidgets.QApplication.instance(), self.theme)
        self.scene.apply_theme(self.theme)
        self.plot1d.apply_theme(self.theme)
        self.dock.apply_theme(self.theme, self.scene.mode_colours())
        self.frames.redraw(self.last_field, self.last_particles)

    def set_mode(self, mode: str) -> None:
        """"2d": the lab for low-dimensional data; "images": MNIST digits emerging from noise. Entering the image
        mode pauses 2D training so the two workers do not fight over the CPU."""
        if mode == "images":
            if self.image_mode is None:   # built on first use: its own worker thread
                from scoreviz.app.image_mode import image_page

                self.image_mode = image_page(self, self.settings)
                self.modes.addWidget(self.image_mode)
            self.set_training(False)
            self.modes.setCurrentWidget(self.image_mode)
        elif mode == "2d":
            self.modes.setCurrentIndex(0)
        else:
            raise ValueError(f"unknown mode {mode!r}")
        for widget in (self.dock, self.schedule_dock, self.status_data, self.status_perf):  # the 2D lab's own
            widget.setVisible(mode == "2d")
        self.high_dim.dock.setVisible(mode == "2d" and self.high_dim.active)

    def show_schedule_lab(self) -> None:
        """The 2-D lab with its Schedule tab in front."""
        self.set_mode("2d")
        self.schedule_dock.raise_()

    def show_controls(self) -> None:
        """The 2-D lab with its controls (data, training, particles, view) in front."""
        self.set_mode("2d")
        self.dock.raise_()

    def toggle_full_screen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    def fit_view(self) -> None:
        ds = self.editor.spec
        if ds is None:
            return
        lo, hi = self.high_dim.bounds(ds, 0.12)
        if ds.dim == 1:
            self.plot1d.set_x_range(float(lo[0]), float(hi[0]))
        else:
            self.scene.set_view(float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]))
        self._send_view()

    def show_message(self, level: str, text: str) -> None:
        self.last_message = (level, text)
        self.banner.show_message(level, text, self.theme)
        self.statusBar().showMessage(text, 15_000)

    def save_screenshot(self, path: str) -> bool:
        self.frames.render()
        QtWidgets.QApplication.processEvents()
        return self.grab().save(str(path))

    def choices(self) -> dict:
        return window_choices.collect(self)

    def apply_choices(self, c: dict) -> None:
        window_choices.apply(self, c)
        self.apply_view_options()

    # --- shutdown --------------------------------------------------------------------------------------------
    def shutdown(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.frames.timer.stop()
        self._view_timer.stop()
        self._data_timer.stop()
        self.presentation.leave()                # the saved layout is the normal one, docks and all
        if self.settings is not None:
            self.settings.save_choices(self.choices())
            self.settings.save_window(self)
        if self.image_mode is not None:
            self.image_mode.shutdown()
        self.host.shutdown()
        self.recorder.close()                    # a clip being written ends with the frames that arrived

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)

    # --- data ------------------------------------------------------------------------------------------------
    def _on_data_changed(self, spec: fr.DataSpec) -> None:
        self._pending_spec = spec
        if spec.reset or not self._data_timer.isActive():
            self._flush_data()   # the first change at once; a burst of brush moves at most every 60 ms
            if not spec.reset:
                self._data_timer.start()
        self.show_data(spec)

    def show_data(self, spec: fr.DataSpec) -> None:
        self.high_dim.show_data(spec)
        pts = self.high_dim.project(spec.train)
        is_1d = spec.dim == 1
        if not (self.high_dim.showing_3d and spec.dim == 3):
            self.stack.setCurrentWidget(self.plot1d if is_1d else self.scene.widget)
        if is_1d:
            self.plot1d.show_data(pts)
        else:
            self.scene.show_data(pts, self.view_panel.options()["data"])
        if spec.empty:
            self.scene.clear_field()
        self.data_panel.set_history(self.editor.can_undo(), self.editor.can_redo())
        self.status_data.setText(data_specs.describe(self.editor.spec))

    def _flush_data(self) -> None:
        spec, self._pending_spec = self._pending_spec, None
        if spec is not None:
            self.send(cmd.SetData(spec))

    def _on_data_failed(self, message: str) -> None:
        self.show_message("error", message)

    # --- view ------------------------------------------------------------------------------------------------
    def _on_range_changed(self, *_):
        self.scene.sync_trail_area()
        self._view_timer.start()

    def _send_view(self) -> None:
        if self.editor.dim == 1:
            lo, hi = self.plot1d.x_range()
            self.send(cmd.SetView((lo, hi, -1.0, 1.0)))
        else:
            self.send(cmd.SetView(tuple(self.scene.view_rect())))
        self.scene.sync_trail_area()

    def apply_view_options(self) -> None:
        o = self.view_panel.options()
        self.send(cmd.FieldOptions(kind=o["kind"], grid_n=o["grid_n"], heat=o["heat"]))
        self.scene.field.setVisible(o["arrows"])
        self.scene.set_trajectories(o["trajectories"])
        if self.editor.spec is not None and self.editor.dim >= 2:
            self.scene.show_data(self.high_dim.project(self.editor.points), o["data"])
        self.frames.redraw(self.last_field)

    def show_trajectories(self, on: bool) -> None:
        """The View panel's trajectories box on or off (a lesson's scene), as a person would."""
        self.view_panel.trajectories.setChecked(bool(on))

    def set_trails(self, on: bool) -> None:
        self.scene.trails_on = on
        if not on:
            self.scene.backdrop.reset()

    def send_config(self, *_) -> None:
        """Send the training panel's settings."""
        self.send(cmd.Configure(**self.training_panel.options()))

    # --- messages from the worker ----------------------------------------------------------------------------
    @QtCore.Slot(str, str)
    def _on_worker_message(self, level: str, text: str) -> None:
        self.show_message(level, text)

    # --- helpers for tests -----------------------------------------------------------------------------------
    def data_points(self) -> np.ndarray:
        return self.editor.points
