"""Lessons: the built-in story parses, broken files are one message naming the line, and the window steps
through scenes with the keys a presentation clicker sends."""
from __future__ import annotations

import pytest

from app_helpers import close_and_check, make_window
from scoreviz.app.qt import QtCore
from scoreviz.lab.lesson import LessonError, built_in_lessons, load_lesson, parse_lesson

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")


def test_the_built_in_lesson_tells_the_blog_post_s_story():
    assert "intro" in built_in_lessons()
    lesson = load_lesson("intro")
    titles = [s.title for s in lesson.scenes]
    assert len(titles) >= 8 and titles[0] == "The score of a mixture" and lesson.scenes[-1].mode == "images"
    samplers = {s.sampler for s in lesson.scenes}
    assert {"langevin", "annealed", "em", "ode"} <= samplers
    assert any(s.field == "difference" and s.train_steps > 0 for s in lesson.scenes)   # low-density failure
    assert all(s.caption for s in lesson.scenes)


def test_a_syntax_error_names_its_line(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text('title = "x"\n\n[[scene]]\ntitle = "one"\nsigma = = 2\n')
    with pytest.raises(LessonError, match=r"broken\.toml.*line 5"):
        load_lesson(str(path))


def test_a_bad_value_names_the_scene_s_line():
    text = 'title = "x"\n[[scene]]\ntitle = "ok"\n\n[[scene]]\ntitle = "bad"\nsampler = "teleport"\n'
    with pytest.raises(LessonError, match=r"line 5 \(scene 2\): sampler = 'teleport' is not one of"):
        parse_lesson(text, "mine.toml")
    for bad, message in (('particles = -3', "particles"), ('sigma = 0', "sigma"), ('colour = "red"', "unknown key"),
                         ('data = "moons"\npoints = [[0, 0]]', "data or points")):
        with pytest.raises(LessonError, match=message):
            parse_lesson(f'[[scene]]\ntitle = "t"\n{bad}\n')
    with pytest.raises(LessonError, match="at least one"):
        parse_lesson('title = "empty"\n')


def test_the_window_steps_through_scenes_with_clicker_keys(qtbot, tmp_path):
    lesson = tmp_path / "mine.toml"
    lesson.write_text('''title = "test"
[[scene]]
title = "Points of my own"
caption = "three points"
points = [[0.0, 0.0], [1.0, 0.5], [-1.0, 0.5]]
field = "exact"
sigma = 0.4

[[scene]]
title = "Langevin on 8 Gaussians"
caption = "particles follow the exact score"
data = "8gaussians"
sampler = "langevin"
score = "exact"
particles = 300
steps = 50
play = "release"

[[scene]]
title = "Learned, after training"
caption = "trains first"
data = "moons"
score = "learned"
sampler = "ode"
particles = 200
steps = 20
train_steps = 40
play = "release"
''')
    w = make_window(qtbot, tmp_path, preset="moons")
    try:
        w.show()
        qtbot.waitUntil(lambda: w.process is not None, timeout=20_000)
        assert w.lessons.open(str(lesson)) and w.lessons.index == 0
        assert w.data_points().shape == (3, 2) and "Points of my own" in w.last_message[1]
        qtbot.keyClick(w, QtCore.Qt.Key.Key_PageDown)
        assert w.lessons.index == 1 and w.editor.name == "8gaussians"
        qtbot.waitUntil(lambda: w.last_particles is not None and w.last_particles.sampler == "langevin", timeout=20_000)
        qtbot.keyClick(w, QtCore.Qt.Key.Key_Right)                       # arrows step scenes in a lesson
        assert w.lessons.index == 2 and "training 40 steps first" in w.last_message[1]
        qtbot.waitUntil(lambda: w.last_particles is not None and w.last_particles.sampler == "ode", timeout=30_000)
        assert w.last_train.step >= 40
        qtbot.keyClick(w, QtCore.Qt.Key.Key_PageUp)
        assert w.lessons.index == 1
        w.lessons.stop()
        assert not w.lessons.active
    finally:
        close_and_check(w)


def test_a_broken_lesson_in_the_window_is_a_message_and_changes_nothing(qtbot, tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text('[[scene]]\ntitle = "t"\nfield = "sideways"\n')
    w = make_window(qtbot, tmp_path, preset="moons")
    try:
        qtbot.waitUntil(lambda: w.process is not None, timeout=20_000)
        version = w.editor.version
        assert not w.lessons.open(str(path))
        assert w.last_message[0] == "error" and "line 1" in w.last_message[1] and not w.lessons.active
        assert w.editor.version == version
    finally:
        close_and_check(w)


def test_the_image_scene_samples_digits_from_the_shipped_model(qtbot, tmp_path):
    lesson = load_lesson("intro")
    last = lesson.scenes[-1]
    assert last.mode == "images" and last.checkpoint and last.checkpoint.endswith("digits.pt")
    w = make_window(qtbot, tmp_path, preset="moons")
    try:
        qtbot.waitUntil(lambda: w.process is not None, timeout=20_000)
        assert w.lessons.open("intro")
        w.lessons.go(len(lesson.scenes) - 1)
        qtbot.waitUntil(lambda: w.image_mode is not None and w.image_mode.model_info is not None
                        and w.image_mode.model_info.source == last.checkpoint, timeout=30_000)
        assert w.image_mode.model_info.conditional
        qtbot.waitUntil(lambda: w.image_mode.sample_frames > 0, timeout=30_000)   # digits emerging at once
    finally:
        close_and_check(w)
