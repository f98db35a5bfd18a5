"""The real window on the offscreen platform: data editing, the σ slider, messages, training, particles."""
from __future__ import annotations

import math

import numpy as np
import pytest

from app_helpers import close_and_check, make_window, near_data_fraction, wait_field, window  # noqa: F401
from fake_clock import FakeClock
from scoreviz.app.qt import QtCore, QtGui, QtWidgets

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")


def _drag(widget, viewbox, points):
    """A real left-button drag through `points` (data coordinates) on the canvas viewport."""
    view = widget  # PlotWidget is a QGraphicsView
    vp = view.viewport()

    def to_widget(x, y):
        scene_pt = viewbox.mapViewToScene(QtCore.QPointF(x, y))
        return QtCore.QPointF(view.mapFromScene(scene_pt))

    def send(kind, pos, buttons):
        ev = QtGui.QMouseEvent(kind, pos, vp.mapToGlobal(pos), QtCore.Qt.MouseButton.LeftButton, buttons,
                               QtCore.Qt.KeyboardModifier.NoModifier)
        QtWidgets.QApplication.sendEvent(vp, ev)

    left = QtCore.Qt.MouseButton.LeftButton
    none = QtCore.Qt.MouseButton.NoButton
    pts = [to_widget(x, y) for x, y in points]
    send(QtCore.QEvent.Type.MouseButtonPress, pts[0], left)
    for p in pts[1:]:
        send(QtCore.QEvent.Type.MouseMove, p, left)
    send(QtCore.QEvent.Type.MouseButtonRelease, pts[-1], none)


def test_opens_on_moons_with_a_field_and_heat_map(window):
    f = window.last_field
    assert window.editor.name == "moons"
    assert f.points.shape[0] >= 12 * 12 and f.heat is not None
    assert np.isfinite(f.vectors).all()
    assert window.scene.backdrop.heat_rgb is not None


def test_paint_strokes_change_the_data(window, qtbot):
    window.data_panel.set_tool("brush")
    before = window.data_points().copy()
    x0, x1, y0, y1 = window.scene.view_rect()
    cx, cy = x0 + 0.8 * (x1 - x0), y0 + 0.85 * (y1 - y0)   # an empty corner
    stroke = [(cx + 0.02 * k * (x1 - x0), cy) for k in range(8)]
    _drag(window.scene.widget, window.scene.viewbox, stroke)
    after = window.data_points()
    assert len(after) > len(before), "the brush stroke added no points"
    new = after[len(before):]
    assert np.abs(new[:, 1] - cy).max() < 0.2 * (y1 - y0)
    # one stroke = one undo step; redo brings it back
    window.editor.undo()
    assert len(window.data_points()) == len(before)
    window.editor.redo()
    assert len(window.data_points()) == len(after)
    # the eraser removes points under it
    window.data_panel.set_tool("erase")
    _drag(window.scene.widget, window.scene.viewbox, stroke)
    assert len(window.data_points()) < len(after)
    # the worker trains and draws on the new data
    version = window.editor.version
    wait_field(qtbot, window, lambda f: f.data_version == version)


def test_click_tools_drop_points_and_blobs(window):
    n = len(window.data_points())
    window.data_panel.set_tool("point")
    window.gestures.click(0.5, 0.5)
    assert len(window.data_points()) == n + 1
    window.data_panel.set_tool("blob")
    window.gestures.click(-2.0, 3.0)
    assert len(window.data_points()) > n + 1
    window.editor.clear()
    assert len(window.data_points()) == 0
    window.editor.undo()
    assert len(window.data_points()) > n + 1


def test_the_sigma_slider_changes_the_field(window, qtbot):
    window.sigma_bar.set_fraction(0.15)
    low = wait_field(qtbot, window, lambda f: abs(f.sigma - window.sigma_bar.sigma) < 1e-9)
    window.sigma_bar.set_fraction(0.85)
    high = wait_field(qtbot, window, lambda f: abs(f.sigma - window.sigma_bar.sigma) < 1e-9)
    assert high.sigma > 10 * low.sigma
    # at a large σ the field is smooth: far more arrows agree with their neighbours than at a small σ
    assert not np.allclose(low.vectors / low.sigma, high.vectors / high.sigma)
    assert not np.allclose(low.heat, high.heat)
    # the keyboard moves it too
    s = window.sigma_bar.sigma
    window.sigma_bar.nudge(-1)
    assert window.sigma_bar.sigma < s


