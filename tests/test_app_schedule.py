"""The Schedule tab driven through its real widgets: edit σ_max and the process, the plots and the field follow;
per-level diagnostics while annealed Langevin runs; A / B."""
from __future__ import annotations

import numpy as np
import pytest

from app_helpers import close_and_check, open_window
from scoreviz.lab import frames as fr

# a shown window on the offscreen platform (the dock reports that it is seen) makes Qt say this; harmless
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def lab(qtbot, tmp_path):
    w = open_window(qtbot, tmp_path, "ncsn")
    w.show_schedule_lab()
    qtbot.waitUntil(lambda: w.schedule_dock.last_schedule is not None, timeout=20_000)
    yield w
    close_and_check(w)


def test_editing_sigma_max_rebuilds_the_process_and_the_plots_follow(lab, qtbot):
    dock, panel = lab.schedule_dock, lab.schedule_dock.panel
    first = dock.last_schedule
    assert "no warnings" in panel.warnings.text() and "EMA" in panel.rules.text()
    # the plots draw the frame's σ̃(t)
    assert panel.plots.t_curve.xData is not None and len(panel.plots.t_curve.xData) == len(first.sigma)
    panel.set_value("sigma_max", 1.0)                 # as a person would: type into the spin box
    qtbot.waitUntil(lambda: lab.process.noise_max == pytest.approx(1.0), timeout=10_000)
    qtbot.waitUntil(lambda: dock.last_schedule.parameters.get("sigma_max") == pytest.approx(1.0), timeout=10_000)
    assert "σ_max" in panel.warnings.text()            # below the largest pairwise distance: a warning in words
    assert panel.plots.t_curve.xData.max() == pytest.approx(np.log10(1.0), abs=1e-6)
    assert "new" in lab.last_message[1]                # the window says the model was re-created
    # the field follows: the slider's σ is inside the new range and a field at it arrives
    qtbot.waitUntil(lambda: lab.last_field is not None and lab.last_field.sigma <= 1.0 + 1e-9, timeout=10_000)
    assert lab.sigma_bar.hi == pytest.approx(1.0)
    # the circles on the canvas: the rule's radius (dashed) and σ_max in use (solid, now much smaller)
    rule, used = (c.rect().width() / 2 for c in dock._circles)
    assert used == pytest.approx(1.0) and rule > 10


def test_pin_compare_and_per_level_diagnostics(lab, qtbot):
    dock, panel = lab.schedule_dock, lab.schedule_dock.panel
    lab.sampling_panel.set_options({"sampler": "annealed", "source": "exact", "n": 1000, "steps": 1000})
    lab.sampling_panel.set_speed(0)
    panel.pin.click()
    assert panel.compare.isEnabled()
    panel.set_value("sigma_max", 1.0)
    qtbot.waitUntil(lambda: lab.process.noise_max == pytest.approx(1.0), timeout=10_000)
    panel.compare.click()
    qtbot.waitUntil(lambda: dock.last_comparison is not None, timeout=30_000)
    a, b = dock.last_comparison.a, dock.last_comparison.b
    assert a.mode_error < 0.05 and b.mode_error > 0.15
    assert "A:" in panel.ab_result.text() and "→ A is closer" in panel.ab_result.text()
    lab.release_particles()
    qtbot.waitUntil(lambda: dock.last_levels is not None and len(dock.last_levels.levels) >= 5, timeout=30_000)
    d = dock.last_levels
    assert isinstance(d, fr.LevelDiagnosticsFrame) and d.mode_shares.shape[1] == 2
    assert "realised snr" in panel.levels_title.text()


def test_an_inconsistent_edit_is_refused_with_a_message(lab, qtbot):
    panel = lab.schedule_dock.panel
    before = lab.process.noise_max
    panel.set_value("sigma_min", before * 2)          # σ_min above σ_max
    qtbot.waitUntil(lambda: lab.last_message[0] == "warning", timeout=10_000)
    assert "Schedule not changed" in lab.last_message[1]
    assert lab.process.noise_max == pytest.approx(before)


def test_the_wheel_scrolls_past_a_schedule_control_without_changing_it(lab, qtbot):
    from scoreviz.app.qt import QtCore, QtGui, QtWidgets

    spin = lab.schedule_dock.panel._spins["sigma_max"]
    before = spin.value()

    def wheel():
        pos = QtCore.QPointF(spin.width() / 2, spin.height() / 2)
        event = QtGui.QWheelEvent(pos, spin.mapToGlobal(pos), QtCore.QPoint(0, 0), QtCore.QPoint(0, -120),
                                  QtCore.Qt.MouseButton.NoButton, QtCore.Qt.KeyboardModifier.NoModifier,
                                  QtCore.Qt.ScrollPhase.NoScrollPhase, False)
        QtWidgets.QApplication.sendEvent(spin, event)

    wheel()
    assert spin.value() == before                 # not focused: the panel scrolls, the schedule stays
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus, timeout=2_000)
    wheel()
    assert spin.value() < before                  # focused: the wheel edits it as usual
