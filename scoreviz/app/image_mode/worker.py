"""The image-mode worker: a parentless QObject in its own QThread (GUIDE §2) that owns an `ImageSession` (all
torch state lives there), times its ticks and relays the session's frames and messages through its signals.

A zero-interval QTimer drives it: one training step (when training) with its read-outs at most 10 per second,
one sampler step (when a run is going), then the σ-slider batch when it is stale (and every 2 s while training).
Between ticks the event loop delivers the GUI's commands (`handle(name, payload)`, queued).

The MNIST download blocks the thread while it runs (it reads a socket); its cancel button sets a
`threading.Event` that the download polls between chunks (`request_cancel`, safe from any thread).
"""
from __future__ import annotations

import threading
import time

from scoreviz.lab.images.frames import ImageSampleRequest
from scoreviz.lab.images.session import ImageSession
from scoreviz.lab.rate_meter import RateMeter

from scoreviz.app.workers.ticking import TickingWorker

TRAIN_EMIT = 0.1          # training read-outs at most 10 per second
SIGMA_REFRESH = 2.0       # the σ-slider denoising is redone this often while training


class ImageWorker(TickingWorker):
    """Create without a parent, move to a QThread, connect `thread.started` to `start`."""

    def __init__(self, model_size: str = "cpu", device: str = "auto", threads: int | None = None,
                 max_images: int | None = None):
        super().__init__(threads)
        self._cancel = threading.Event()
        self.session = ImageSession(self.frame.emit, self.message.emit, model_size=model_size, device=device,
                                    max_images=max_images)
        self._rate = RateMeter(window=5.0)
        self._last_train_emit = 0.0
        self._last_sigma = 0.0

    # --- lifecycle -------------------------------------------------------------------------------------------
    def request_cancel(self) -> None:
        """Cancel a running download (thread-safe: called directly from the GUI thread)."""
        self._cancel.set()

    def _release(self) -> None:
        self.session.release()

    # --- commands (queued from the GUI) ----------------------------------------------------------------------
    def _cmd_load_data(self, payload: dict) -> None:
        self.session.load_data(payload.get("kind", "mnist"), payload.get("dir"))

    def _cmd_download(self, payload: dict) -> None:
        self._cancel.clear()
        self.session.download(payload.get("dest"), mirrors=payload.get("mirrors"), files=payload.get("files"),
                              timeout=payload.get("timeout", 30), cancelled=self._cancel.is_set)

    def _cmd_model(self, payload: dict) -> None:
        self.session.configure(size=payload.get("size"), conditional=payload.get("conditional"),
                               device=payload.get("device"))
        self._rate.clear()

    def _cmd_open_checkpoint(self, path: str) -> None:
        self.session.open_checkpoint(path)

    def _cmd_save_checkpoint(self, path: str) -> None:
        self.session.save_checkpoint(path)

    def _cmd_train(self, on: bool) -> None:
        self._rate.clear()
        self.session.set_training(on)

    def _cmd_sample(self, request: ImageSampleRequest) -> None:
        self.session.start_sampling(request)

    def _cmd_stop_sampling(self, _=None) -> None:
        self.session.stop_sampling()

    def _cmd_sigma(self, sigma: float) -> None:
        self.session.set_sigma(sigma)

    # --- the tick --------------------------------------------------------------------------------------------
    def _tick(self) -> None:
        if self._stopped:
            return
        session, busy, now = self.session, False, time.perf_counter()
        if session.training:
            if session.train_step():
                session.note_rate(self._rate.mark(session.trainer.step_count))
            if now - self._last_train_emit >= TRAIN_EMIT:
                self._last_train_emit = now
                session.training_frame()
            if now - self._last_sigma > SIGMA_REFRESH:
                session.sigma_stale = True
            busy = True
        if session.sampling:
            session.sample_step()
            busy = True
        if session.sigma_stale:
            self._last_sigma = now
            session.sigma_frame()
            busy = True
        # idle: no need to spin; the next command wakes it up (delivered by the event loop anyway)
        if self._timer is not None:
            self._timer.setInterval(0 if busy else 20)