def test_field_views_exact_difference_denoiser(window, qtbot):
    for kind in ("exact", "difference", "denoiser", "learned"):
        window.view_panel.set_field_kind(kind)
        f = wait_field(qtbot, window, lambda f, k=kind: f.kind == k)
        assert np.isfinite(f.vectors).all()
    # without a model the difference view has nothing to show; the denoiser arrows are unbounded
    window.view_panel.set_field_kind("denoiser")
    f = wait_field(qtbot, window, lambda f: f.kind == "denoiser")
    assert not f.bounded


def test_a_bad_file_gives_a_message_and_changes_nothing(window, tmp_path):
    before = window.data_points().copy()
    version = window.editor.version
    bad = tmp_path / "broken.npy"
    bad.write_bytes(b"this is not numpy")
    assert not window.load_data_file(str(bad))
    assert window.last_message[0] == "error" and "broken.npy" in window.last_message[1]
    assert window.banner.isVisibleTo(window) and "broken.npy" in window.banner.text()
    nan = tmp_path / "nan.csv"
    nan.write_text("x,y\n1,2\nnan,3\n")
    assert not window.load_data_file(str(nan))
    assert "nan.csv" in window.last_message[1]
    assert not window.load_data_file(str(tmp_path / "missing.png"))
    assert window.editor.version == version
    np.testing.assert_array_equal(window.data_points(), before)
    good = tmp_path / "pts.csv"
    good.write_text("\n".join(f"{np.cos(a):.4f},{np.sin(a):.4f}" for a in np.linspace(0, 6, 200)))
    assert window.load_data_file(str(good))
    assert len(window.data_points()) > 100


def test_empty_canvas_training_gives_a_message(window, qtbot):
    window.editor.clear()
    window.set_training(True)
    qtbot.waitUntil(lambda: "empty" in window.last_message[1], timeout=10_000)
    qtbot.waitUntil(lambda: not window.training_panel.train.isChecked(), timeout=10_000)
    assert window.last_message[0] == "warning"


def test_training_paused_by_clear_goes_on_with_new_strokes(window, qtbot):
    """Clear, then paint: the run that was training goes on with the new data (as every other edit does)."""
    window.set_training(True)
    qtbot.waitUntil(lambda: window.last_train is not None and window.last_train.running and window.last_train.step > 5,
                    timeout=20_000)
    window.editor.clear()
    qtbot.waitUntil(lambda: "paused until there are data" in window.last_message[1], timeout=10_000)
    qtbot.waitUntil(lambda: not window.last_train.running, timeout=10_000)
    window.data_panel.set_tool("blob")
    window.gestures.click(0.5, 0.5)
    qtbot.waitUntil(lambda: "goes on with the new data" in window.last_message[1], timeout=10_000)
    step = window.last_train.step
    qtbot.waitUntil(lambda: window.last_train.running and window.last_train.step > step + 5, timeout=20_000)
    assert window.training_panel.train.isChecked()


def test_divergence_gives_a_message_and_keeps_the_model(window, qtbot, monkeypatch):
    from scoreviz.core.training import Trainer, TrainingDiverged

    real_step = Trainer.step
    calls = {"n": 0}

    def flaky_step(self):
        calls["n"] += 1
        if calls["n"] == 30:
            raise TrainingDiverged("training diverged at step 30 (loss = nan); the weights of step 0 were kept")
        return real_step(self)

    monkeypatch.setattr(Trainer, "step", flaky_step)
    window.set_training(True)
    qtbot.waitUntil(lambda: "diverged" in window.last_message[1], timeout=20_000)
    assert window.last_message[0] == "error"
    qtbot.waitUntil(lambda: window.last_train is not None and not window.last_train.running, timeout=10_000)
    assert window.last_train.step >= 1
    assert len(window.data_points()) == 4000


