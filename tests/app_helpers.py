"""Fixtures and helpers for the app tests: a real MainWindow with its worker thread, checked for leaks."""
from __future__ import annotations

import gc

import numpy as np
import pytest

from scoreviz.app.qt import QtCore, QtWidgets


def make_window(qtbot, tmp_path, **kwargs):
    from scoreviz.app.window.main_window import MainWindow
    from scoreviz.app.window.settings import Settings

    settings = Settings(QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat))
    window = MainWindow(settings=settings, **kwargs)
    qtbot.addWidget(window)
    window.resize(1200, 800)
    return window


def open_window(qtbot, tmp_path, preset: str, timeout=20_000):
    """A shown window on `preset` once the worker has sent its noise process and a first field."""
    w = make_window(qtbot, tmp_path, preset=preset)
    w.show()
    qtbot.waitUntil(lambda: w.process is not None and w.last_field is not None, timeout=timeout)
    return w


def close_and_check(window) -> None:
    """Close the window; its worker thread must have ended and no top-level window may stay visible."""
    host = window.host
    window.close()
    assert not host.running
    assert host.thread.isFinished(), "the worker thread is still running after close"
    if getattr(window, "image_mode", None) is not None:
        assert window.image_mode._thread.isFinished(), "the image-mode worker is still running after close"
    QtWidgets.QApplication.processEvents()
    gc.collect()
    visible = [w for w in QtWidgets.QApplication.topLevelWidgets() if w.isVisible()]
    assert not visible, f"widgets leaked: {visible}"


@pytest.fixture
def window(qtbot, tmp_path):
    w = make_window(qtbot, tmp_path)
    qtbot.waitUntil(lambda: w.process is not None and w.last_field is not None, timeout=20_000)
    yield w
    close_and_check(w)


def wait_field(qtbot, window, predicate, timeout=15_000):
    """Wait until a drawn field frame satisfies predicate(frame); returns it."""
    box = {}

    def check():
        f = window.last_field
        if f is not None and predicate(f):
            box["f"] = f
            return True
        return False

    qtbot.waitUntil(check, timeout=timeout)
    return box["f"]


def near_data_fraction(positions: np.ndarray, data: np.ndarray, radius: float) -> float:
    """Fraction of positions within radius of some data point."""
    sub = data[np.random.default_rng(0).permutation(len(data))[:2000]]
    d2 = ((positions[:, None, :] - sub[None, :, :]) ** 2).sum(-1)
    return float((d2.min(1) <= radius**2).mean())
