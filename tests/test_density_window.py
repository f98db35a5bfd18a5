"""The Density view in the real window (offscreen): the View panel's box and the D key, the model's map as the
canvas's heat, the exact map's iso-lines, the held-out NLL in the Training panel; disabled for 3-D data."""
from __future__ import annotations

import numpy as np
import pytest

from app_helpers import close_and_check, open_window
from scoreviz.app.canvas.density_overlay import CONTOUR_LEVELS, NO_MODEL_HINT, sample_rect, shared_scale
from scoreviz.app.canvas.scene import HEAT_LEVELS
from scoreviz.app.qt import QtCore, QtWidgets
from scoreviz.lab.field import HEAT_FLOOR

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")


def _bilinear(values: np.ndarray, rect, pts: np.ndarray) -> np.ndarray:
    """values (ny, nx) sampled at the corners of rect (x, y, w, h), interpolated at pts (K, 2)."""
    x, y, w, h = rect
    ny, nx = values.shape
    fx = np.clip((pts[:, 0] - x) / w * (nx - 1), 0, nx - 1)
    fy = np.clip((pts[:, 1] - y) / h * (ny - 1), 0, ny - 1)
    i0, j0 = np.minimum(fy.astype(int), ny - 2), np.minimum(fx.astype(int), nx - 2)
    ty, tx = fy - i0, fx - j0
    v = values.astype(np.float64)
    top = v[i0, j0] * (1 - tx) + v[i0, j0 + 1] * tx
    bottom = v[i0 + 1, j0] * (1 - tx) + v[i0 + 1, j0 + 1] * tx
    return top * (1 - ty) + bottom * ty


def _press(qtbot, window, key) -> None:
    """A real key press through Qt's shortcut map on the active window."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QtWidgets.QApplication.activeWindow() is window, timeout=5_000)
    qtbot.keyClick(window.scene.widget, key)


def test_the_density_view_shows_the_models_map_under_the_exact_lines(qtbot, tmp_path):
    w = open_window(qtbot, tmp_path, "8gaussians")
    box, nll = w.view_panel.density, w.training_panel.nll_label
    assert box.isEnabled() and not box.isChecked()
    qtbot.mouseClick(box, QtCore.Qt.MouseButton.LeftButton, pos=QtCore.QPoint(8, box.height() // 2))   # on, no model
    assert box.isChecked()
    qtbot.waitUntil(lambda: w.density.last is not None, timeout=15_000)
    assert w.density.last.model is None
    legend = w.scene.density.legend
    assert w.scene.density.legend_box.isVisible() and legend.text() == NO_MODEL_HINT
    assert w.scene.backdrop.heat._source[0] is w.last_field.heat      # the exact heat map stays
    assert nll.text().startswith("NLL –")

    _press(qtbot, w, QtCore.Qt.Key.Key_T)                               # train: the model's map arrives
    qtbot.waitUntil(lambda: w.density.last is not None and w.density.last.model is not None, timeout=30_000)
    frame = w.density.last
    model, exact = shared_scale(frame)
    values, rect, levels = w.scene.backdrop.heat._source
    np.testing.assert_array_equal(values, model)                       # the canvas's heat is the model's map ...
    assert rect == pytest.approx(sample_rect(frame)) and levels == HEAT_LEVELS
    shown = w.scene.backdrop.prepare_heat(model, sample_rect(frame), HEAT_LEVELS)
    np.testing.assert_array_equal(w.scene.backdrop.heat.index, shown.index)    # ... and its pixels
    # one shared constant, the exact map's maximum, and the exact heat map's floor
    np.testing.assert_allclose(values, np.maximum(frame.model - frame.exact.max(), HEAT_FLOOR), atol=1e-6)
    assert float(exact.max()) == 0.0
    lines = w.scene.density.contours.lines                             # the exact map's iso-levels
    assert w.scene.density.contours.isVisible() and lines
    assert {level for level, _ in lines} <= set(CONTOUR_LEVELS) and len({level for level, _ in lines}) >= 3
    for level, pts in lines:
        np.testing.assert_allclose(_bilinear(exact, frame.rect, pts), level, atol=1e-3)
    assert legend.text().startswith("model log p̃ (colour) · exact log p (lines)")
    qtbot.waitUntil(lambda: f"{w.density.last.heldout_nll:.2f}" in nll.text(), timeout=5_000)
    assert nll.isEnabled() and "nats/pt (held-out, σ_min)" in nll.text()

    _press(qtbot, w, QtCore.Qt.Key.Key_D)                               # D: off; the field's heat returns
    assert not box.isChecked() and not nll.isEnabled()
    assert not w.scene.density.contours.isVisible() and not w.scene.density.legend_box.isVisible()
    assert w.scene.backdrop.heat._source[0] is w.last_field.heat
    w.set_training(False)
    close_and_check(w)


def test_three_dimensional_data_disable_the_density_view(qtbot, tmp_path):
    w = open_window(qtbot, tmp_path, "8gaussians")
    w.view_panel.density.setChecked(True)
    w.load_preset("gaussian3d")
    box = w.view_panel.density
    assert not box.isEnabled() and not box.isChecked() and "2-D" in box.toolTip()
    _press(qtbot, w, QtCore.Qt.Key.Key_D)                               # the key does nothing either
    assert not box.isChecked()
    w.load_preset("moons")
    assert box.isEnabled()
    close_and_check(w)
