"""Dark (screen) and light (projector) themes: one palette per theme, applied to Qt and to pyqtgraph items."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .qt import QtGui, QtWidgets, pg


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
    heat_stops: tuple[str, ...]       # colour map of the noised density, low → high
    arrow_stops: tuple[str, ...]      # colour map of the arrow magnitude bands, short → long
    mode_colours: tuple[str, ...]     # particles by mixture component
    error: str
    warning: str
    ok: str
    trail_rgb: tuple[int, int, int]

    def heat_lut(self, n: int = 256) -> np.ndarray:
        return _lut(self.heat_stops, n)

    def arrow_colours(self, bands: int) -> list[QtGui.QColor]:
        lut = _lut(self.arrow_stops, bands)
        return [QtGui.QColor(*map(int, rgb[:3])) for rgb in lut]

    def mode_colour(self, k: int) -> QtGui.QColor:
        return QtGui.QColor(self.mode_colours[k % len(self.mode_colours)])


def _lut(stops: tuple[str, ...], n: int) -> np.ndarray:
    colours = np.array([QtGui.QColor(c).getRgb() for c in stops], dtype=float)
    pos = np.linspace(0, 1, len(stops))
    x = np.linspace(0, 1, n)
    return np.stack([np.interp(x, pos, colours[:, i]) for i in range(4)], axis=1).astype(np.uint8)


DARK = Theme(
    name="dark", window="#1b1e24", panel="#23272f", text="#e6e8ec", muted="#9aa3b2", accent="#4fa3ff",
    plot_bg="#0e1014", axis="#9aa3b2", data_points="#c9d1e0", particles="#ffe9a8",
    heat_stops=("#0e1014", "#132238", "#1d3b5c", "#2e5f7d", "#4b8a91", "#7fb59a"),
    arrow_stops=("#5e6b85", "#8fa7c8", "#f0d77a", "#ff9f43", "#ff5e57"),
    mode_colours=("#ff6b6b", "#4dd4ff", "#ffd166", "#7bed9f", "#c59bff", "#ff9ff3", "#f8a55f", "#a3e635"),
    error="#ff6b6b", warning="#ffcc66", ok="#7bed9f", trail_rgb=(255, 150, 60),
)

LIGHT = Theme(
    name="light", window="#f4f5f7", panel="#ffffff", text="#15181d", muted="#5b6472", accent="#0b63ce",
    plot_bg="#ffffff", axis="#3a3f48", data_points="#5b6472", particles="#b3261e",
    heat_stops=("#ffffff", "#eef4fb", "#d3e4f4", "#a9cbe8", "#78acd9", "#4a88c2"),
    arrow_stops=("#8a94a6", "#3f5f8f", "#1f8a5b", "#d07a00", "#c81d25"),
    mode_colours=("#d62828", "#0077b6", "#e09f00", "#2a9d8f", "#7b2cbf", "#c2185b", "#e76f51", "#4d7c0f"),
    error="#c81d25", warning="#a86b00", ok="#1f8a5b", trail_rgb=(200, 90, 20),
)

THEMES = {"dark": DARK, "light": LIGHT}


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
