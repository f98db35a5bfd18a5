"""Soak: thousands of painted frames of the real items (GUIDE §1: PySide6 6.12.0 on Python 3.11 corrupts the
refcount of None in overridden paint(); the count must stay flat), and the items' geometry."""
from __future__ import annotations

import sys

import numpy as np

from scoreviz.app.bench_gui import synthetic_frames
from scoreviz.app.items import arrow_segments, magnitude_bands
from scoreviz.app.qt import QtGui


def test_arrow_segments_point_along_the_vectors():
    xs, ys = arrow_segments(np.array([0.0, 1.0]), np.array([0.0, 1.0]), np.array([1.0, 0.0]), np.array([0.0, -2.0]))
    assert xs.shape == (12,)
    # shaft of arrow 0 from (0, 0) to (1, 0); of arrow 1 from (1, 1) to (1, −1)
    assert (xs[0], ys[0], xs[1], ys[1]) == (0.0, 0.0, 1.0, 0.0)
    assert (xs[6], ys[6], xs[7], ys[7]) == (1.0, 1.0, 1.0, -1.0)
    # barbs start at the tip and point back
    assert xs[3] < 1.0 and ys[9] > -1.0


def test_colour_bands_are_fixed():
    m = np.array([0.0, 0.1, 0.5, 1.0, 5.0, 100.0])
    assert list(magnitude_bands(m)) == list(magnitude_bands(m * 1.0))
    assert magnitude_bands(np.array([100.0]))[0] == magnitude_bands(np.array([3.0]))[0]  # open-ended top band


def test_soak_thousands_of_frames_keep_none_refcount_flat(qtbot):
    from scoreviz.app.scene import Scene2D
    from scoreviz.app.theme import DARK

    scene = Scene2D(DARK)
    qtbot.addWidget(scene.widget)
    scene.widget.resize(400, 400)
    scene.set_view(-4, 4, -4, 4)
    scene.sync_trail_area()
    field, particles = synthetic_frames(n_grid=24, n_particles=1000)
    image = QtGui.QImage(400, 400, QtGui.QImage.Format.Format_ARGB32_Premultiplied)

    def frame(i):
        if i % 8 == 0:
            scene.show_field(field)
        scene.show_particles(particles(i))
        painter = QtGui.QPainter(image)
        scene.widget.render(painter)
        painter.end()

    for i in range(50):
        frame(i)
    before = sys.getrefcount(None)
    for i in range(2000):
        frame(i)
    after = sys.getrefcount(None)
    assert abs(after - before) < 500, f"refcount of None drifted by {after - before} over 2,000 frames"
    # the frame shows something: the particles' colours are in the image
    arr = np.frombuffer(image.constBits(), np.uint8).reshape(400, 400, 4)
    assert arr[..., :3].max() > 100
