"""The schedule plots driven with pytest-qt: the curves carry the frame's arrays, the axis switches to log-SNR,
the loss panels appear with loss bins, and render_png draws a real picture headless."""
import numpy as np
import pytest

from scoreviz.app.qt import QtGui
from scoreviz.app.schedule.plots import SchedulePlots, render_png
from scoreviz.core.data import make_preset
from scoreviz.core.processes import make_process
from scoreviz.lab.schedule.view import schedule_frame


@pytest.fixture(scope="module")
def moons():
    return make_preset("moons", n_train=1000, n_heldout=10)


def _loss_bins(frame, bins=32):
    edges = np.geomspace(frame.grid[0], frame.grid[-1], bins + 1)
    centres = np.sqrt(edges[1:] * edges[:-1])
    floor = 1.0 / (1.0 + centres**2)
    loss = floor + 0.1
    loss[5] = np.nan                       # a bin not visited yet
    return edges, loss, floor, np.full(bins, 0.25)


def _xy(curve):
    x, y = curve.getData()
    return np.asarray(x), np.asarray(y)


def test_curves_carry_the_frame_and_the_axis_switches(qtbot, moons):
    frame = schedule_frame(make_process("ve", moons.train), points=moons.train)
    plots = SchedulePlots()
    qtbot.addWidget(plots)
    plots.show(frame)
    x, y = _xy(plots.t_curve)
    np.testing.assert_allclose(x, np.log10(frame.sigma))
    np.testing.assert_allclose(y, frame.times)
    np.testing.assert_allclose(_xy(plots.alpha_curve)[1], frame.alpha)
    np.testing.assert_allclose(_xy(plots.std_curve)[1], frame.std / frame.std.max())
    np.testing.assert_allclose(_xy(plots.snr_curve)[1], frame.log_snr)
    gx, density = _xy(plots.density_curve)
    np.testing.assert_allclose(gx, np.log10(frame.grid))
    np.testing.assert_allclose(density, frame.train_density / frame.train_density.max())
    np.testing.assert_allclose(_xy(plots.weight_curve)[1], frame.weight / frame.weight.max())
    ticks = _xy(plots.level_ticks)[0]
    np.testing.assert_allclose(ticks[::2], np.log10(frame.levels))
    assert plots.loss_plot not in plots.ci.items     # no loss panels before training

    plots.set_axis("log_snr")
    x, _ = _xy(plots.t_curve)
    np.testing.assert_allclose(x, -2 * np.log(frame.sigma))
    np.testing.assert_allclose(x, frame.log_snr, atol=1e-9)   # VE: α = 1
    np.testing.assert_allclose(_xy(plots.density_curve)[0], -2 * np.log(frame.grid))
    assert "log-SNR" in plots.training.getAxis("bottom").labelText   # the lowest panel's axis
    with pytest.raises(ValueError, match="unknown axis"):
        plots.set_axis("time")


def test_loss_panels_follow_the_frame(qtbot, moons):
    base = schedule_frame(make_process("vp", moons.train), points=moons.train)
    edges, loss, floor, rel = _loss_bins(base)
    frame = schedule_frame(make_process("vp", moons.train), points=moons.train, loss=(edges, loss, floor, rel))
    plots = SchedulePlots()
    qtbot.addWidget(plots)
    plots.show(frame)
    assert plots.loss_plot in plots.ci.items and plots.error_plot in plots.ci.items
    ok = np.isfinite(loss)
    centres = np.sqrt(edges[1:] * edges[:-1])
    x, y = _xy(plots.loss_curve)
    np.testing.assert_allclose(x, np.log10(centres[ok]))
    np.testing.assert_allclose(y, loss[ok])
    np.testing.assert_allclose(_xy(plots.floor_curve)[1], floor)
    np.testing.assert_allclose(_xy(plots.gap_curve)[1], (loss - floor)[ok])
    np.testing.assert_allclose(_xy(plots.error_curve)[1], rel)
    plots.show(base)                                  # a new schedule: back to two panels
    assert plots.loss_plot not in plots.ci.items


def test_show_without_a_frame_is_qwidget_show(qtbot):
    plots = SchedulePlots()
    qtbot.addWidget(plots)
    plots.show()
    assert plots.isVisible()


def test_render_png_writes_a_picture(qapp, tmp_path, moons):
    process = make_process("vp", moons.train, beta_max=2.0)   # warnings to print under the plots
    base = schedule_frame(process, points=moons.train)
    frame = schedule_frame(process, points=moons.train, loss=_loss_bins(base))
    assert frame.report.warnings
    path = tmp_path / "schedule.png"
    render_png(frame, path, size=(800, 700))
    assert path.stat().st_size > 1000
    image = QtGui.QImage(str(path))
    assert image.width() == 800 and image.height() >= 700
    pixels = np.frombuffer(image.convertToFormat(QtGui.QImage.Format.Format_RGB32).constBits(), np.uint8)
    assert len(np.unique(pixels.reshape(-1, 4)[:, :3], axis=0)) > 10   # not one colour
