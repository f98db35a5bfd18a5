"""The built-in lesson "From score to flow": it loads, its new scene keys (trajectories, schedule_preset, fix) are
checked with the line of the scene, and the real window plays it scene by scene: process, field, trajectories,
sampler, and Stable Diffusion's terminal SNR before and after Lin et al.'s fix, read from the Schedule tab's
report."""
from __future__ import annotations

import pytest

from app_helpers import close_and_check, make_window
from scoreviz.app.qt import QtCore
from scoreviz.lab.lesson import LessonError, built_in_lessons, load_lesson, parse_lesson

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")

#: Stable Diffusion's scaled_linear schedule: ᾱ_T/(1 − ᾱ_T) at T = 1000 (Lin et al. 2024, Table 1: 0.0047).
SD_TERMINAL_SNR = 0.0047
#: A caption a lecturer reads from the banner: two lines of the window's banner, heading included.
MAX_BANNER_CHARS = 240


def test_the_flow_lesson_tells_score_to_flow():
    assert "flow" in built_in_lessons()
    lesson = load_lesson("flow")
    scenes = lesson.scenes
    assert lesson.title == "From score to flow" and 8 <= len(scenes) <= 10
    assert [s.process for s in scenes[:3]] == ["ve", "vp", "flow"]
    assert scenes[0].field == scenes[1].field == "exact" and scenes[2].field == "exact_velocity"
    paths = [s for s in scenes if s.trajectories]
    assert {s.process for s in paths} >= {"vp", "flow"} and all(s.play == "release" and s.score == "exact"
                                                              for s in paths)
    by_process = {s.process: s for s in paths if s.sampler == "ode" and s.nfe == 41}
    assert set(by_process) == {"vp", "flow"}     # the same deterministic sampler and NFE under both
    low = {s.sampler for s in paths if s.nfe == 11}
    assert {"euler", "heun"} <= low              # first against second order at the same NFE
    sd, fixed = scenes[-2], scenes[-1]
    assert sd.schedule_preset == fixed.schedule_preset == "sd" and sd.fix is None
    assert fixed.fix == {"rescale_zero_snr": True, "timestep_spacing": "trailing"}
    assert "0.0047" in sd.caption
    for k, s in enumerate(scenes):
        heading = f"{k + 1}/{len(scenes)} · {s.title}: "
        assert s.caption and len(heading + s.caption) <= MAX_BANNER_CHARS, s.title


def test_the_intro_lesson_still_loads_without_the_new_keys():
    for s in load_lesson("intro").scenes:
        assert s.trajectories is None and s.schedule_preset is None and s.fix is None


@pytest.mark.parametrize("bad, message", [
    ('trajectories = "yes"', r"trajectories must be true or false"),
    ('schedule_preset = "sdxl"', r"schedule_preset = 'sdxl' is not one of"),
    ('schedule_preset = "sd"\nprocess = "vp"', r"schedule_preset brings its own process: leave out process"),
    ('schedule_preset = "sd"\nschedule = { t_min = 0.01 }', r"leave out schedule"),
    ('schedule_preset = "sd"\nfix = true', r"fix must be a table"),
    ('schedule_preset = "sd"\nfix = { rescale = true }', r"fix: unknown key\(s\) rescale"),
    ('schedule_preset = "sd"\nfix = { rescale_zero_snr = 1 }', r"rescale_zero_snr must be true or false"),
    ('schedule_preset = "sd"\nfix = { timestep_spacing = "sideways" }', r"timestep_spacing = 'sideways' is not one"),
    ('process = "vp"\nfix = { rescale_zero_snr = true }', r"fix acts on a discrete β schedule"),
])
def test_a_bad_new_key_names_the_scene_s_line(bad, message):
    text = f'title = "x"\n[[scene]]\ntitle = "fine"\n\n[[scene]]\ntitle = "bad"\n{bad}\n'
    with pytest.raises(LessonError, match=r"mine\.toml, line 5 \(scene 2\): .*" + message):
        parse_lesson(text, "mine.toml")


def test_a_fix_on_the_discrete_process_or_a_preset_is_accepted():
    for head in ('process = "discrete"', 'schedule_preset = "ddpm"'):
        scene = parse_lesson(f'[[scene]]\ntitle = "t"\n{head}\nfix = {{ rescale_zero_snr = true }}\n').scenes[0]
        assert scene.fix == {"rescale_zero_snr": True, "timestep_spacing": None}


