"""The image-mode worker: a parentless QObject in its own QThread that owns an `ImageSession` (all torch state
lives there), times its ticks and relays the session's frames and messages through its signals.

A zero-interval QTimer calls `session.tick()` (the tick's rules, on the session's clock, are in
`lab.images.session`); when the session is idle the timer slows to IDLE_INTERVAL_MS. Between ticks the event
loop delivers the GUI's commands (`handle(command)`, queued; `lab.images.commands`).

The MNIST download blocks the thread while it runs (it reads a socket); its cancel button sets a flag that the
download polls between chunks (`request_cancel`, safe from any thread).
"""
from __future__ import annotations

from scoreviz.lab.images.session import ImageSession

from scoreviz.app.workers.ticking import TickingWorker

IDLE_INTERVAL_MS = 20     # nothing to do: no need to spin (a command wakes the worker through the event loop)


class ImageWorker(TickingWorker):
    """Create without a parent, move to a QThread, connect `thread.started` to `start`."""

    def __init__(self, model_size: str = "cpu", device: str = "auto", threads: int | None = None,
                 max_images: int | None = None):
        super().__init__(threads)
        self.session = ImageSession(self.frame.emit, self.message.emit, model_size=model_size, device=device,
                                    max_images=max_images)

    def request_cancel(self) -> None:
        """Cancel a running download (thread-safe: called directly from the GUI thread)."""
        self.session.request_cancel()

    def _release(self) -> None:
        self.session.release()

    def _tick(self) -> None:
        if self._stopped:
            return
        busy = self.session.tick()
        if self._timer is not None:
            self._timer.setInterval(0 if busy else IDLE_INTERVAL_MS)
