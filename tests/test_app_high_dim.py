"""Data beyond 2-D in the window: pairwise projections, the score field on a slice (the exact slice of the
noised data), painting disabled with a reason, particles that train and sample in D dimensions."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from app_helpers import close_and_check, make_window, open_window

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")


@pytest.fixture
def helix(qtbot, tmp_path):
    w = open_window(qtbot, tmp_path, "gaussian3d")
    yield w
    close_and_check(w)


def _exact_slice(window, field):
    """The exact score's components along the field's axes at its points, on the dock's slice (float64)."""
    from scoreviz.core.data import make_preset

    data = make_preset("gaussian3d", n_train=4000)
    dock = window.high_dim.dock
    pts = np.tile(dock.point, (len(field.points), 1))
    pts[:, field.axes[0]], pts[:, field.axes[1]] = field.points[:, 0], field.points[:, 1]
    full = data.exact_score(torch.from_numpy(pts), field.sigma).numpy()
    return field.sigma * full[:, list(field.axes)]


def test_three_d_data_open_with_projections_and_a_sliced_field(helix, qtbot):
    w = helix
    dock = w.high_dim.dock
    assert dock.isVisibleTo(w) and w.high_dim.dim == 3 and w.high_dim.axes == (0, 1)
    assert len(dock.sliders) == 1 and 2 in dock.sliders                       # x3 is held fixed
    assert not w.data_panel.tool_buttons["brush"].isEnabled()
    assert "2-D data" in w.data_panel.tool_buttons["brush"].toolTip()
    w.view_panel.set_options({"kind": "exact"})
    w.apply_view_options()
    qtbot.waitUntil(lambda: w.last_field.kind == "exact", timeout=10_000)
    f = w.last_field
    np.testing.assert_allclose(f.vectors, _exact_slice(w, f), rtol=1e-4, atol=1e-4)
    # move the slice along x3: the field follows, and is the exact slice there
    before = f.vectors.copy()
    dock.sliders[2].setValue(dock.sliders[2].maximum())
    qtbot.waitUntil(lambda: w.last_field.vectors.shape != before.shape
                    or not np.allclose(w.last_field.vectors, before), timeout=10_000)
    np.testing.assert_allclose(w.last_field.vectors, _exact_slice(w, w.last_field), rtol=1e-4, atol=1e-4)
    # another pair from the pair plot: the canvas shows (x1, x3) and the field is drawn on that plane
    dock.set_pair(0, 2)
    qtbot.waitUntil(lambda: w.last_field.axes == (0, 2), timeout=10_000)
    np.testing.assert_allclose(w.last_field.vectors, _exact_slice(w, w.last_field), rtol=1e-4, atol=1e-4)
    assert 1 in dock.sliders and w.data_points().shape[1] == 3


def test_three_d_data_train_and_sample(helix, qtbot):
    w = helix
    w.set_training(True)
    qtbot.waitUntil(lambda: w.last_train is not None and w.last_train.step > 100, timeout=30_000)
    w.set_training(False)
    w.sampling_panel.set_options({"sampler": "em", "source": "learned", "n": 500, "steps": 100})
    w.sampling_panel.set_speed(0)
    w.release_particles()
    qtbot.waitUntil(lambda: w.last_particles is not None and w.last_particles.finished, timeout=30_000)
    pos = w.last_particles.positions
    assert pos.shape == (500, 3) and np.isfinite(pos).all()
    # the pair plot shows them (its particle items hold the last positions)
    item = w.high_dim.dock.pairs._particle_items[(1, 0)]
    qtbot.waitUntil(lambda: item.xData is not None and len(item.xData) > 0, timeout=5_000)


def test_pair_plot_particles_take_their_modes_colours(qtbot, tmp_path):
    """In the pair plot, as on the canvas, each particle is drawn in the colour of the mode it is in."""
    w = open_window(qtbot, tmp_path, "mixture3d")
    try:
        w.sampling_panel.set_options({"sampler": "em", "source": "exact", "n": 300, "steps": 60})
        w.sampling_panel.set_speed(0)
        w.release_particles()
        qtbot.waitUntil(lambda: w.last_particles is not None and w.last_particles.finished, timeout=30_000)
        labels = w.last_particles.labels
        assert labels is not None and len(np.unique(labels)) == 3
        item = w.high_dim.dock.pairs._particle_items[(2, 0)]
        qtbot.waitUntil(lambda: item.xData is not None and len(item.xData) == 300, timeout=5_000)
        drawn = [b.color().rgb() & 0xFFFFFF for b in item.opts["symbolBrush"]]
        modes = [c.rgb() & 0xFFFFFF for c in w.scene.mode_colours()]
        assert drawn == [modes[k] for k in labels]
    finally:
        close_and_check(w)


