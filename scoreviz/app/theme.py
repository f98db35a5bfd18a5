"""Dark (screen) and light (projector) themes: one palette per theme, applied to Qt and to pyqtgraph items."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scoreviz.app.qt import QtGui, QtWidgets, pg


# Rules for the colours (checked by tests/test_colours.py):
# - a ramp that encodes a quantity (noised density, arrow length) is a perceptual colour map from pyqtgraph
#   (matplotlib's cividis / inferno / magma, colorcet's CET-L12), so equal steps look equal and lightness
#   only ever rises (dark theme) or falls (light theme) with the value, for every kind of colour vision;
# - the heat ramp starts at the plot background ("floor"), so empty space stays the background;
# - the arrow ramp leaves out the end that would vanish into the background;
# - the mode palette (particles by mixture component) is Okabe & Ito's colour-blind-safe set, ordered so the
#   first few (the usual 2–4 modes) stay the most distinct under protan-, deutan- and tritanopia too (the
#   order maximises the smallest CIELAB difference of each prefix; no red/green pair early); on the dark
#   theme its black gives way to light grey; on the light theme its yellow (too pale on white) gives way to
#   Paul Tol's olive.


@dataclass(frozen=True)
class Ramp:
    """The part [start, stop] of a pyqtgraph colour map (stop < start reverses it), optionally entered from a
    `floor` colour over its first FLOOR_SPAN."""
    name: str
    start: float
    stop: float
    floor: str | None = None

    FLOOR_SPAN = 0.12

    def lut(self, n: int) -> np.ndarray:
        """(n, 4) uint8 RGBA, low → high."""
        x = np.linspace(0.0, 1.0, n)
        if self.floor is not None:
            t = np.clip((x - self.FLOOR_SPAN) / (1.0 - self.FLOOR_SPAN), 0.0, 1.0)
        else:
            t = x
        cmap = pg.colormap.get(self.name)
        rgba = cmap.map(self.start + (self.stop - self.start) * t, mode="float")[:, :4] * 255.0
        if self.floor is not None:
            floor = np.array(QtGui.QColor(self.floor).getRgb(), dtype=float)
            w = np.clip(x / self.FLOOR_SPAN, 0.0, 1.0)[:, None]
            rgba = floor + (rgba - floor) * w
        return np.clip(np.rint(rgba), 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class Theme:
    name: str
    window: str
    panel: str
    text: str
    muted: str
    accent: str
    plot_bg: str
    axis: str
    data_points: str
    particles: str
    heat: Ramp                        # colour map of the noised density, low → high
    arrows: Ramp                      # colour map of the arrow magnitude bands, short → long
    mode_colours: tuple[str, ...]     # particles by mixture component
    error: str
    warning: str
    ok: str
    trail_rgb: tuple[int, int, int]

    def heat_lut(self, n: int = 256) -> np.ndarray:
        return self.heat.lut(n)

    def arrow_colours(self, bands: int) -> list[QtGui.QColor]:
        return [QtGui.QColor(*map(int, rgb[:3])) for rgb in self.arrows.lut(bands)]

    def mode_colour(self, k: int) -> QtGui.QColor:
        return QtGui.QColor(self.mode_colours[k % len(self.mode_colours)])


# Okabe & Ito (2008), "Color Universal Design": orange, sky blue, bluish green, reddish purple, yellow,
# vermillion, blue, black.
_OKABE_ITO = {"orange": "#e69f00", "sky_blue": "#56b4e9", "bluish_green": "#009e73", "reddish_purple": "#cc79a7",
              "yellow": "#f0e442", "vermillion": "#d55e00", "blue": "#0072b2", "black": "#000000"}


def _palette(*names: str) -> tuple[str, ...]:
    return tuple(_OKABE_ITO.get(n, n) for n in names)


DARK = Theme(
    name="dark", window="#1b1e24", panel="#23272f", text="#e6e8ec", muted="#9aa3b2", accent="#4fa3ff",
    plot_bg="#0e1014", axis="#9aa3b2", data_points="#c9d1e0", particles="#ffe9a8",
    # the heat is a backdrop: cividis from navy to its low-chroma slate middle, so every mode colour and
    # arrow stays readable on it (viridis' teal hid the green mode, its bright top outshone the particles);
    # magma from its pink (its black start is the background) to its pale yellow: long arrows are brightest
    heat=Ramp("cividis", 0.0, 0.45, floor="#0e1014"),
    arrows=Ramp("magma", 0.45, 1.0),
    mode_colours=_palette("sky_blue", "vermillion", "yellow", "reddish_purple", "orange", "bluish_green", "blue",
                          "#bbbbbb"),
    error="#ff6b6b", warning="#ffcc66", ok="#7bed9f", trail_rgb=(255, 150, 60),
)

LIGHT = Theme(
    name="light", window="#f4f5f7", panel="#ffffff", text="#15181d", muted="#5b6472", accent="#0b63ce",
    plot_bg="#ffffff", axis="#3a3f48", data_points="#5b6472", particles="#b3261e",
    # colorcet's linear blue from white to a light blue (darker, it hid the blue modes); inferno reversed
    # from orange to near black: on white, long arrows are the darkest
    heat=Ramp("CET-L12", 0.0, 0.62, floor="#ffffff"),
    arrows=Ramp("inferno", 0.74, 0.06),
    mode_colours=_palette("vermillion", "blue", "black", "sky_blue", "reddish_purple", "orange", "bluish_green",
                          "#999933"),
    error="#c81d25", warning="#a86b00", ok="#1f8a5b", trail_rgb=(200, 90, 20),
)

THEMES = {"dark": DARK, "light": LIGHT}

#: Particles without mode labels in the pair plot and the 3-D view (their trails and histograms too), any theme.
PROJECTED_PARTICLES_RGB = (255, 170, 60)


def apply_theme(app: QtWidgets.QApplication, theme: Theme) -> None:
    """Qt palette + a small style sheet for the whole application, and pyqtgraph's defaults."""
    app.setStyle("Fusion")
    pal = QtGui.QPalette()
    c = QtGui.QColor
    role = QtGui.QPalette.ColorRole
    pal.setColor(role.Window, c(theme.window))
    pal.setColor(role.WindowText, c(theme.text))
    pal.setColor(role.Base, c(theme.panel))
    pal.setColor(role.AlternateBase, c(theme.window))
    pal.setColor(role.Text, c(theme.text))
    pal.setColor(role.Button, c(theme.panel))
    pal.setColor(role.ButtonText, c(theme.text))
    pal.setColor(role.Highlight, c(theme.accent))
    pal.setColor(role.HighlightedText, c("#ffffff"))
    pal.setColor(role.ToolTipBase, c(theme.panel))
    pal.setColor(role.ToolTipText, c(theme.text))
    pal.setColor(role.PlaceholderText, c(theme.muted))
    pal.setColor(QtGui.QPalette.ColorGroup.Disabled, role.ButtonText, c(theme.muted))
    pal.setColor(QtGui.QPalette.ColorGroup.Disabled, role.Text, c(theme.muted))
    pal.setColor(QtGui.QPalette.ColorGroup.Disabled, role.WindowText, c(theme.muted))
    app.setPalette(pal)
    app.setStyleSheet(f"""
        QGroupBox {{ font-weight: 600; border: 1px solid {theme.muted}55; border-radius: 6px;
                     margin-top: 14px; padding: 8px 6px 6px 6px; }}
        QGroupBox::title {{ subcontrol-origin: margin; left: 8px; padding: 0 4px; color: {theme.accent}; }}
        QLabel#valueLabel {{ font-family: monospace; }}
        QLabel#sigmaLabel {{ font-size: 15px; font-weight: 600; font-family: monospace; }}
        QLabel#hintLabel {{ color: {theme.muted}; }}
        QPushButton {{ padding: 4px 10px; }}
        QPushButton:checked {{ background: {theme.accent}; color: white; }}
        QToolButton:checked {{ background: {theme.accent}; color: white; border-radius: 3px; }}
    """)
    pg.setConfigOptions(background=theme.plot_bg, foreground=theme.axis)
