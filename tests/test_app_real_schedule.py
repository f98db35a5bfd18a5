"""The Schedule tab's published schedules driven through the real widgets: Stable Diffusion from the gallery on
8 Gaussians (its terminal SNR and the warning in words), the zero-terminal-SNR fix (before / after, A / B),
Schedule → Import… with a broken and a valid diffusers config, and the w(λ) curves against the core's."""
from __future__ import annotations

import json

import numpy as np
import pytest

from app_helpers import close_and_check, open_window
from scoreviz.core.schedule.gallery import gallery_process
from scoreviz.core.schedule.snr import TARGETS, schedule_curves
from scoreviz.app.qt import QtWidgets

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

SD_CONFIG = {"_class_name": "DDIMScheduler", "beta_schedule": "scaled_linear", "beta_start": 0.00085,
             "beta_end": 0.012, "num_train_timesteps": 1000, "clip_sample": False, "set_alpha_to_one": False}


@pytest.fixture
def lab(qtbot, tmp_path):
    w = open_window(qtbot, tmp_path, "8gaussians")
    w.show_schedule_lab()
    qtbot.waitUntil(lambda: w.schedule_dock.last_real is not None, timeout=20_000)
    yield w
    close_and_check(w)


def _choose_sd(lab, qtbot):
    dock = lab.schedule_dock
    dock.panel.real.choose("sd")
    qtbot.waitUntil(lambda: dock.last_real.preset == "sd", timeout=20_000)
    qtbot.waitUntil(lambda: lab.process.name == "discrete", timeout=10_000)
    return dock.last_real


def _ys(curve):
    return np.asarray(curve.yData), np.asarray(curve.xData)


def test_stable_diffusion_from_the_gallery(lab, qtbot):
    real = lab.schedule_dock.panel.real
    assert lab.schedule_dock.last_real.label == "VE SDE" and not real.zero_snr.isEnabled()
    frame = _choose_sd(lab, qtbot)
    assert frame.report.terminal_snr == pytest.approx(0.0047, rel=0.01)
    assert lab.process.noise_max == pytest.approx(14.6, rel=0.01)     # SD's σ̃ as published, whatever the data
    assert "terminal SNR 0.00468 (log-SNR −5.36)" in real.report.text()
    assert "the terminal SNR is 0.00468, not zero" in real.warnings.text()
    assert "never sees pure noise" in real.warnings.text()            # the consequence, in words
    assert "leading spacing" in real.report.text() and "not the last" in real.report.text()
    assert "Rombach" in real.source.text() and real.zero_snr.isEnabled()
    # the lab's line comes as a message of its own, which may arrive after the frames on a busy machine
    qtbot.waitUntil(lambda: "as published" in lab.last_message[1], timeout=20_000)
    level, message = lab.last_message
    assert level == "info" and "\n" not in message
    assert lab.training_panel.options()["process"] == "discrete"      # the training panel follows
    # w(λ): the items carry the core's arrays on the tab's axis (log10 σ̃, then log-SNR)
    curves = schedule_curves(gallery_process("sd"))
    for target in TARGETS:
        y, x = _ys(real.plots.weight_curves[target])
        np.testing.assert_allclose(y, curves.weights[target])
        np.testing.assert_allclose(x, np.log10(curves.sigma))
    lab.schedule_dock.panel.axis.setCurrentIndex(1)
    lab.schedule_dock.panel.axis.activated.emit(1)
    np.testing.assert_allclose(_ys(real.plots.weight_curves["epsilon"])[1], curves.log_snr)
    np.testing.assert_allclose(_ys(lab.schedule_dock.panel.plots.t_curve)[1],
                               -2 * np.log(lab.schedule_dock.last_schedule.sigma))


