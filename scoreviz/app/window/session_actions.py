"""File → Open session / Save session: the window's side of saved sessions (`lab.session_file` does the reading
and writing in the worker, where the model lives; the window sends its choices and view and, on opening,
shows what the worker restored)."""
from __future__ import annotations

from scoreviz.lab import commands as cmd
from scoreviz.lab import frames as fr

from scoreviz.app.qt import QtCore


class SessionActions(QtCore.QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.last_opened: fr.SessionOpened | None = None

    def save(self, path: str) -> None:
        w = self.window
        view = w.scene.view_rect() if w.editor.dim != 1 else (*w.plot1d.x_range(), -1.0, 1.0)
        w.send(cmd.SaveSession(path=str(path), choices=w.choices(), view=tuple(view)))

    def open(self, path: str) -> None:
        """The worker reads the file; a bad one is reported and changes nothing (SessionOpened otherwise)."""
        self.window.set_training(False)
        self.window.send(cmd.OpenSession(path=str(path), version=self.window.editor.version + 1))

    def on_opened(self, frame: fr.SessionOpened) -> None:
        """Show what the worker restored: the data (no echo back), the remembered choices, the view."""
        w = self.window
        self.last_opened = frame
        w.editor.adopt(frame.spec)
        w.apply_choices(frame.choices)
        xmin, xmax, ymin, ymax = frame.view
        if frame.spec.dim == 1:
            w.plot1d.set_x_range(xmin, xmax)
        else:
            w.scene.set_view(xmin, xmax, ymin, ymax)
        w.set_sigma(frame.sigma)
        w.data_panel.show_preset(frame.spec.name)
