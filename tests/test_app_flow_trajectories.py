"""The window's flow-matching view, trajectories and NFE read-out, driven through real widgets (offscreen)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from app_helpers import close_and_check, make_window, wait_field
from scoreviz.app.qt import QtCore, QtGui, QtWidgets
from scoreviz.core.processes import make_process
from scoreviz.core.recipes.points import sampling_options
from scoreviz.core.sampler_registry import sampler_entry
from scoreviz.core.sampler_runs import planned_nfe
from scoreviz.lab.run_lengths import window_options
from scoreviz.names import LOSSES, PROCESSES

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")


@pytest.fixture
def gaussians(qtbot, tmp_path):
    w = make_window(qtbot, tmp_path, preset="8gaussians")
    w.show()
    qtbot.waitUntil(lambda: w.process is not None and w.last_field is not None, timeout=30_000)
    yield w
    close_and_check(w)


def run_particles(window, qtbot, sampler="ode", nfe=41, n=300):
    """Release `n` particles of `sampler` on the exact score at full speed and wait for the end of the run."""
    window.sampling_panel.set_options({"sampler": sampler, "source": "exact", "n": n, "steps": nfe})
    window.sampling_panel.set_speed(0)
    window.sampling_panel.release.click()
    qtbot.waitUntil(lambda: window.last_particles is not None and window.last_particles.sampler == sampler
                    and window.last_particles.finished, timeout=30_000)
    return window.last_particles


def choose_in_combo(combo: QtWidgets.QComboBox, key: str) -> None:
    """Pick `key` as a person does: the item is chosen and the combo's `activated` fires."""
    i = combo.findData(key)
    assert i >= 0, key
    combo.setCurrentIndex(i)
    combo.activated.emit(i)


def test_flow_matching_trains_in_the_window_and_draws_its_velocity(gaussians, qtbot):
    w = gaussians
    assert "flow" in PROCESSES and "fm" in LOSSES
    assert w.training_panel.process.findData("flow") >= 0 and w.training_panel.loss.findData("fm") >= 0
    choose_in_combo(w.training_panel.process, "flow")
    choose_in_combo(w.training_panel.loss, "fm")
    qtbot.waitUntil(lambda: w.process.name == "flow", timeout=15_000)
    w.view_panel.field_buttons.buttons()[[b.property("kind") for b in w.view_panel.field_buttons.buttons()]
                                         .index("exact_velocity")].click()
    f = wait_field(qtbot, w, lambda f: f.kind == "exact_velocity")
    sigma = w.sigma_bar.sigma
    assert f.t == pytest.approx(sigma / (1 + sigma), rel=1e-6) and f.bounded and np.isfinite(f.vectors).all()
    assert "r(t)" in w.view_panel.legend.text()
    w.training_panel.train.click()
    qtbot.waitUntil(lambda: w.last_train is not None and w.last_train.step > 20, timeout=30_000)
    assert math.isfinite(w.last_train.loss)
    w.choose_field("velocity")
    learned = wait_field(qtbot, w, lambda f: f.kind == "velocity" and f.source == "learned")
    assert np.isfinite(learned.vectors).all() and math.isfinite(learned.rel_error)
    w.set_training(False)
    # the arrows stay inside their cells whatever |v| (bounded length)
    qtbot.waitUntil(lambda: w.last_field is learned or w.last_field.kind == "velocity", timeout=5_000)
    shown = np.concatenate([w.scene.field.lines_of_band(b) for b in range(w.scene.field.n_bands)])
    shaft = shown[0::3]
    assert np.hypot(shaft[:, 2] - shaft[:, 0], shaft[:, 3] - shaft[:, 1]).max() <= learned.cell * 0.93


