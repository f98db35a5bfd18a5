"""Soak: thousands of painted frames of the real items (PySide6 6.12.0 on Python 3.11 corrupts the
refcount of None in overridden paint(); the count must stay flat), and the items' geometry."""
from __future__ import annotations

import sys

import numpy as np

from scoreviz.bench.gui import synthetic_frames
from scoreviz.app.canvas.items import magnitude_bands
from scoreviz.app.qt import QtGui


def test_the_drawn_arrows_point_along_the_vectors(qtbot):
    """The lines the field item paints: each shaft runs from its tail along its vector, both barbs start at the
    tip and point back towards the tail, and arrows of larger |σ·s| go to a later colour band."""
    from scoreviz.app.canvas.items import VectorFieldItem

    item = VectorFieldItem()
    tails = np.array([[0.0, 0.0], [1.0, 1.0]])
    vectors = np.array([[0.1, 0.0], [0.0, -2.0]])          # |σ·s| = 0.1 and 2.0
    item.set_field(tails, vectors, np.linalg.norm(vectors, axis=1), cell=0.5, bounded=True)
    small = item.lines_of_band(int(magnitude_bands(np.array([0.1]))[0]))
    large = item.lines_of_band(int(magnitude_bands(np.array([2.0]))[0]))
    assert small.shape == (3, 4) and large.shape == (3, 4)
    for lines, tail, v in ((small, tails[0], vectors[0]), (large, tails[1], vectors[1])):
        shaft = lines[0]
        assert np.allclose(shaft[:2], tail)
        along = shaft[2:] - shaft[:2]
        assert np.dot(along, v) > 0 and abs(along[0] * v[1] - along[1] * v[0]) < 1e-12   # parallel, same way
        assert 0 < np.linalg.norm(along) <= 0.5                                              # bounded by the cell
        for barb in lines[1:]:
            assert np.allclose(barb[:2], shaft[2:])                                           # from the tip
            assert np.dot(barb[2:] - barb[:2], along) < 0                                     # pointing back
    # the longer score gets the longer arrow (length grows with magnitude, bounded)
    assert np.linalg.norm(large[0, 2:] - large[0, :2]) > np.linalg.norm(small[0, 2:] - small[0, :2])