def _shows(w, process: str, kind: str) -> bool:
    return (w.process is not None and w.process.name == process and w.last_field is not None
            and w.last_field.kind == kind)


def _ran(w, sampler: str, nfe: int, after: int) -> bool:
    """A run of `sampler` released after serial `after` is over, `nfe` evaluations long."""
    p = w.last_particles
    return p is not None and p.serial > after and p.sampler == sampler and p.finished and p.nfe_total == nfe


def _serial(w) -> int:
    return w.last_particles.serial if w.last_particles is not None else -1


def test_the_window_plays_the_flow_lesson_scene_by_scene(qtbot, tmp_path):
    lesson = load_lesson("flow")
    w = make_window(qtbot, tmp_path, preset="moons")
    try:
        w.show()
        qtbot.waitUntil(lambda: w.process is not None, timeout=20_000)
        assert w.lessons.open("flow") and w.lessons.index == 0
        w.sampling_panel.set_speed(0)        # runs as fast as the CPU allows (the panel's speed is not a scene's)
        for k, scene in enumerate(lesson.scenes):
            serial = _serial(w)
            if k:
                qtbot.keyClick(w, QtCore.Qt.Key.Key_PageDown)
            assert w.lessons.index == k
            view = w.view_panel.options()
            assert view["trajectories"] == bool(scene.trajectories), scene.title
            if scene.field:
                assert view["kind"] == scene.field
            if scene.sampler:
                o = w.sampling_panel.options()
                assert (o["sampler"], o["source"], o["n"]) == (scene.sampler, scene.score, scene.particles)
            if scene.schedule_preset:
                break                            # the schedule scenes: below
            qtbot.waitUntil(lambda: _shows(w, scene.process, scene.field), timeout=30_000)
            if scene.play == "release":
                qtbot.waitUntil(lambda: _ran(w, scene.sampler, scene.nfe, serial), timeout=60_000)
                if scene.trajectories:
                    paths = w.last_particles.trajectories
                    assert paths is not None and paths.shape[0] == 12 and paths.shape[1] > 2
        assert w.editor.name == "8gaussians"

        # Stable Diffusion's schedule: the Schedule tab in front, its report says the terminal SNR; the caption
        # stays in the banner over the lab's own notice
        sd = lesson.scenes[w.lessons.index]
        qtbot.waitUntil(lambda: w.schedule_dock.last_real is not None and w.schedule_dock.last_real.preset == "sd",
                        timeout=30_000)
        real = w.schedule_dock.last_real
        assert real.report.terminal_snr == pytest.approx(SD_TERMINAL_SNR, abs=5e-5) and real.fixed_report is None
        assert w.process.name == "discrete" and not w.schedule_dock.visibleRegion().isEmpty()
        qtbot.waitUntil(lambda: sd.title in w.last_message[1], timeout=10_000)

        qtbot.keyClick(w, QtCore.Qt.Key.Key_PageDown)               # the fix
        fixed = lesson.scenes[w.lessons.index]
        qtbot.waitUntil(lambda: w.schedule_dock.last_real.rescale_zero_snr, timeout=30_000)
        real = w.schedule_dock.last_real
        assert real.timestep_spacing == "trailing" and real.pinned
        assert real.report.terminal_snr == pytest.approx(SD_TERMINAL_SNR, abs=5e-5)   # as published …
        assert real.fixed_report.terminal_snr == 0.0                                  # … and after the fix
        assert real.fixed_report.sampling["starts_at_terminal"]
        qtbot.waitUntil(lambda: fixed.title in w.last_message[1], timeout=10_000)

        # back to a scene without a schedule: the data's own process again, the controls in front
        w.lessons.go(4)
        qtbot.waitUntil(lambda: _shows(w, "flow", "exact_velocity"), timeout=30_000)
        assert w.training_panel.options()["process"] == "flow" and w.view_panel.options()["trajectories"]
        assert w.schedule_dock.visibleRegion().isEmpty()
        w.lessons.go(0)
        assert not w.view_panel.options()["trajectories"]
    finally:
        close_and_check(w)