def test_trajectories_toggle_cover_the_run_and_the_status_counts_nfe(gaussians, qtbot):
    w = gaussians
    f = run_particles(w, qtbot, "ode", nfe=41)
    # the NFE the registry predicts for this run: Heun's 20 steps · 2 + the final denoising
    process = make_process(w.process.name)
    options = sampling_options("ode", process, 41, **window_options(sampler_entry("ode"), 0.5))
    assert f.nfe == f.nfe_total == planned_nfe("ode", options) == 41
    assert w.status_nfe.text() == "NFE 41 / 41 · done"
    # trajectories: off by default, the box shows them, the key hides them again
    item = w.scene.trajectories
    assert not w.view_panel.trajectories.isChecked() and item.segment_count == 0
    w.view_panel.trajectories.click()
    assert item.isVisible() and item.segment_count == f.trajectories.shape[0] * (f.trajectories.shape[1] - 1)
    assert f.trajectories.shape[1] == f.step + 1 == 21 + 1
    np.testing.assert_array_equal(f.trajectories[:, -1], f.positions[f.trajectory_index])
    key_p = next(sc for sc in w._shortcuts if sc.key() == QtGui.QKeySequence(QtCore.Qt.Key.Key_P))
    key_p.activated.emit()
    assert not w.view_panel.trajectories.isChecked() and not item.isVisible()
    key_p.activated.emit()
    assert item.isVisible()
    # a new release starts new paths
    w.sampling_panel.set_options({"sampler": "em", "steps": 2000})
    w.sampling_panel.set_speed(60)
    w.sampling_panel.release.click()
    qtbot.waitUntil(lambda: w.last_particles.sampler == "em" and w.last_particles.step > 2, timeout=20_000)
    g = w.last_particles
    assert g.trajectories.shape[1] == g.step + 1 < 200
    assert w.status_nfe.text().startswith("NFE ") and "done" not in w.status_nfe.text()
    assert f"/ {g.nfe_total:,}" in w.status_nfe.text() and g.nfe_total == 2000
    w.reset_particles()
    qtbot.waitUntil(lambda: not w.last_particles.sampler, timeout=10_000)
    assert item.segment_count == 0 and w.status_nfe.text() == ""


def mode_pixels(frame: np.ndarray, colours: list[QtGui.QColor], tol: int = 24) -> int:
    """Pixels of `frame` (H, W, 3) within `tol` of one of the colours."""
    found = np.zeros(frame.shape[:2], bool)
    for c in colours:
        rgb = np.array([c.red(), c.green(), c.blue()])
        found |= np.abs(frame.astype(int) - rgb).max(-1) <= tol
    return int(found.sum())


def test_a_recorded_clip_shows_the_trajectories(gaussians, qtbot, tmp_path):
    from test_recording import decode

    w = gaussians
    w.view_panel.set_options({"heat": False, "arrows": False})
    w.apply_view_options()
    counts = {}
    for on in (False, True):
        w.view_panel.trajectories.setChecked(on)
        w.sampling_panel.set_options({"sampler": "ode", "source": "exact", "n": 200, "steps": 41})
        w.sampling_panel.set_speed(0)
        path = tmp_path / f"clip{int(on)}.mp4"
        assert w.recorder.start(path, once=True, size=(480, 360))
        with qtbot.waitSignal(w.recorder.finished, timeout=60_000) as done:
            w.release_particles()
        frames = decode(done.args[0])
        counts[on] = mode_pixels(frames[-1], w.scene.mode_colours())
    # the particles are drawn in the mode colours either way; the paths add many more such pixels
    assert counts[True] > counts[False] + 300, counts


