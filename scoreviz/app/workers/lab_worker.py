"""The 2-D lab's compute worker: a QObject in its own QThread that runs a `lab.session.LabSession`.

It only times: a zero-interval QTimer calls `session.tick()` (a few ms of work), and slows to 5–15 ms when
the session is idle; the session's frames and messages leave through the worker's signals. Between ticks the
thread's event loop delivers the GUI's commands (`handle(command)`, queued; `lab.commands`), so a new σ, new data or a
pause take effect within one tick.
"""
from __future__ import annotations

import logging

from scoreviz.lab.session import LabSession

from scoreviz.app.qt import QtCore
from scoreviz.app.workers.ticking import TickingWorker

log = logging.getLogger(__name__)

IDLE_INTERVAL_MS = 15          # nothing to do: wake up now and then (commands arrive through the event loop anyway)
PENDING_INTERVAL_MS = 1        # steps and frames wait for their time (the beat of a 60-fps animation is 16.7 ms)


class ComputeWorker(TickingWorker):
    """Create without a parent, move to a QThread, connect `thread.started` to `start`."""

    def __init__(self):
        super().__init__()
        self.session = LabSession(self.frame.emit, self.message.emit)

    def _release(self) -> None:
        self.session.close()

    @QtCore.Slot()
    def _tick(self) -> None:
        if self._stopped:
            return
        try:
            busy, pending = self.session.tick()
        except Exception as exc:   # a bug must not kill the thread: say so once, stop training, keep the window
            log.exception("the 2-D lab's tick failed")
            self.session.set_training(False)
            self.message.emit("error", f"internal error: {type(exc).__name__}: {exc} (training paused; the log "
                                       "file has the traceback)")
            busy, pending = False, True
        if self._timer is not None:
            self._timer.setInterval(0 if busy else (PENDING_INTERVAL_MS if pending else IDLE_INTERVAL_MS))
