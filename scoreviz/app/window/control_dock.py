"""The dock on the right: the data, training, particle and view panels in one scrolling column."""
from __future__ import annotations

from typing import Protocol

from scoreviz.lab import commands as cmd

from scoreviz.app.canvas.data_editor import DataEditor
from scoreviz.app.panels import DataPanel, SamplingPanel, TrainingPanel, ViewPanel
from scoreviz.app.panels.common import dock_contents
from scoreviz.app.qt import QtWidgets

MIN_WIDTH = 380


class ControlActions(Protocol):
    """What the panels' requests reach (the main window satisfies it)."""

    editor: DataEditor

    def send(self, command: cmd.LabCommand) -> None: ...
    def load_preset(self, name: str) -> bool: ...
    def ask_load_data(self) -> None: ...
    def send_config(self, *_) -> None: ...
    def set_training(self, on: bool) -> None: ...
    def reset_training(self) -> None: ...
    def release_particles(self, origin=None) -> None: ...
    def reset_particles(self) -> None: ...
    def set_trails(self, on: bool) -> None: ...
    def apply_view_options(self) -> None: ...
    def set_theme(self, name: str) -> None: ...


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

    def wire(self, actions: ControlActions) -> None:
        """Connect the panels' requests to the window's actions and the session's commands."""
        send = actions.send
        d, t, s, v = self.data, self.training, self.sampling, self.view
        d.preset_chosen.connect(actions.load_preset)
        d.load_requested.connect(actions.ask_load_data)
        d.clear_requested.connect(actions.editor.clear)
        d.undo_requested.connect(actions.editor.undo)
        d.redo_requested.connect(actions.editor.redo)
        t.configure.connect(actions.send_config)
        t.train_toggled.connect(actions.set_training)
        t.reset_requested.connect(actions.reset_training)
        s.release_requested.connect(actions.release_particles)
        s.play_toggled.connect(lambda on: send(cmd.SamplerPlay(on)))
        s.step_requested.connect(lambda: send(cmd.SamplerStep()))
        s.reset_requested.connect(actions.reset_particles)
        s.speed_changed.connect(lambda value: send(cmd.SetSpeed(value)))
        s.trails.toggled.connect(actions.set_trails)
        v.changed.connect(actions.apply_view_options)
        v.theme_changed.connect(actions.set_theme)
