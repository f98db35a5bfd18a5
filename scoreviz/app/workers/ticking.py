"""The shape every compute worker shares: a QObject created without a parent and moved to a QThread, driven by a
zero-interval QTimer, taking commands as queued `handle(command)` calls.

A worker owns a lab session (`lab.session.LabSession`, `lab.images.session.ImageSession`) with the same
convention: the worker hands every command object to `session.handle(command)` and calls `session.tick()`
from its timer; it only times the ticks and relays the session's frames and messages. `Shutdown` is the
worker's own command. Only frozen NumPy frames and strings leave a worker.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import torch

from scoreviz.core.device import configure_cpu_threads

from scoreviz.app.qt import QtCore


@dataclass(frozen=True)
class Shutdown:
    """Stop the worker's timer, drop its torch state and hand the worker back to the GUI thread."""


class TickingWorker(QtCore.QObject):
    """Subclasses set `session` (with `handle(command)` and `tick()`) and implement `_tick()` (time one
    `session.tick()`) and `_release()`."""

    frame = QtCore.Signal(object)       # a frozen frame dataclass
    message = QtCore.Signal(str, str)   # (level: "info" | "warning" | "error", text)
    finished = QtCore.Signal()

    session = None

    def __init__(self, threads: int | None = None):
        super().__init__()
        self.threads = threads
        self._timer: QtCore.QTimer | None = None
        self._stopped = False

    @QtCore.Slot()
    def start(self) -> None:
        """Runs in the worker thread: leave one core to the GUI (the GUI thread must stay responsive), then tick."""
        if self.threads:
            torch.set_num_threads(self.threads)
        else:
            configure_cpu_threads(reserve_gui=True)
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._tick)
        self._timer.start()

    @QtCore.Slot(object)
    def handle(self, command) -> None:
        """Every GUI command arrives here (queued, in the worker thread); errors, an unknown command among them,
        become messages in the window."""
        if self._stopped:
            return
        if isinstance(command, Shutdown):
            self._shutdown()
            return
        try:
            self.session.handle(command)
        except Exception as exc:  # a bad command must not kill the thread: report it in the window
            # and keep the traceback in the log file (the window shows one line; a bug report needs more)
            name = type(command).__name__
            logging.getLogger(__name__).exception("worker command %s failed", name)
            self.message.emit("error", f"{name}: {exc}")
        if self._timer is not None:
            self._timer.setInterval(0)

    def _shutdown(self) -> None:
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

    def _release(self) -> None:
        """Drop torch state (model, sampler) at shutdown."""