def test_the_trajectory_item_draws_the_paths_in_mode_colours(qapp):
    """Twelve paths of a thousand steps: one item, one drawLines per colour, drawn where the paths are."""
    from scoreviz.app.canvas.scene import Scene2D
    from scoreviz.app.theme import THEMES
    from scoreviz.lab import frames as fr

    scene = Scene2D(THEMES["dark"])
    scene.widget.resize(900, 700)
    scene.set_view(-3, 3, -3, 3)
    rng = np.random.default_rng(0)
    paths = np.cumsum(rng.normal(0, 0.02, (12, 1001, 2)), axis=1).astype(np.float32)
    labels = rng.integers(0, 8, 400).astype(np.int8)
    frame = fr.ParticleFrame(positions=rng.normal(size=(400, 2)).astype(np.float32), labels=labels,
                             mode_weights=np.zeros(8), true_weights=np.zeros(8), sampler="ode", step=1000,
                             total=1000, t=0.0, noise_level=0.0, running=True, finished=False, serial=1,
                             trajectories=paths, trajectory_index=np.arange(0, 400, 34)[:12], nfe=0, nfe_total=0)
    def render() -> np.ndarray:
        from scoreviz.app.recording.canvas_clip import qimage_rgb

        image = QtGui.QImage(900, 700, QtGui.QImage.Format.Format_RGB32)
        painter = QtGui.QPainter(image)
        scene.widget.render(painter)
        painter.end()
        return qimage_rgb(image)

    scene.show_particles(frame)
    without = mode_pixels(render(), scene.mode_colours(), tol=0)
    scene.set_trajectories(True)
    assert scene.trajectories.segment_count == 12 * 1000
    with_paths = mode_pixels(render(), scene.mode_colours(), tol=0)
    assert with_paths > without + 1000
    scene.trajectories.width = 2                 # presentation mode's: two one-pixel passes
    assert mode_pixels(render(), scene.mode_colours(), tol=0) > 1.15 * with_paths   # the curls overlap: not 2×
    scene.trajectories.width = 1
    scene.set_trajectories(False)
    # the paths' pixels are gone (a handful of particle pixels may differ between two renders of the scene)
    assert abs(mode_pixels(render(), scene.mode_colours(), tol=0) - without) < 0.05 * (with_paths - without)
    scene.widget.close()


def test_path_segments_keep_the_ends_skip_nan_and_group_by_colour():
    from scoreviz.app.canvas.items.trajectories import path_segments

    paths = np.cumsum(np.ones((3, 10, 2)), axis=1)
    paths[1] *= -1
    segs, runs = path_segments(paths, np.array([2, 0, 2]))
    assert segs.shape == (27, 4) and runs == [(0, 0, 9), (2, 9, 18)]
    np.testing.assert_array_equal(segs[:9, :2], paths[1, :-1])          # group 0 first
    paths[2, 6:] = np.nan                                              # a path that diverged stops there
    segs, runs = path_segments(paths, np.array([2, 0, 2]))
    assert runs == [(0, 0, 9), (2, 9, 14)]
    long = np.cumsum(np.ones((2, 5001, 2)), axis=1)
    segs, runs = path_segments(long, np.zeros(2, int), limit=100)
    assert runs == [(0, 0, 198)]
    np.testing.assert_array_equal(segs[98, 2:], long[0, -1])            # the last point is kept


def test_the_nfe_count_is_rewritten_at_most_four_times_a_second_while_it_runs(qapp):
    """Each new text relays out the status bar on the GUI thread (time the training worker waits for): while a
    run goes on the count refreshes every REFRESH_S of the clock; its end shows at once."""
    from types import SimpleNamespace

    from fake_clock import FakeClock
    from scoreviz.app.window.nfe_readout import REFRESH_S, NFEReadout

    clock = FakeClock()
    readout = NFEReadout(clock)

    def frame(nfe, running=True):
        return SimpleNamespace(sampler="em", nfe=nfe, nfe_total=100, running=running, finished=not running, serial=1)

    readout.show(frame(1))
    assert readout.label.text() == "NFE 1 / 100"
    clock.advance(REFRESH_S / 2)
    readout.show(frame(2))
    assert readout.label.text() == "NFE 1 / 100"              # too soon
    clock.advance(REFRESH_S / 2)
    readout.show(frame(3))
    assert readout.label.text() == "NFE 3 / 100"
    readout.show(frame(100, running=False))
    assert readout.label.text() == "NFE 100 / 100 · done"     # the end at once
