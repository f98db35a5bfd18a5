"""The main window's menus and its single-key shortcuts (the keys a lecturer presses while the canvas has focus)."""
from __future__ import annotations

from scoreviz.app.window.about import show_about
from scoreviz.lab.lesson import built_in_lessons
from scoreviz.names import SCHEDULE_PRESETS

from scoreviz.app.recording.figure_export import ask_export
from scoreviz.app.qt import QtCore, QtGui, QtWidgets

SHORTCUTS_HELP = ("Space play/pause particles · ←/→ noise level · T train/pause · R reset particles · "
                  "P trajectories · D density view (model vs exact) · "
                  "F full screen · Ctrl+Z/Ctrl+Shift+Z undo/redo · Ctrl+O/Ctrl+S open/save session · "
                  "Ctrl+L load data · Ctrl+Shift+P screenshot · Ctrl+3 schedule lab · "
                  "PageDown/PageUp (or →/← in a lesson) next/previous scene · F5 present (Esc leaves) · "
                  "Ctrl+R record · Ctrl+Shift+R record the next sampler run · Ctrl+E export figure")


def _add(menu, text: str, slot, *keys) -> QtGui.QAction:
    """An action in `menu` calling `slot`, with its key sequences (standard keys or strings) if any."""
    act = menu.addAction(text)
    if keys:
        act.setShortcuts([QtGui.QKeySequence(k) for k in keys])
    act.triggered.connect(slot)
    return act


def build_menus(window) -> dict[str, QtGui.QAction]:
    """File, Edit, View, Schedule and Help; returns the actions the window and its tests refer to, by name."""
    bar = window.menuBar()
    std = QtGui.QKeySequence.StandardKey
    acts = {}
    file_menu = bar.addMenu("&File")
    acts["open_session"] = _add(file_menu, "Open session…", lambda: ask_open_session(window), std.Open)
    acts["save_session"] = _add(file_menu, "Save session…", lambda: ask_save_session(window), std.Save)
    file_menu.addSeparator()
    acts["load"] = _add(file_menu, "Load data…", lambda: ask_load(window), "Ctrl+L")
    acts["shot"] = _add(file_menu, "Save screenshot…", lambda: ask_screenshot(window), "Ctrl+Shift+P")
    acts["export"] = _add(file_menu, "Export figure…", lambda: ask_export(window), "Ctrl+E")
    acts["record"] = _add(file_menu, "Record (start / stop)…", lambda: window.recorder.toggle(), "Ctrl+R")
    acts["record_run"] = _add(file_menu, "Record the next sampler run…", lambda: window.recorder.record_next_run(),
                              "Ctrl+Shift+R")
    file_menu.addSeparator()
    _add(file_menu, "Quit", window.close, std.Quit)
    edit = bar.addMenu("&Edit")
    acts["undo"] = _add(edit, "Undo", window.editor.undo, std.Undo)
    acts["redo"] = _add(edit, "Redo", window.editor.redo, "Ctrl+Shift+Z", "Ctrl+Y")
    view = bar.addMenu("&View")
    _add(view, "Full screen", window.toggle_full_screen, "F")
    _add(view, "Fit data", window.fit_view, "Home")
    acts["present"] = _add(view, "Present", lambda: window.presentation.toggle(), "F5")
    window.addAction(acts["present"])   # F5 also while presentation mode hides the menu bar
    view.addSeparator()
    acts["mode_2d"] = _add(view, "2D lab", lambda: window.set_mode("2d"), "Ctrl+1")
    acts["mode_images"] = _add(view, "Image mode (MNIST)", lambda: window.set_mode("images"), "Ctrl+2")
    acts["schedule"] = _add(view, "Schedule lab", window.show_schedule_lab, "Ctrl+3")
    schedule = bar.addMenu("&Schedule")
    acts["schedule_import"] = _add(schedule, "Import scheduler_config.json…", lambda: ask_import_schedule(window))
    gallery = schedule.addMenu("Published schedules")
    for key, label in SCHEDULE_PRESETS.items():
        _add(gallery, label, lambda _=False, k=key: use_gallery_schedule(window, k))
    help_menu = bar.addMenu("&Help")
    lessons = help_menu.addMenu("Lessons")
    for name in built_in_lessons():
        _add(lessons, f"{name} (built in)", lambda _=False, n=name: window.lessons.open(n))
    _add(lessons, "Open lesson file…", lambda: ask_lesson(window))
    _add(lessons, "Stop the lesson", lambda: window.lessons.stop())
    _add(help_menu, "Keyboard shortcuts", lambda: window.show_message("info", SHORTCUTS_HELP))
    help_menu.addSeparator()
    acts["about"] = _add(help_menu, "About scoreviz", lambda: show_about(window))
    acts["about"].setMenuRole(QtGui.QAction.MenuRole.AboutRole)   # macOS moves it to the application menu
    return acts


