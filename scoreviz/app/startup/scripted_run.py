"""The launcher's scripted run (docs, tests, lecture slides): train → sample → screenshot → quit, driven by the
window's GUI-thread relay signals (a signal of the worker thread would run its slot there), never by
wall-clock guesses except --quit-after."""
from __future__ import annotations

import sys
import time

from scoreviz.app.qt import QtCore


class ScriptedRun(QtCore.QObject):
    """Drives the window through train → sample → screenshot → quit, from GUI-thread relay signals."""

    def __init__(self, window, args, app):
        super().__init__(window)
        self.window, self.args, self.app = window, args, app
        self.phase = "start"
        self.exit_code = 0
        self.started = time.perf_counter()
        window.train_shown.connect(self._on_train)
        window.particles_shown.connect(self._on_particles)
        window.process_shown.connect(self._on_process)
        self._poll = QtCore.QTimer(self)
        self._poll.setInterval(100)
        self._poll.timeout.connect(self._check)
        self._poll.start()
        self._sigma_set = False

    @property
    def scripted(self) -> bool:
        a = self.args
        return bool(a.screenshot or a.train_steps or a.sample or a.quit_after or getattr(a, "record", None))

    def _on_process(self, _process) -> None:
        if self.args.sigma is not None and not self._sigma_set:
            self._sigma_set = True
            self.window.set_sigma(self.args.sigma)
        if self.phase == "start":
            if self.args.train_steps > 0:
                self.phase = "training"
                self.window.set_training(True)
            elif self.args.train:
                self.window.set_training(True)
                self._start_sampling()
            else:
                self._start_sampling()

    def _on_train(self, frame) -> None:
        if self.phase == "training" and frame.step >= self.args.train_steps:
            self.window.set_training(bool(self.args.train))
            self._start_sampling()

    def _start_sampling(self) -> None:
        if self.args.sample > 0:
            self.phase = "sampling"
            if getattr(self.args, "record", None) and not self._start_recording():
                return
            self.window.release_particles()
        else:
            self.phase = "settle"
            self._settle_since = time.perf_counter()

    def _start_recording(self) -> bool:
        """--record: the next run (the one released now) becomes the clip; the run ends when it is written."""
        recorder = self.window.recorder
        recorder.finished.connect(self._on_recorded)
        if recorder.start(self.args.record, once=True):
            return True
        print(f"scoreviz: {self.window.last_message[1]}", file=sys.stderr)
        self.exit_code = 2
        self._finish()
        return False

    def _on_recorded(self, path: str, frames: int) -> None:
        if not frames:
            print(f"scoreviz: nothing was recorded to {self.args.record}", file=sys.stderr)
            self.exit_code = 1
        else:
            print(f"recorded {frames} frames to {path}", file=sys.stderr)
        self.phase = "settle"
        self._settle_since = time.perf_counter()

    def _on_particles(self, frame) -> None:
        if self.phase == "sampling" and frame.finished and not getattr(self.args, "record", None):
            self.phase = "settle"
            self._settle_since = time.perf_counter()

    def _check(self) -> None:
        a = self.args
        elapsed = time.perf_counter() - self.started
        if a.quit_after is not None and elapsed >= a.quit_after:
            self._finish()
        elif self.phase == "settle" and time.perf_counter() - self._settle_since > 0.6:
            if a.screenshot or a.train_steps or a.sample:
                self._finish()

    def _finish(self) -> None:
        if self.phase == "done":
            return
        self.phase = "done"
        self._poll.stop()
        if self.args.screenshot:
            if not self.window.save_screenshot(self.args.screenshot):
                print(f"scoreviz: could not write the screenshot {self.args.screenshot}", file=sys.stderr)
                self.exit_code = 1
        self.window.close()
        self.app.exit(self.exit_code)