def test_the_zero_terminal_snr_fix_before_and_after(lab, qtbot):
    dock, real = lab.schedule_dock, lab.schedule_dock.panel.real
    before = _choose_sd(lab, qtbot)
    real.zero_snr.click()
    i = real.spacing.findData("trailing")
    real.spacing.setCurrentIndex(i)
    real.spacing.activated.emit(i)
    qtbot.waitUntil(lambda: dock.last_real.rescale_zero_snr and dock.last_real.timestep_spacing == "trailing",
                    timeout=20_000)
    frame = dock.last_real
    assert frame.fixed_report.terminal_snr == 0
    assert "After the fix:" in real.report.text() and "terminal SNR 0 (log-SNR −∞)" in real.report.text()
    assert real.warnings.text().startswith("✓ terminal SNR 0 after the fix (as published: 0.00468)")
    assert "trailing spacing" in real.report.text() and "the first at T, pure noise" in real.report.text()
    # before / after: the first step as it was, the last one pure noise (λ = −∞, not drawn, said in words)
    y_before, t_before = _ys(real.plots.before_curve)
    y_after, t_after = _ys(real.plots.after_curve)
    np.testing.assert_allclose(y_before, before.steps_log_snr)
    assert y_after[0] == pytest.approx(y_before[0], abs=1e-12) and t_after[0] == t_before[0]
    assert len(y_after) == len(y_before) - 1 and y_after[-1] < y_before[-2]
    assert real.plots.after_curve.isVisible() and real.plots.terminal_note.isVisible()
    ticks_after = _ys(real.plots.after_ticks)[1]
    assert ticks_after.max() == 1.0 and _ys(real.plots.before_ticks)[1].max() < 1.0   # trailing reaches T
    # A is the schedule before the fix: Compare samples both with the exact score
    assert dock.panel.compare.isEnabled() and "pinned as A" in lab.last_message[1]
    lab.sampling_panel.set_options({"sampler": "em", "source": "exact", "n": 300, "steps": 40})
    dock.panel.compare.click()
    qtbot.waitUntil(lambda: dock.last_comparison is not None, timeout=30_000)
    a, b = dock.last_comparison.a, dock.last_comparison.b
    assert a.process["rescale_zero_snr"] is False and b.process["rescale_zero_snr"] is True
    assert "A:" in dock.panel.ab_result.text()


def _import(lab, qtbot, monkeypatch, path, via_menu=False):
    monkeypatch.setattr(QtWidgets.QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    before = lab.last_message
    if via_menu:
        action = next(a for menu in lab.menuBar().findChildren(QtWidgets.QMenu) for a in menu.actions()
                      if a.text() == "Import scheduler_config.json…")
        action.trigger()
    else:
        lab.schedule_dock.panel.real.import_button.click()
    qtbot.waitUntil(lambda: lab.last_message != before, timeout=20_000)
    return lab.last_message


def test_importing_a_broken_config_is_one_line_in_the_banner_and_changes_nothing(lab, qtbot, monkeypatch, tmp_path):
    dock = lab.schedule_dock
    process, real = lab.process, dock.last_real
    path = tmp_path / "scheduler_config.json"
    path.write_text('{"beta_schedule": "scaled_linear", "beta_start": 0.00085,')
    level, message = _import(lab, qtbot, monkeypatch, path)
    assert level == "error" and "not imported" in message and "not valid JSON" in message and "\n" not in message
    assert lab.banner.isVisible() and "not imported" in lab.banner.text()
    qtbot.wait(300)                        # nothing else arrives: the process and its report stay as they were
    assert lab.process is process and dock.last_real is real


def test_importing_a_valid_config_lists_its_unknown_keys(lab, qtbot, monkeypatch, tmp_path):
    path = tmp_path / "scheduler_config.json"
    path.write_text(json.dumps(SD_CONFIG))
    level, message = _import(lab, qtbot, monkeypatch, path, via_menu=True)
    assert level == "info" and "Keys not read: clip_sample, set_alpha_to_one." in message
    dock = lab.schedule_dock
    qtbot.waitUntil(lambda: dock.last_real.source == str(path), timeout=20_000)
    assert dock.isVisible() and "DDIMScheduler" in dock.panel.real.in_use.text()
    assert "keys not read: clip_sample, set_alpha_to_one" in dock.panel.real.source.text()
    assert dock.last_real.report.terminal_snr == pytest.approx(0.0047, rel=0.01)
    assert dock.panel.real.gallery.currentData() == ""        # not a gallery entry


def test_real_plots_legend_and_range_follow_the_frame(qtbot):
    from dataclasses import replace

    from scoreviz.app.schedule.real_plots import RealSchedulePlots
    from scoreviz.lab.schedule.real import ScheduleOrigin, real_schedule_frame

    sd = gallery_process("sd")
    plain = real_schedule_frame(sd, ScheduleOrigin("SD"))
    fixed = real_schedule_frame(replace(sd, rescale_zero_snr=True, timestep_spacing="trailing"), ScheduleOrigin("SD"))
    plots = RealSchedulePlots()
    qtbot.addWidget(plots)
    legend = plots.steps.legend
    plots.show_frame(plain)
    assert legend.getLabel(plots.after_curve) is None and not plots.terminal_note.isVisible()
    x = np.log10(plain.sigma)
    lo, hi = plots.weighting.viewRange()[0]
    assert lo < x.min() < x.max() < hi and hi - lo < 1.1 * (x.max() - x.min())   # the process's range, set
    plots.show_frame(fixed)
    assert legend.getLabel(plots.after_curve) is not None and plots.terminal_note.isVisible()
    assert "N = 50" in legend.getLabel(plots.after_ticks).text
    plots.show_frame(plain)                                 # the fix off: its entries go again
    assert legend.getLabel(plots.after_curve) is None and legend.getLabel(plots.after_ticks) is None
