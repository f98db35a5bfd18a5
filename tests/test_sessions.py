"""Saved sessions: a round trip gives the same data, model, field and samples; bad files change nothing and
never run code; checkpoints made by `scoreviz train` open in the 2-D lab."""
from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

from app_helpers import close_and_check, make_window
from scoreviz.lab import frames as fr
from scoreviz.lab.commands import SetView

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")


def _open(qtbot, window, path):
    before = window.sessions.last_opened
    window.sessions.open(str(path))
    qtbot.waitUntil(lambda: window.sessions.last_opened is not before, timeout=20_000)
    return window.sessions.last_opened


def _final_particles(qtbot, window, seed_request):
    window.sampling_panel.set_options(seed_request)
    window.sampling_panel.set_speed(0)
    window.release_particles()
    qtbot.waitUntil(lambda: window.last_particles is not None and window.last_particles.finished, timeout=30_000)
    return window.last_particles.positions.copy()


def test_round_trip_same_data_model_field_and_samples(qtbot, tmp_path):
    path = tmp_path / "lecture.scoreviz"
    request = {"sampler": "ode", "source": "learned", "n": 300, "steps": 30}
    w = make_window(qtbot, tmp_path, preset="8gaussians")
    try:
        qtbot.waitUntil(lambda: w.process is not None and w.last_field is not None, timeout=20_000)
        w.set_training(True)
        qtbot.waitUntil(lambda: w.last_train is not None and w.last_train.step > 150, timeout=30_000)
        w.set_training(False)
        qtbot.waitUntil(lambda: not w.last_train.running, timeout=10_000)
        steps = w.last_train.step
        w.set_sigma(0.3)      # a σ other than the start's: this field is computed after the pause, from the final model
        qtbot.waitUntil(lambda: w.last_field.source == "learned" and abs(w.last_field.sigma - 0.3) < 0.02,
                        timeout=10_000)
        field = w.last_field
        samples = _final_particles(qtbot, w, request)
        points = w.data_points().copy()
        w.sessions.save(str(path))
        qtbot.waitUntil(lambda: "Saved the session" in w.last_message[1], timeout=20_000)
    finally:
        close_and_check(w)
    assert path.is_file()

    w = make_window(qtbot, tmp_path, preset="moons")          # another preset first: the session replaces it
    try:
        qtbot.waitUntil(lambda: w.process is not None, timeout=20_000)
        opened = _open(qtbot, w, path)
        assert opened.has_model and opened.spec.name == "8gaussians"
        np.testing.assert_array_equal(w.data_points(), points)
        qtbot.waitUntil(lambda: w.last_train is not None and w.last_train.step == steps, timeout=10_000)
        qtbot.wait(200)                                        # the view the session restored has been sent
        x, y, width, height = field.heat_rect
        w.send(SetView((x, x + width, y, y + height)))     # the very same grid as before the save
        qtbot.waitUntil(lambda: w.last_field is not None and w.last_field.data_version == opened.spec.version
                        and w.last_field.source == "learned"
                        and np.allclose(w.last_field.heat_rect, field.heat_rect), timeout=10_000)
        same = w.last_field
        assert same.sigma == pytest.approx(field.sigma, rel=1e-6)
        np.testing.assert_allclose(same.points, field.points, atol=1e-5)
        np.testing.assert_allclose(same.vectors, field.vectors, atol=1e-5)      # the same learned field
        np.testing.assert_allclose(_final_particles(qtbot, w, request), samples, atol=1e-5)   # the same samples
        assert w.training_panel.options()["process"] == "ve"
    finally:
        close_and_check(w)


class _Planted:
    """A pickle that would create a file if it were ever unpickled with code execution."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("kind", ["garbage", "pickle", "newer", "truncated", "empty"])
def test_a_bad_session_file_gives_a_message_and_changes_nothing(qtbot, tmp_path, kind):
    path, marker = tmp_path / f"{kind}.scoreviz", tmp_path / "code-ran"
    if kind == "garbage":
        path.write_bytes(np.random.default_rng(0).bytes(3000))
    elif kind == "pickle":
        torch.save({"format": "scoreviz-session", "version": 1, "session": _Planted(marker)}, path)
    elif kind == "newer":
        torch.save({"format": "scoreviz-session", "version": 1, "session": {"version": 99}}, path)
    elif kind == "truncated":
        torch.save({"format": "scoreviz-session", "version": 1, "session": {"version": 1}}, path)
        path.write_bytes(path.read_bytes()[:40])
    else:
        path.write_bytes(b"")
    w = make_window(qtbot, tmp_path, preset="moons")
    try:
        qtbot.waitUntil(lambda: w.process is not None and w.last_field is not None, timeout=20_000)
        version, points = w.editor.version, w.data_points().copy()
        w.sessions.open(str(path))
        qtbot.waitUntil(lambda: w.last_message[0] == "error", timeout=10_000)
        assert str(path) in w.last_message[1] and "Nothing was changed" in w.last_message[1]
        assert w.editor.version == version and np.array_equal(w.data_points(), points)
        assert not marker.exists(), "a session file ran code"
    finally:
        close_and_check(w)


def test_a_checkpoint_from_scoreviz_train_opens_with_its_points_and_model(qtbot, tmp_path, one_torch_thread):
    from scoreviz.core.checkpoint import save_checkpoint
    from scoreviz.core.data import make_preset
    from scoreviz.core.recipes.points import make_trainer

    data = make_preset("rings", n_train=800)
    trainer = make_trainer(data.train, device="cpu", steps=40)
    trainer.train()
    ckpt = tmp_path / "rings.ckpt"
    save_checkpoint(ckpt, trainer=trainer, data_name="rings", fingerprint=data.fingerprint())
    w = make_window(qtbot, tmp_path, preset="moons")
    try:
        qtbot.waitUntil(lambda: w.process is not None, timeout=20_000)
        opened = _open(qtbot, w, ckpt)
        assert opened.has_model and opened.spec.name == "rings"
        np.testing.assert_allclose(w.data_points(), data.train.numpy(), atol=1e-6)
        qtbot.waitUntil(lambda: w.last_train is not None and w.last_train.step == 40, timeout=10_000)
    finally:
        close_and_check(w)


def test_painted_points_survive_a_round_trip_without_a_model(qtbot, tmp_path):
    path = tmp_path / "painted.scoreviz"
    w = make_window(qtbot, tmp_path, preset="moons")
    try:
        qtbot.waitUntil(lambda: w.process is not None, timeout=20_000)
        w.editor.clear()
        w.data_panel.set_tool("blob")
        w.gestures.click(1.0, 1.0)
        w.gestures.click(-1.0, -1.0)
        points = w.data_points().copy()
        qtbot.waitUntil(lambda: w.process is not None and w.editor.spec is not None, timeout=10_000)
        qtbot.wait(300)
        w.sessions.save(str(path))
        qtbot.waitUntil(lambda: "Saved the session" in w.last_message[1], timeout=10_000)
        w.load_preset("rings")
        opened = _open(qtbot, w, path)
        assert not opened.has_model
        np.testing.assert_array_equal(w.data_points(), points)
    finally:
        close_and_check(w)