def build_shortcuts(window) -> list[QtGui.QShortcut]:
    """Space, ←/→, PageDown/PageUp, T, R, P and D anywhere in the window."""
    def add(key, slot):
        sc = QtGui.QShortcut(QtGui.QKeySequence(key), window)
        sc.setContext(QtCore.Qt.ShortcutContext.WindowShortcut)
        sc.activated.connect(slot)
        return sc

    keys = QtCore.Qt.Key
    return [
        add(keys.Key_Space, window.toggle_play),
        # ← / → step the σ slider, or the scenes while a lesson plays (clickers send PageUp / PageDown)
        add(keys.Key_Left, lambda: window.lessons.previous() if window.lessons.active else window.sigma_bar.nudge(-1)),
        add(keys.Key_Right, lambda: window.lessons.next() if window.lessons.active else window.sigma_bar.nudge(+1)),
        add(keys.Key_PageDown, window.lessons.next),
        add(keys.Key_PageUp, window.lessons.previous),
        add(keys.Key_T, window.toggle_training),
        add(keys.Key_R, window.reset_particles),
        add(keys.Key_P, window.view_panel.trajectories.toggle),   # the View panel's box, which redraws them
        add(keys.Key_D, window.view_panel.density.click),         # nothing while the box is disabled (D ≠ 2)
    ]


def ask_load(window) -> None:
    """File → Load data: a point file or a density image, opened in the window."""
    path, _ = QtWidgets.QFileDialog.getOpenFileName(window, "Load data", "", "Data (*.npy *.csv *.png)")
    if path:
        window.load_data_file(path)


def ask_import_schedule(window) -> None:
    """Schedule → Import…: the Schedule tab in front (its report shows what was read), then a diffusers
    scheduler_config.json from a file dialog."""
    window.show_schedule_lab()
    window.schedule_dock.ask_import()


def use_gallery_schedule(window, name: str) -> None:
    """Schedule → Published schedules → one of them: the lab's process, with the Schedule tab in front."""
    window.show_schedule_lab()
    window.schedule_dock.use_gallery(name)


def ask_lesson(window) -> None:
    """Help → Lessons → Open lesson file: a TOML lesson of the user's own."""
    path, _ = QtWidgets.QFileDialog.getOpenFileName(window, "Open lesson", "", "Lessons (*.toml);;All files (*)")
    if path:
        window.lessons.open(path)


SESSION_FILTER = "scoreviz sessions and checkpoints (*.scoreviz *.ckpt);;All files (*)"


def ask_open_session(window) -> None:
    """File → Open session: a saved session, or a checkpoint made by `scoreviz train` (its points and model)."""
    path, _ = QtWidgets.QFileDialog.getOpenFileName(window, "Open session", "", SESSION_FILTER)
    if path:
        window.sessions.open(path)


def ask_save_session(window) -> None:
    """File → Save session: data, settings, schedule, view and model in one file (also a checkpoint)."""
    path, _ = QtWidgets.QFileDialog.getSaveFileName(window, "Save session", "lecture.scoreviz", SESSION_FILTER)
    if path:
        window.sessions.save(path)


def ask_screenshot(window) -> None:
    path, _ = QtWidgets.QFileDialog.getSaveFileName(window, "Save screenshot", "scoreviz.png", "PNG (*.png)")
    if path:
        window.save_screenshot(path)
