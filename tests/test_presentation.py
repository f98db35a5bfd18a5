"""Presentation mode: F5 enters (docks hidden, text ≥ 20 pt, a caption saying the sampler and σ), Esc leaves
and restores everything; the captions themselves are Qt-free and tested on frames."""
from __future__ import annotations

import math

import numpy as np
import pytest

from scoreviz.lab import frames as fr
from scoreviz.lab.captions import annealed_level, caption, field_caption, particle_caption

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")   # the offscreen plugin's note on show()


def _particles(sampler="annealed", step=0, total=101, level=math.nan, finished=False):
    return fr.ParticleFrame(positions=np.zeros((3, 2), np.float32), labels=None, mode_weights=np.zeros(0),
                            true_weights=np.zeros(0), sampler=sampler, step=step, total=total, t=0.5,
                            noise_level=level, running=not finished, finished=finished, serial=1)


def _field(kind="exact", source="exact", sigma=0.5):
    return fr.FieldFrame(kind=kind, source=source, sigma=sigma, points=np.zeros((1, 2)), vectors=np.zeros((1, 2)),
                         magnitude=np.zeros(1), cell=0.1, bounded=True, heat=None, heat_rect=(0, 0, 1, 1),
                         rel_error=math.nan, data_version=0)


def test_captions_say_what_is_on_screen():
    assert particle_caption(_particles(step=61, total=101, level=0.8234)) == \
        "Annealed Langevin · level 7 of 10 · σ = 0.82"
    assert particle_caption(_particles(step=0)) == "Annealed Langevin · start: samples from the prior"
    assert "final denoising step · done" in particle_caption(_particles(step=101, level=0.0, finished=True))
    assert particle_caption(_particles("em", 120, 501, 0.31)) == \
        "Reverse SDE (Euler–Maruyama) · step 120 of 501 · σ = 0.31"
    assert particle_caption(_particles("langevin", 5, 500, 0.5)) == "Langevin dynamics at σ = 0.5 · step 5 of 500"
    assert field_caption(_field()) == "exact score of the data noised at σ = 0.5"
    assert field_caption(_field("learned", "exact")) == "exact score of the data noised at σ = 0.5"   # no model yet
    assert field_caption(_field("learned", "learned", 1.234)).startswith("learned score")
    assert caption(_particles(sampler=""), _field()) == "exact score of the data noised at σ = 0.5"
    assert [annealed_level(s, 101) for s in (1, 10, 11, 100)] == [1, 1, 2, 10]


def test_f5_enters_presentation_and_esc_leaves(qtbot, tmp_path):
    from app_helpers import close_and_check, make_window
    from scoreviz.app.qt import QtCore, QtWidgets

    window = make_window(qtbot, tmp_path, preset="8gaussians")
    try:
        window.show()
        window.activateWindow()
        qtbot.waitUntil(lambda: QtWidgets.QApplication.activeWindow() is window, timeout=5_000)
        qtbot.waitUntil(lambda: window.last_field is not None, timeout=30_000)
        theme = window.theme
        window.sampling_panel.set_options({"sampler": "annealed", "source": "exact", "n": 300, "steps": 200})
        window.sampling_panel.set_speed(30)
        window.release_particles()
        qtbot.waitUntil(lambda: window.last_particles is not None and window.last_particles.step > 0, timeout=20_000)
        key = QtCore.Qt.Key
        pres = window.presentation
        window.resize(window.minimumSize().width(), 600)
        qtbot.waitUntil(lambda: window.height() == 600, timeout=5_000)
        before = window.size()

        qtbot.keyClick(window.scene.widget, key.Key_F5)
        assert pres.active
        assert window.geometry() == window.screen().geometry()   # the whole screen
        assert window.dock.isHidden() and window.schedule_dock.isHidden() and window.menuBar().isHidden()
        assert window.isFullScreen()
        assert pres.caption.isVisible() and pres.caption.font().pointSize() >= 20
        qtbot.waitUntil(lambda: "Annealed Langevin" in pres.caption.text() and "σ =" in pres.caption.text(),
                        timeout=10_000)
        label = window.sigma_bar.label
        label.ensurePolished()
        assert label.font().pointSize() >= 20
        assert window.scene.plot.getAxis("bottom").style["tickFont"].pointSize() >= 20
        assert window.scene.field.width > 1 and window.scene.particle_size > 2
        assert window.theme.mode_colours[:3] == ("#E69F00", "#56B4E9", "#009E73")   # Okabe–Ito

        qtbot.keyClick(window.scene.widget, key.Key_Escape)
        assert not pres.active
        assert not window.dock.isHidden() and not window.menuBar().isHidden() and not window.isFullScreen()
        assert not pres.caption.isVisible()
        assert window.theme is theme and window.scene.field.width == 1.0
        assert window.size() == before                           # as large as it was
        label.ensurePolished()
        assert label.font().pointSize() < 20

        qtbot.keyClick(window.scene.widget, key.Key_F5)        # F5 toggles too
        assert pres.active
        qtbot.keyClick(window.scene.widget, key.Key_F5)
        assert not pres.active and not window.dock.isHidden()
        qtbot.keyClick(window.scene.widget, key.Key_F5)        # closing the window in presentation mode…
        assert pres.active
    finally:
        close_and_check(window)                                 # …leaves it and closes cleanly
    assert not pres.active
    saved = QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    assert saved.allKeys()                                      # the normal layout was saved, not the talk's