def test_particles_run_and_end_near_the_data(window, qtbot):
    window.sampling_panel.set_options({"sampler": "ode", "source": "exact", "n": 300, "steps": 25})
    window.sampling_panel.set_speed(0)
    window.release_particles()
    qtbot.waitUntil(lambda: window.last_particles is not None and window.last_particles.finished, timeout=60_000)
    f = window.last_particles
    assert f.positions.shape == (300, 2) and np.isfinite(f.positions).all()
    assert near_data_fraction(f.positions, window.data_points(), 0.3) > 0.9
    assert window.scene.particles.positions().shape == (300, 2)
    window.reset_particles()
    qtbot.waitUntil(lambda: not window.last_particles.sampler, timeout=10_000)


def test_particles_coloured_by_mode_with_weights(qtbot, tmp_path):
    w = make_window(qtbot, tmp_path, preset="8gaussians")
    try:
        qtbot.waitUntil(lambda: w.process is not None, timeout=20_000)
        w.sampling_panel.set_options({"sampler": "annealed", "source": "exact", "n": 800, "steps": 200})
        w.sampling_panel.set_speed(0)
        w.release_particles()
        qtbot.waitUntil(lambda: w.last_particles is not None and w.last_particles.finished, timeout=60_000)
        f = w.last_particles
        assert f.labels is not None and len(f.true_weights) == 8
        assert abs(f.mode_weights.sum() - 1) < 1e-6
        assert 0.5 * np.abs(f.mode_weights - f.true_weights).sum() < 0.15
        assert w.sampling_panel.modes_plot.isVisibleTo(w.sampling_panel)
    finally:
        close_and_check(w)


def test_langevin_from_a_clicked_point_and_keyboard(window, qtbot):
    window.sampling_panel.set_options({"sampler": "langevin", "source": "exact", "n": 300, "steps": 2000})
    window.sampling_panel.set_speed(15)              # slow: the first frames show where the particles start
    window.set_sigma(window.process.noise_min)       # Langevin at the smallest σ: steps of ~0.01
    window.data_panel.set_tool("release")
    click = np.array([1.4, -0.3])                    # far from the prior's centre
    window.gestures.click(*click)
    qtbot.waitUntil(lambda: window.last_particles is not None and window.last_particles.sampler == "langevin"
                    and window.last_particles.step >= 1, timeout=20_000)
    early = window.last_particles
    assert early.step <= 10
    assert np.linalg.norm(early.positions.mean(0) - click) < 0.1, "the particles did not start at the click"
    assert early.positions.std(0).max() < 0.15
    window.sampling_panel.set_speed(240)
    window.release_particles(tuple(click))          # the speed is sent with a release
    qtbot.waitUntil(lambda: window.last_particles.step > 3, timeout=20_000)
    window.toggle_play()   # space: pause
    qtbot.waitUntil(lambda: not window.last_particles.running, timeout=10_000)
    window.toggle_play()   # space: play again
    qtbot.waitUntil(lambda: window.last_particles.running, timeout=10_000)
    window.reset_particles()
    qtbot.waitUntil(lambda: not window.last_particles.sampler, timeout=10_000)


def test_one_dimensional_mode(qtbot, tmp_path):
    w = make_window(qtbot, tmp_path, preset="bimodal1d")
    try:
        qtbot.waitUntil(lambda: w.last_field is not None and w.last_field.__class__.__name__ == "Field1DFrame",
                        timeout=20_000)
        assert w.stack.currentWidget() is w.plot1d
        f = w.last_field
        assert np.isfinite(f.density).all() and f.density.max() > 0
        w.sampling_panel.set_options({"sampler": "ode", "source": "exact", "n": 500, "steps": 40})
        w.sampling_panel.set_speed(0)
        w.release_particles()
        qtbot.waitUntil(lambda: w.last_particles is not None and w.last_particles.finished, timeout=30_000)
        assert w.last_particles.positions.shape == (500, 1)
    finally:
        close_and_check(w)


def test_settings_are_remembered(qtbot, tmp_path):
    w = make_window(qtbot, tmp_path)
    qtbot.waitUntil(lambda: w.process is not None, timeout=20_000)
    w.view_panel.set_field_kind("exact")
    w.sampling_panel.set_options({"n": 1234})
    close_and_check(w)
    w2 = make_window(qtbot, tmp_path)
    try:
        assert w2.view_panel.field_kind == "exact"
        assert w2.sampling_panel.count.value() == 1234
    finally:
        close_and_check(w2)


