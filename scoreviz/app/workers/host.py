"""Owns the worker's QThread from the GUI side: start, send commands, shut down cleanly.

* The worker is created without a parent and moved to the thread; `thread.started → worker.start`.
* Commands (frozen dataclasses: `lab.commands`, `lab.images.commands`) go through one GUI-side signal
  `command(object)` connected to the worker's slot (queued).
* Worker signals are connected by the caller to bound methods of GUI-thread QObjects only (a lambda would
  run in the worker thread).
* Shutdown: a queued `Shutdown` command stops the worker's timer in its own thread; `worker.finished` is
  connected to `thread.quit` with a DirectConnection (quit is thread-safe; a queued quit would never arrive
  while we block in wait), then we wait with a timeout.
"""
from __future__ import annotations

from scoreviz.app.qt import QtCore
from scoreviz.app.workers.lab_worker import ComputeWorker
from scoreviz.app.workers.ticking import Shutdown


def prepare_gui_thread_for_worker() -> None:
    """Do on the GUI thread what would otherwise freeze it from the worker (measured with bench_gui):
    - the first `torch.optim.Adam(...)` imports torch._dynamo (~2 s holding the GIL: 260–475 ms GUI stalls),
      so import it here, once, before the worker starts;
    - a 1 ms GIL switch interval (default 5 ms) lets the GUI thread in sooner while the worker runs Python."""
    import sys

    import torch._dynamo  # noqa: F401

    sys.setswitchinterval(0.001)


class WorkerHost(QtCore.QObject):
    """The thread and command channel of one worker (default: the 2D lab's ComputeWorker)."""

    command = QtCore.Signal(object)

    def __init__(self, parent=None, worker: QtCore.QObject | None = None, name: str = "scoreviz-worker"):
        super().__init__(parent)
        self.thread = QtCore.QThread()
        self.thread.setObjectName(name)
        self.worker = worker if worker is not None else ComputeWorker()
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.start)
        self.worker.finished.connect(self.thread.quit, QtCore.Qt.ConnectionType.DirectConnection)
        self.command.connect(self.worker.handle)
        self.running = False

    def start(self) -> None:
        prepare_gui_thread_for_worker()
        self.thread.start()
        self.running = True

    def send(self, command) -> None:
        """Queue `command` (a command dataclass) for the worker; nothing once it has shut down."""
        if self.running:
            self.command.emit(command)

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Stop the worker and its thread; True if the thread ended within the timeout."""
        if not self.running:
            return True
        self.running = False
        self.command.emit(Shutdown())
        ended = self.thread.wait(timeout_ms)
        if not ended:  # the worker is stuck in a long computation: ask harder, then give up waiting
            self.thread.quit()
            ended = self.thread.wait(timeout_ms)
        return ended