def test_a_three_column_file_opens_in_the_window(qtbot, tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "cloud.csv"
    np.savetxt(path, rng.normal(size=(500, 3)) * [1.0, 2.0, 0.5], delimiter=",")
    w = make_window(qtbot, tmp_path, preset="moons")
    try:
        qtbot.waitUntil(lambda: w.process is not None, timeout=20_000)
        assert w.load_data_file(str(path))
        qtbot.waitUntil(lambda: w.last_field is not None and w.last_field.data_version == w.editor.version,
                        timeout=20_000)
        assert w.high_dim.dim == 3 and w.editor.dim == 3
        w.set_training(True)                     # it trains ...
        qtbot.waitUntil(lambda: w.last_train is not None and w.last_train.step > 50, timeout=30_000)
        w.set_training(False)
        w.sampling_panel.set_options({"sampler": "ode", "source": "learned", "n": 300, "steps": 30})
        w.sampling_panel.set_speed(0)
        w.release_particles()                    # ... and samples in 3-D
        qtbot.waitUntil(lambda: w.last_particles is not None and w.last_particles.finished, timeout=30_000)
        assert w.last_particles.positions.shape == (300, 3) and np.isfinite(w.last_particles.positions).all()
    finally:
        close_and_check(w)


def test_the_3d_view_falls_back_to_projections_without_opengl(helix, qtbot):
    from scoreviz.app.high_dim.view3d import gl_available

    ok, why = gl_available()
    assert not ok and "offscreen" in why                 # the test platform has no OpenGL
    helix.high_dim.dock.view_3d.setChecked(True)
    assert helix.last_message[0] == "warning" and "showing the projections" in helix.last_message[1]
    assert not helix.high_dim.dock.view_3d.isChecked()
    assert helix.stack.currentWidget() is helix.scene.widget and helix.high_dim.dock.isVisibleTo(helix)


VIEW3D_SCRIPT = """
import numpy as np
from types import SimpleNamespace
from scoreviz.app.qt import QtWidgets
app = QtWidgets.QApplication([])
from scoreviz.app.high_dim.view3d import View3D, gl_available
ok, why = gl_available()
assert ok, why
v = View3D(); v.resize(400, 300); v.show()
t = np.linspace(0, 12, 2000)
v.show_data(np.stack([np.cos(t), np.sin(t), t / 4 - 1.5], 1).astype(np.float32))
v.show_particles(SimpleNamespace(positions=np.random.default_rng(0).normal(size=(500, 3)).astype(np.float32), serial=1))
app.processEvents()
image = v.view.renderToArray((200, 150))
assert sorted(image.shape[:2]) == [150, 200] and image[..., :3].max() > 60, (image.shape, image.max())
print("3-D view drew", int((image[..., :3].max(-1) > 60).sum()), "bright pixels")
"""


def test_the_3d_view_draws_where_opengl_exists(tmp_path):
    """Under Xvfb (Mesa's software OpenGL) the 3-D view is built and draws the data; skipped without Xvfb."""
    import shutil
    import subprocess
    import pathlib
    import sys
    import time

    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (apt-get install xvfb): the 3-D view needs a display with OpenGL")
    display = ":87"
    server = subprocess.Popen(["Xvfb", display, "-screen", "0", "800x600x24"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        socket = pathlib.Path("/tmp/.X11-unix/X87")   # the server listens once its socket exists
        for _ in range(100):
            if socket.exists() or server.poll() is not None:
                break
            time.sleep(0.05)
        env = {**__import__("os").environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
        done = subprocess.run([sys.executable, "-c", VIEW3D_SCRIPT], env=env, capture_output=True, text=True,
                              timeout=120)
        if done.returncode != 0 and ("could not load the Qt platform plugin" in done.stderr
                                     or "no OpenGL" in done.stderr or "OpenGL could not" in done.stderr):
            pytest.skip(f"no usable OpenGL display here: {done.stderr.strip().splitlines()[-1]}")
        assert done.returncode == 0, done.stderr
        assert "3-D view drew" in done.stdout
    finally:
        server.terminate()
        server.wait(10)
