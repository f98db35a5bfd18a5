"""The shape every compute worker shares (GUIDE §2): a QObject created without a parent and moved to a QThread,
driven by a zero-interval QTimer, taking commands as queued `handle(name, payload)` calls.

Subclasses implement `_tick()` (a few ms of work per call) and `_cmd_<name>(payload)` for each command (or
`_command(name)` to hand commands to a lab session), and
`_release()` to drop their torch state on shutdown. Only frozen NumPy frames and strings leave a worker.
"""
from __future__ import annotations

import logging

import torch

from scoreviz.core.device import configure_cpu_threads

from scoreviz.app.qt import QtCore


class TickingWorker(QtCore.QObject):
    frame = QtCore.Signal(object)       # a frozen frame dataclass
    message = QtCore.Signal(str, str)   # (level: "info" | "warning" | "error", text)
    finished = QtCore.Signal()

    def __init__(self, threads: int | None = None):
        super().__init__()
        self.threads = threads
        self._timer: QtCore.QTimer | None = None
        self._stopped = False

    @QtCore.Slot()
    def start(self) -> None:
        """Runs in the worker thread: leave one core to the GUI (GUIDE §2), then tick."""
        if self.threads:
            torch.set_num_threads(self.threads)
        else:
            configure_cpu_threads(reserve_gui=True)
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._tick)
        self._timer.start()

    @QtCore.Slot(str, object)
    def handle(self, name: str, payload) -> None:
        """Every GUI command arrives here (queued, in the worker thread); errors become messages."""
        if self._stopped:
            return
        method = getattr(self, "_cmd_" + name, None) or self._command(name)
        if method is None:
            self.message.emit("error", f"internal: unknown command {name!r} for {type(self).__name__}")
            return
        try:
            method(payload)
        except Exception as exc:  # a bad command must not kill the thread: report it in the window
            # and keep the traceback in the log file (the window shows one line; a bug report needs more)
            logging.getLogger(__name__).exception("worker command %r failed", name)
            self.message.emit("error", f"{name}: {exc}")
        if self._timer is not None:
            self._timer.setInterval(0)

    def _cmd_shutdown(self, _=None) -> None:
        self._stopped = True
        if self._timer is not None:
            self._timer.stop()
        self._release()
        # Hand this object back to the GUI thread so it is destroyed there after the thread has finished.
        app = QtCore.QCoreApplication.instance()
        if app is not None:
            self.moveToThread(app.thread())
        self.finished.emit()

    def _tick(self) -> None:
        raise NotImplementedError

    def _command(self, name: str):
        """A command handled elsewhere (e.g. by a lab session's method), or None: unknown."""
        return None

    def _release(self) -> None:
        """Drop torch state (model, sampler) at shutdown."""
