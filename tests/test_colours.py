"""The themes' colours: the heat and arrow ramps are perceptual (lightness monotone, from pyqtgraph's colour
maps) and the mode palette stays distinct for every kind of colour vision, on both themes."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from scoreviz.app.qt import QtGui, pg
from scoreviz.app.theme import DARK, LIGHT, THEMES

# Machado, Oliveira & Fernandes (2009), severity 1.0, applied to linear RGB: how a palette looks to people
# with protanopia, deuteranopia (together ~8 % of men) and tritanopia.
CVD = {
    "protan": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                        [-0.003882, -0.048116, 1.051998]]),
    "deutan": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                        [-0.011820, 0.042940, 0.968881]]),
    "tritan": np.array([[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                        [0.004733, 0.691367, 0.303900]]),
}


def linear_rgb(rgb) -> np.ndarray:
    c = np.asarray(rgb, dtype=float)[..., :3] / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def cielab(lin) -> np.ndarray:
    """CIE L*a*b* (D65) of linear sRGB."""
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = np.asarray(lin) @ m.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 216 / 24389, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], -1)


def lightness(rgb) -> np.ndarray:
    return cielab(linear_rgb(rgb))[..., 0]


def rgb_of(colour: str) -> np.ndarray:
    return np.array(QtGui.QColor(colour).getRgb()[:3], dtype=float)


def test_known_lightness_values():
    assert lightness([0, 0, 0]) == pytest.approx(0, abs=1e-6)
    assert lightness([255, 255, 255]) == pytest.approx(100, abs=0.01)
    assert lightness([119, 119, 119]) == pytest.approx(50.0, abs=0.3)


@pytest.mark.parametrize("theme", [DARK, LIGHT], ids=lambda t: t.name)
def test_heat_ramp_is_perceptual_and_starts_at_the_background(theme):
    assert theme.heat.name in pg.colormap.listMaps()
    lut = theme.heat_lut(256)
    assert lut.shape == (256, 4) and lut.dtype == np.uint8
    assert np.abs(lut[0, :3] - rgb_of(theme.plot_bg)).max() <= 1          # empty space is the background
    L = lightness(lut)
    sign = 1 if theme.name == "dark" else -1                               # lighter = more on dark, darker on white
    steps = sign * np.diff(L)
    assert steps.min() > -0.5, "lightness turns back (8-bit rounding allowed)"
    # a backdrop: enough range to read the density, not so much that it outshines particles and arrows
    assert 30 < sign * (L[-1] - L[0]) < 60
    # perceptually even past the entry from the background: equal value steps, near-equal lightness steps
    # (over 8 coarse steps: 8-bit rounding makes single entries uneven)
    coarse = sign * np.diff(L[np.linspace(int(0.15 * 255), 255, 9).astype(int)])
    assert np.abs(coarse / coarse.mean() - 1).max() < 0.4, coarse


@pytest.mark.parametrize("theme", [DARK, LIGHT], ids=lambda t: t.name)
def test_arrow_ramp_is_monotone_and_visible_on_the_background(theme):
    assert theme.arrows.name in pg.colormap.listMaps()
    from scoreviz.app.canvas.items.field import BAND_EDGES

    colours = theme.arrow_colours(len(BAND_EDGES))                         # one pen per magnitude band
    L = lightness(np.array([c.getRgb()[:3] for c in colours]))
    sign = 1 if theme.name == "dark" else -1                               # long arrows stand out most
    assert (sign * np.diff(L) > 2).all(), L
    assert np.abs(L - lightness(rgb_of(theme.plot_bg))).min() > 25, "the shortest arrows vanish"


def _palette_lab(colours, vision=None):
    lin = np.array([linear_rgb(rgb_of(c)) for c in colours])
    if vision is not None:
        lin = np.clip(lin @ CVD[vision].T, 0, 1)
    return cielab(lin)


def _min_difference(colours, vision=None) -> float:
    lab = _palette_lab(colours, vision)
    return min(np.linalg.norm(a - b) for a, b in itertools.combinations(lab, 2))


@pytest.mark.parametrize("theme", [DARK, LIGHT], ids=lambda t: t.name)
def test_mode_palette_is_distinct_for_every_colour_vision(theme):
    colours = theme.mode_colours
    assert len(colours) >= 8 and len(set(colours)) == len(colours)
    assert _min_difference(colours) > 20                            # ΔE*ab; 2.3 is "just noticeable"
    assert _min_difference(colours[:2]) > 60                        # the two-mode presets: unmistakable
    for vision in CVD:
        assert _min_difference(colours[:2], vision) > 60, vision
        assert _min_difference(colours[:4], vision) > 20, vision    # the usual 2–4 modes
        assert _min_difference(colours, vision) > 12, vision        # (the old palettes: 11.4 and 7.8)
    bg = _palette_lab([theme.plot_bg])[0]
    assert min(np.linalg.norm(c - bg) for c in _palette_lab(colours)) > 30, "a mode colour fades into the plot"


@pytest.mark.parametrize("theme", [DARK, LIGHT], ids=lambda t: t.name)
def test_particles_and_arrows_stand_out_on_the_heat_where_they_gather(theme):
    from scoreviz.app.canvas.items.field import BAND_EDGES

    lut = theme.heat_lut(256)
    arrows = [c.getRgb()[:3] for c in theme.arrow_colours(len(BAND_EDGES))]
    for index in (128, 255):                            # mid and top density: where the particles end up
        heat = cielab(linear_rgb(lut[index, :3]))
        assert min(np.linalg.norm(c - heat) for c in _palette_lab(theme.mode_colours)) > 12, index
        assert min(np.linalg.norm(cielab(linear_rgb(a)) - heat) for a in arrows) > 40, index


def test_both_themes_are_registered_and_differ():
    assert set(THEMES) == {"dark", "light"}
    assert DARK.heat != LIGHT.heat and DARK.mode_colours != LIGHT.mode_colours
