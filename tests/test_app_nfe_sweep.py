"""The Schedule tab's "Quality vs NFE" section driven through its real widgets: samplers the process does not
run are disabled and say why, Sweep draws the frame's numbers (x = NFE used, y = × floor), a pinned A adds
dashed curves, and File → Export figure finds the plot."""
from __future__ import annotations

import numpy as np
import pytest

from app_helpers import close_and_check, open_window
from scoreviz.app.qt import QtCore
from scoreviz.app.recording.figure_export import export_figure, figure_targets
from scoreviz.app.schedule.nfe_panel import parse_budgets

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def lab(qtbot, tmp_path):
    w = open_window(qtbot, tmp_path, "ncsn")          # NCSN's toy under VE: two modes, 0.8 / 0.2
    w.show_schedule_lab()
    qtbot.waitUntil(lambda: w.schedule_dock.last_sweep_choices is not None, timeout=20_000)
    yield w
    close_and_check(w)


def _sweep(lab, qtbot, samplers, budgets="10, 30", n=500):
    dock, nfe = lab.schedule_dock, lab.schedule_dock.panel.nfe
    for name, box in nfe.samplers.items():
        box.setChecked(name in samplers)
    nfe.budgets.setText(budgets)
    nfe.particles.setValue(n)
    before = dock.last_sweep
    nfe.sweep.click()
    assert nfe.status.text() == "sweeping…"
    qtbot.waitUntil(lambda: dock.last_sweep is not before and dock.last_sweep.finished, timeout=60_000)
    return dock.last_sweep


def test_unsupported_samplers_are_disabled_with_the_requirement(lab):
    nfe = lab.schedule_dock.panel.nfe
    assert lab.schedule_dock.last_sweep_choices.process == "ve"
    ddim = nfe.samplers["ddim"]
    assert not ddim.isEnabled() and "a process whose mean decays" in ddim.toolTip() and "ve" in ddim.toolTip()
    assert not nfe.samplers["ddpm"].isEnabled() and "variance-preserving" in nfe.samplers["ddpm"].toolTip()
    assert "langevin" not in nfe.samplers                       # Langevin samples at one level, not from the prior
    assert [n for n, b in nfe.samplers.items() if b.isChecked() and b.isEnabled()] == ["em", "heun", "dpmpp2m"]
    assert not nfe.learned.isEnabled()                          # no model trained yet
    ddim.setChecked(True)                                       # a disabled tick is not asked for
    assert "ddim" not in nfe.options()["samplers"]
    assert parse_budgets("50 10, 20,10") == (10, 20, 50)
    with pytest.raises(ValueError, match="whole numbers"):
        parse_budgets("10, lots")


def test_the_curves_are_the_frames_numbers_and_a_pinned_a_adds_dashed_ones(lab, qtbot, tmp_path):
    dock, panel = lab.schedule_dock, lab.schedule_dock.panel
    plots = panel.nfe.plots
    frame = _sweep(lab, qtbot, ("heun", "em"))
    assert [(c.schedule, c.score, c.sampler) for c in frame.curves] == [("B", "exact", "em"), ("B", "exact", "heun")]
    assert set(plots.items) == {("B", "exact", "em"), ("B", "exact", "heun")}
    for c in frame.curves:
        quality, modes = plots.items[(c.schedule, c.score, c.sampler)]
        np.testing.assert_array_equal(quality.xData, c.nfe_used)          # x: the NFE each run spent
        np.testing.assert_array_equal(quality.yData, c.sw_ratio)          # y: SW ÷ floor
        np.testing.assert_array_equal(modes.yData, c.mode_error)
    np.testing.assert_array_equal(plots.items[("B", "exact", "heun")][0].xData, [9, 29])   # Heun: 2n + 1
    assert plots.quality.getAxis("bottom").logMode and plots.floor_line.value() == 0.0   # log x; the line at 1
    assert plots.modes.isVisible()
    assert "4 runs, " in panel.nfe.status.text()
    # the lab's summary is a message of its own: it may reach the window after the last frame on a busy machine
    qtbot.waitUntil(lambda: "Swept 4 runs" in lab.last_message[1], timeout=10_000)
    # File → Export figure finds it, and writes it
    label, widget = figure_targets(lab)["nfe_sweep"]
    assert label == "Quality vs NFE" and widget is plots
    for suffix in (".png", ".svg"):
        path = export_figure(widget, tmp_path / f"nfe{suffix}", 1.0)
        assert path.stat().st_size > 1000
    # pin A, shrink σ_max below the modes' distance (B), sweep again: A's curves come dashed beside B's
    panel.pin.click()
    panel.set_value("sigma_max", 1.0)
    qtbot.waitUntil(lambda: lab.process.noise_max == pytest.approx(1.0), timeout=10_000)
    frame = _sweep(lab, qtbot, ("dpmpp2m",), budgets="20, 40")
    assert set(plots.items) == {("B", "exact", "dpmpp2m"), ("A", "exact", "dpmpp2m")}   # the old curves went
    b, a = (plots.items[(s, "exact", "dpmpp2m")] for s in ("B", "A"))
    assert a[0].opts["pen"].style() == QtCore.Qt.PenStyle.DashLine
    assert b[0].opts["pen"].style() == QtCore.Qt.PenStyle.SolidLine
    by_schedule = {c.schedule: c for c in frame.curves}
    np.testing.assert_array_equal(a[0].yData, by_schedule["A"].sw_ratio)
    assert np.all(by_schedule["B"].mode_error > 0.15) and np.all(by_schedule["A"].mode_error < 0.1)
    assert "A (dashed)" in panel.nfe.status.text()
