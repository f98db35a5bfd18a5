"""The dock on the right: the data, training, particle and view panels in one scrolling column."""
from __future__ import annotations

from scoreviz.app.panels import DataPanel, SamplingPanel, TrainingPanel, ViewPanel
from scoreviz.app.panels.common import dock_contents
from scoreviz.app.qt import QtWidgets
from scoreviz.app.window.menus import ask_load

MIN_WIDTH = 380


class ControlDock(QtWidgets.QDockWidget):
    """Holds the four panels (`data`, `training`, `sampling`, `view`); movable and floatable, not closable."""

    def __init__(self, parent, preset_names: list[str], devices: list[str]):
        super().__init__("Controls", parent)
        self.setObjectName("controls")   # the window's saved layout finds the dock by this name
        self.data = DataPanel(preset_names)
        self.training = TrainingPanel(devices)
        self.sampling = SamplingPanel()
        self.view = ViewPanel()
        column = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(column)
        layout.setContentsMargins(4, 0, 4, 4)
        for panel in (self.data, self.training, self.sampling, self.view):
            layout.addWidget(panel)
        layout.addStretch(1)
        dock_contents(self, column, MIN_WIDTH)

    def apply_theme(self, theme, mode_colours) -> None:
        """The panels' plots in the theme's colours; the mode-weight bars in the scene's mode colours."""
        self.sampling.set_mode_colours(mode_colours)
        for plot in (self.training.loss_plot, self.training.level_plot, self.sampling.modes_plot):
            plot.setBackground(theme.panel)
        self.view.set_options({"theme": theme.name})
        self.training.loss_curve.setPen(theme.accent)
        self.training.level_bars.setOpts(brush=theme.accent)

    def wire(self, window) -> None:
        """Connect the panels' requests to the window's actions and the worker's commands."""
        send = window.host.send
        d, t, s, v = self.data, self.training, self.sampling, self.view
        d.preset_chosen.connect(window.load_preset)
        d.load_requested.connect(lambda: ask_load(window))
        d.clear_requested.connect(window.editor.clear)
        d.undo_requested.connect(window.editor.undo)
        d.redo_requested.connect(window.editor.redo)
        t.configure.connect(window._send_config)
        t.train_toggled.connect(window.set_training)
        t.reset_requested.connect(window.reset_training)
        s.release_requested.connect(window.release_particles)
        s.play_toggled.connect(lambda on: send("sampler_play", on))
        s.step_requested.connect(lambda: send("sampler_step"))
        s.reset_requested.connect(window.reset_particles)
        s.speed_changed.connect(lambda value: send("speed", value))
        s.trails.toggled.connect(window._on_trails)
        v.changed.connect(window._on_view_options)
        v.theme_changed.connect(window.set_theme)