def test_light_theme_switch(window):
    window.set_theme("light")
    assert window.theme.name == "light"
    img = window.scene.widget.grab().toImage()
    assert not img.isNull()
    window.set_theme("dark")


def test_image_mode_switch_builds_it_once_pauses_2d_and_shuts_down(window, qtbot):
    window.set_training(True)
    window.set_mode("images")
    image_mode = window.image_mode
    assert image_mode is not None and window.modes.currentWidget() is image_mode
    assert not window.dock.isVisible() or not window.isVisible()
    assert not window.training_panel.train.isChecked()
    window.set_mode("2d")
    window.set_mode("images")
    assert window.image_mode is image_mode
    window.set_mode("2d")
    assert window.modes.currentIndex() == 0


def test_keyboard_shortcuts_from_real_key_events(window, qtbot):
    """Key presses go through Qt's shortcut map (QTest key events on the active window), not the slots."""
    window.show()
    window.activateWindow()
    qtbot.waitUntil(lambda: QtWidgets.QApplication.activeWindow() is window, timeout=5_000)
    target = window.scene.widget
    key = QtCore.Qt.Key
    s = window.sigma_bar.sigma
    qtbot.keyClick(target, key.Key_Right)
    assert window.sigma_bar.sigma > s
    qtbot.keyClick(target, key.Key_Left)
    qtbot.keyClick(target, key.Key_Left)
    assert window.sigma_bar.sigma < s
    qtbot.keyClick(target, key.Key_T)   # train
    qtbot.waitUntil(lambda: window.last_train is not None and window.last_train.running, timeout=10_000)
    qtbot.keyClick(target, key.Key_T)   # pause
    qtbot.waitUntil(lambda: not window.last_train.running, timeout=10_000)
    window.sampling_panel.set_options({"sampler": "langevin", "source": "exact", "n": 200, "steps": 5000})
    window.release_particles()
    qtbot.waitUntil(lambda: window.last_particles is not None and window.last_particles.running, timeout=10_000)
    qtbot.keyClick(target, key.Key_Space)   # pause the particles
    qtbot.waitUntil(lambda: not window.last_particles.running, timeout=10_000)
    qtbot.keyClick(target, key.Key_R)       # reset them
    qtbot.waitUntil(lambda: not window.last_particles.sampler, timeout=10_000)
    n = len(window.data_points())
    window.editor.clear()
    assert len(window.data_points()) == 0
    qtbot.keyClick(target, key.Key_Z, QtCore.Qt.KeyboardModifier.ControlModifier)   # undo the clear
    assert len(window.data_points()) == n


def test_the_status_line_counts_the_animations_frames(qtbot):
    """While particles move, the frames/s in the status bar are the animation's (not every repaint, which also
    draws training and field read-outs); without particles, every repaint counts."""
    from scoreviz.app.window import perf_readout

    clock = FakeClock()
    perf = perf_readout.PerfReadout(clock)

    def one_second(particle_every: int | None) -> bool:
        """64 repaints in a second (a particle frame every `particle_every`-th), then the one that refreshes."""
        refreshed = False
        for i in range(65):
            clock.advance(1 / 64)
            refreshed = perf.count_frame(particles=particle_every is not None and i % particle_every == 0)
        return refreshed

    assert one_second(particle_every=2)
    assert perf.fps == pytest.approx(33 / (65 / 64))         # the particle frames only
    assert one_second(particle_every=None)
    assert perf.fps == pytest.approx(65 / (65 / 64))         # every repaint


def test_the_slider_shows_the_sigma_the_session_uses(window, qtbot):
    """The session owns σ: a request beyond the process's range comes back clamped, and the slider shows it."""
    from scoreviz.app.canvas.sigma_bar import STEPS

    hi = window.process.noise_max
    window.set_sigma(100 * hi)
    qtbot.waitUntil(lambda: window.sigma_bar.sigma == pytest.approx(hi, rel=1e-9), timeout=10_000)
    assert window.sigma_bar.slider.value() == STEPS and f"σ = {hi:.3g}" in window.sigma_bar.label.text()
    wait_field(qtbot, window, lambda f: f.sigma == pytest.approx(hi, rel=1e-9))