def _painted(item, general: bool) -> np.ndarray:
    """The opaque pixels of `item` painted onto a 100×100 image, by the item's own paint() or, with `general`,
    by Qt's drawPoints path."""
    image = QtGui.QImage(100, 100, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(0)
    painter = QtGui.QPainter(image)
    item._draw_points(painter) if general else item.paint(painter, None)
    painter.end()
    return (np.frombuffer(image.constBits(), np.uint32).reshape(100, 100) >> 24) > 128


def test_presentation_points_are_splatted_where_qt_draws_them(qtbot):
    """Round points of presentation mode's size (4 px) go through the NumPy splat: each is the same 12-pixel
    disc, centred within half a pixel of where Qt's round-capped pen draws it, in the point's colour."""
    from scoreviz.app.canvas.items.points import PointCloudItem, footprint

    assert len(footprint(4, True)) == 12 and len(footprint(2, False)) == 4
    points = np.array([[10.3, 10.7], [30.5, 20.5], [50.9, 40.1], [70.0, 70.0]])
    item = PointCloudItem("#E69F00", 4.0)
    item.set_points(points)
    qt, splat = _painted(item, general=True), _painted(item, general=False)
    for x, y in points:
        window = np.s_[int(y) - 5:int(y) + 6, int(x) - 5:int(x) + 6]
        ours, theirs = np.argwhere(splat[window]), np.argwhere(qt[window])
        assert len(ours) == 12 and 10 <= len(theirs) <= 13
        assert np.abs(ours.mean(0) - theirs.mean(0)).max() <= 0.5
    assert splat.sum() == 4 * 12                       # nothing else drawn
    item.set_points(points + 3.0)
    assert _painted(item, general=False).sum() == 4 * 12   # the next frame: the buffer was cleared after the last


def test_wide_arrows_are_drawn_that_many_pixels_thick(qtbot):
    """Presentation mode's 2-px arrows, drawn as one-pixel passes shifted across each line: a flat shaft is two
    rows thick and a steep one two columns wide, under a flipped y axis as in the plot; thin arrows stay one."""
    from scoreviz.app.canvas.items import VectorFieldItem

    tails = np.array([[1.0, 3.0], [6.0, 1.0]])
    vectors = np.array([[3.0, 0.0], [0.0, 3.0]])               # a flat arrow and a steep one
    thickness = {}
    for width in (1.0, 2.0):
        item = VectorFieldItem(width=width)
        item.set_field(tails, vectors, np.ones(2), cell=4.0, bounded=False)
        image = QtGui.QImage(100, 100, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(0)
        painter = QtGui.QPainter(image)
        painter.translate(0, 100)
        painter.scale(10, -10)                                   # data (x, y) → pixels (10x, 100 − 10y)
        item.paint(painter, None)
        painter.end()
        lit = (np.frombuffer(image.constBits(), np.uint32).reshape(100, 100) >> 24) > 0
        thickness[width] = (lit[:, 20].sum(), lit[80, :].sum())   # across the flat shaft, across the steep one
    assert thickness[1.0] == (1, 1) and thickness[2.0] == (2, 2)


def test_colour_bands_are_a_fixed_scale():
    """A magnitude's band depends on the magnitude alone (no normalisation by the batch, so colours do not
    flicker as σ moves), grows with it, and the top band is open-ended."""
    m = np.array([0.05, 0.3, 0.7, 1.1, 2.0, 5.0])
    bands = magnitude_bands(m)
    assert list(bands) == sorted(bands) and bands[0] < bands[-1]
    for value, band in zip(m, bands):
        assert magnitude_bands(np.array([value]))[0] == band                        # alone or in a batch
        assert magnitude_bands(np.array([value, 100.0 * value]))[0] == band        # whatever else is drawn
    assert magnitude_bands(np.array([100.0]))[0] == magnitude_bands(np.array([3.0]))[0]
    assert magnitude_bands(m * 10)[0] != bands[0]                                   # not rescaled per frame


def test_soak_thousands_of_frames_keep_none_refcount_flat(qtbot):
    from scoreviz.app.canvas.scene import Scene2D
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


def test_wide_trails_are_the_splat_of_shifted_copies():
    """Presentation mode's 3-pixel trails (a box sum of the 1-pixel splat) are exactly what splatting each
    particle at the 3 × 3 whole-pixel shifts around it gives, edges included."""
    from scoreviz.app.canvas.items.backdrop import box_sum

    rng = np.random.default_rng(1)
    n = 16
    pixels = rng.integers(0, n, size=(40, 2))
    pixels[:4] = [[0, 0], [n - 1, n - 1], [0, n - 1], [n - 1, 5]]          # corners and edges
    splat = np.zeros((n, n))
    np.add.at(splat, (pixels[:, 1], pixels[:, 0]), 1.0)
    shifted = np.zeros((n, n))
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            col, row = pixels[:, 0] + dx, pixels[:, 1] + dy
            ok = (col >= 0) & (col < n) & (row >= 0) & (row < n)
            np.add.at(shifted, (row[ok], col[ok]), 1.0)
    np.testing.assert_array_equal(box_sum(splat, 1), shifted)
    np.testing.assert_array_equal(box_sum(splat, 0), splat)


def test_a_field_made_ahead_draws_the_same_as_one_made_in_the_frame(qtbot):
    """The window makes a new field's arrows, their grouping for wide pens and the heat indices when the field
    arrives; the frame that shows it must draw exactly what making them in the frame would, and a field made
    ahead for another frame (or over another view) is not used for this one."""
    from dataclasses import replace as changed

    from scoreviz.app.lecture.presentation import PRESENTATION_STYLE, presentation_theme, style_scene
    from scoreviz.app.canvas.scene import Scene2D
    from scoreviz.app.theme import DARK

    scene = Scene2D(presentation_theme(DARK))
    style_scene(scene, PRESENTATION_STYLE)
    scene.widget.resize(600, 400)
    scene.set_view(-4, 4, -4, 4)
    scene.sync_trail_area()
    field, _ = synthetic_frames(n_grid=16)
    scene.show_field(field)
    made_in_frame = [scene.field.lines_of_band(k).copy() for k in range(scene.field.n_bands)]
    heat_in_frame = scene.backdrop.heat.index.copy()
    scene.clear_field()
    ahead = scene.prepare_field(field)
    scene.show_field(field, ahead=ahead)
    for k, lines in enumerate(made_in_frame):
        np.testing.assert_array_equal(scene.field.lines_of_band(k), lines)
    np.testing.assert_array_equal(scene.backdrop.heat.index, heat_in_frame)
    assert scene.field._by_slope is ahead.groups                  # the wide pens' grouping came ahead too
    other = changed(field, heat=field.heat - 1.0)                 # ahead was made for another frame
    scene.show_field(other, ahead=ahead)
    assert not np.array_equal(scene.backdrop.heat.index, heat_in_frame)
    ahead = scene.prepare_field(field)
    scene.set_view(-2, 2, -2, 2)                                  # the view moved before the frame
    scene.sync_trail_area()
    scene.show_field(field, ahead=ahead)
    zoomed = scene.backdrop.heat.index.copy()
    scene.show_field(field)
    np.testing.assert_array_equal(zoomed, scene.backdrop.heat.index)
    assert not np.array_equal(zoomed, heat_in_frame)
