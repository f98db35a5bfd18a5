"""The compute worker in its thread: start/stop/shutdown, training that approaches the exact field."""
from __future__ import annotations

import math
import threading

import numpy as np
import pytest

from app_helpers import close_and_check, wait_field, window  # noqa: F401
from scoreviz.lab import commands as cmd
from scoreviz.lab import data_specs
from scoreviz.lab import frames as fr
from scoreviz.app.qt import QtCore
from scoreviz.app.workers.host import WorkerHost

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")


class Sink(QtCore.QObject):
    """A GUI-thread receiver (worker signals go to bound methods of GUI-thread QObjects only)."""

    def __init__(self):
        super().__init__()
        self.frames: list = []
        self.messages: list = []
        self.threads: set = set()

    @QtCore.Slot(object)
    def on_frame(self, f):
        self.threads.add(threading.get_ident())
        self.frames.append(f)

    @QtCore.Slot(str, str)
    def on_message(self, level, text):
        self.messages.append((level, text))

    def of(self, kind):
        return [f for f in self.frames if isinstance(f, kind)]


def test_worker_start_stop_shutdown(qtbot):
    host = WorkerHost()
    sink = Sink()
    host.worker.frame.connect(sink.on_frame)
    host.worker.message.connect(sink.on_message)
    host.start()
    try:
        spec = data_specs.preset_spec("8gaussians", 1000)
        host.send(cmd.SetView((-4.0, 4.0, -4.0, 4.0)))
        host.send(cmd.SetData(data_specs.stamped(spec, 1, True)))
        qtbot.waitUntil(lambda: bool(sink.of(fr.ProcessFrame) and sink.of(fr.FieldFrame)), timeout=15_000)
        assert sink.threads == {threading.get_ident()}, "frames must be delivered in the GUI thread"
        host.send(cmd.Configure(model_size="small"))
        host.send(cmd.Train(True))
        qtbot.waitUntil(lambda: any(f.step > 20 and f.running for f in sink.of(fr.TrainingFrame)), timeout=20_000)
        host.send(cmd.Train(False))
        qtbot.waitUntil(lambda: not sink.of(fr.TrainingFrame)[-1].running, timeout=10_000)
        step = sink.of(fr.TrainingFrame)[-1].step
        qtbot.wait(300)
        assert sink.of(fr.TrainingFrame)[-1].step == step, "training went on after pause"
        host.send(cmd.Train(True))
        qtbot.waitUntil(lambda: sink.of(fr.TrainingFrame)[-1].step > step, timeout=10_000)
        host.send(cmd.Release(fr.ParticleRequest(name="em", n=500, steps=2000, source="learned")))
        qtbot.waitUntil(lambda: any(f.step > 2 for f in sink.of(fr.ParticleFrame)), timeout=15_000)
        # a command the session has no handler for, and a misspelt choice: error messages, and the thread goes on
        host.send(("release", None))
        qtbot.waitUntil(lambda: any("tuple: the 2-D lab has no command tuple" in m for _, m in sink.messages),
                        timeout=5_000)
        host.send(cmd.Configure(process="vpp"))
        qtbot.waitUntil(lambda: any(level == "error" and m.startswith("Configure: unknown process 'vpp'")
                                    for level, m in sink.messages), timeout=5_000)
        step = sink.of(fr.TrainingFrame)[-1].step
        qtbot.waitUntil(lambda: sink.of(fr.TrainingFrame)[-1].step > step, timeout=10_000)
    finally:
        # shutdown mid-training and mid-sampling: ends within the timeout, no Qt warnings
        assert host.shutdown(10_000)
    assert host.thread.isFinished()
    assert host.worker.thread() is QtCore.QCoreApplication.instance().thread()


def test_training_makes_the_field_approach_the_exact_one(window, qtbot):
    window.training_panel.set_options({"model_size": "small"})
    window.send_config()
    window.sigma_bar.set_fraction(0.5)   # the middle σ (geometric middle of the range)
    window.set_training(True)
    first = wait_field(qtbot, window, lambda f: f.source == "learned" and math.isfinite(f.rel_error))
    best = wait_field(qtbot, window, lambda f: f.source == "learned" and f.rel_error < 0.3, timeout=60_000)
    assert best.rel_error < first.rel_error
    qtbot.waitUntil(lambda: math.isfinite(window.last_train.time_to_match), timeout=30_000)
    t = window.last_train
    assert t.mid_error <= 0.3 and t.time_to_match < 30
    assert np.isfinite(t.loss_history).all() and len(t.loss_history) > 10
    assert window.training_panel.error_label.text().startswith("error")
