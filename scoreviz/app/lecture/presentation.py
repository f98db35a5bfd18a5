"""Presentation mode (F5, View → Present; Esc leaves): the canvas full screen for a projector.

Entering hides the docks, the menu bar and the status bar, shows the window full screen, and switches to a
high-contrast, colour-blind-safe palette (Okabe–Ito for the modes, axes in the text colour), thicker arrows,
bigger particles, wider trails and text of at least 20 pt (axes, σ bar, caption). A caption line under the
canvas says what is on screen ("Annealed Langevin · level 7 of 10 · σ = 0.82", "exact score of the data noised
at σ = 0.5"), updated from the frames the window draws. Leaving restores every one of those things as it was.

`SceneStyle` / `style_scene` are shared with the recorder, so a clip recorded during a talk looks like the talk.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from scoreviz.lab.captions import caption as caption_text
from scoreviz.lab.commands import SetFrameRate

from scoreviz.app.qt import QtCore, QtGui, QtWidgets
from scoreviz.app.theme import Theme, apply_theme

#: Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision deficiency.
#: Their black is swapped for white to stay visible on the dark background, their yellow (too pale on white)
#: for black on the light one.
OKABE_ITO_DARK = ("#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#F0E442", "#D55E00", "#0072B2", "#FFFFFF")
OKABE_ITO_LIGHT = ("#D55E00", "#0072B2", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#7F7F7F")
#: Smallest text in presentation mode (points): readable from the back of a lecture room.
MIN_POINT_SIZE = 20
CAPTION_POINT_SIZE = 24
#: Particle frames per second while presenting (the session's default, 30, leaves more of the CPU to training;
#: `scoreviz bench --only gui` reports the training rate beside both).
PRESENTATION_FPS = 60


@dataclass(frozen=True)
class SceneStyle:
    """How heavy the canvas is drawn: arrow pen width and particle size (screen px), trail width (backdrop
    pixels, odd), trajectory width (screen px) and the axes' font (points; None: the theme's default)."""

    arrow_width: float = 1.0
    particle_size: float = 2.0
    trail_width: int = 1
    axis_point_size: int | None = None
    trajectory_width: int = 1


NORMAL_STYLE = SceneStyle()
PRESENTATION_STYLE = SceneStyle(arrow_width=2.0, particle_size=4.0, trail_width=3, axis_point_size=MIN_POINT_SIZE,
                                trajectory_width=2)


def presentation_theme(theme: Theme) -> Theme:
    """`theme` made for a projector: Okabe–Ito modes, axes in the text colour, particles and trails at full
    contrast. The field's colour ramps stay the theme's (perceptual maps that every kind of colour vision
    reads in order)."""
    dark = theme.name == "dark"
    return replace(theme, mode_colours=OKABE_ITO_DARK if dark else OKABE_ITO_LIGHT, axis=theme.text,
                   particles="#ffffff" if dark else "#000000", trail_rgb=(230, 159, 0) if dark else (213, 94, 0))


def style_scene(scene, style: SceneStyle) -> None:
    """Apply `style` to a Scene2D (the window's or the recorder's offscreen one)."""
    scene.field.width = style.arrow_width
    scene.field.set_colours(scene.theme.arrow_colours(scene.field.n_bands))
    scene.particle_size = style.particle_size
    scene.particles.set_style([scene.theme.particles], style.particle_size)
    scene.trail_width = style.trail_width
    scene.trajectories.width = style.trajectory_width
    scene.trajectories.update()
    scene.density.set_point_size(style.axis_point_size)
    font = QtGui.QFont()
    if style.axis_point_size:
        font.setPointSize(style.axis_point_size)
    for name in ("left", "bottom"):
        axis = scene.plot.getAxis(name)
        axis.setTickFont(font)
        axis.setStyle(tickTextOffset=8 if style.axis_point_size else 3)


class Presentation(QtCore.QObject):
    """Presentation mode of a MainWindow: `enter()`, `leave()`, `toggle()`; `active`, `caption` (a QLabel)."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.active = False
        self.style = NORMAL_STYLE
        self._saved: dict = {}
        self.caption = QtWidgets.QLabel()
        self.caption.setObjectName("presentationCaption")
        self.caption.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.caption.setWordWrap(True)
        self.caption.setVisible(False)
        font = QtGui.QFont()
        font.setPointSize(CAPTION_POINT_SIZE)
        self.caption.setFont(font)
        central = window.modes.widget(0)          # the 2-D lab: banner, canvas stack, σ bar
        layout = central.layout()
        layout.insertWidget(layout.indexOf(window.sigma_bar), self.caption)
        self.leave_key = QtGui.QShortcut(QtGui.QKeySequence(QtCore.Qt.Key.Key_Escape), window)
        self.leave_key.setContext(QtCore.Qt.ShortcutContext.WindowShortcut)
        self.leave_key.activated.connect(self.leave)
        self.leave_key.setEnabled(False)        # Esc means nothing special outside presentation mode
        for signal in (window.particles_shown, window.field_shown, window.process_shown):
            signal.connect(self._refresh)

    def toggle(self) -> None:
        self.leave() if self.active else self.enter()

    def enter(self) -> None:
        if self.active:
            return
        w = self.window
        chrome = [w.dock, w.schedule_dock, w.high_dim.dock, w.menuBar(), w.statusBar()]
        self._saved = {"theme": w.theme, "state": w.windowState(), "geometry": w.geometry(),
                       "shown": [(x, not x.isHidden()) for x in chrome],
                       "sigma_sheets": [(lab, lab.styleSheet()) for lab in w.sigma_bar.findChildren(QtWidgets.QLabel)]}
        self.active = True
        for widget in chrome:
            widget.setVisible(False)
        self._apply(presentation_theme(self._saved["theme"]), PRESENTATION_STYLE)
        for lab, _ in self._saved["sigma_sheets"]:
            lab.setStyleSheet(f"font-size: {MIN_POINT_SIZE + 2}pt;")
        self.caption.setStyleSheet(f"color: {w.theme.text}; padding: 6px;")
        self.caption.setVisible(True)
        self.leave_key.setEnabled(True)
        self._refresh()
        # the screen's whole area first: where no window manager makes a window full screen (a bare X server
        # driving a projector), showFullScreen alone leaves it where it was, its bottom cut off
        w.setGeometry(w.screen().geometry())
        w.showFullScreen()
        w.scene.widget.setFocus()
        w.send(SetFrameRate(PRESENTATION_FPS))   # a smooth animation for the room, at some training speed

    def leave(self) -> None:
        if not self.active:
            return
        w, saved = self.window, self._saved
        self.active = False
        self.leave_key.setEnabled(False)
        self.caption.setVisible(False)
        w.send(SetFrameRate(None))
        for lab, sheet in saved["sigma_sheets"]:
            lab.setStyleSheet(sheet)
        self._apply(saved["theme"], NORMAL_STYLE)
        for widget, shown in saved["shown"]:
            widget.setVisible(shown)
        state = saved["state"]
        if state & QtCore.Qt.WindowState.WindowFullScreen:
            w.showFullScreen()
        elif state & QtCore.Qt.WindowState.WindowMaximized:
            w.showMaximized()
        else:
            w.showNormal()
            # the client area as it was: restoreGeometry's frame geometry, without a window manager to draw a
            # frame (a bare X server), put the window a title bar's height lower than it was
            w.setGeometry(saved["geometry"])

    # --- internals -------------------------------------------------------------------------------------------
    def _apply(self, theme: Theme, style: SceneStyle) -> None:
        """What MainWindow.set_theme does, for a Theme object (the presentation palette is not in THEMES)."""
        w = self.window
        w.theme = theme
        apply_theme(QtWidgets.QApplication.instance(), theme)
        w.scene.apply_theme(theme)
        w.plot1d.apply_theme(theme)
        w.dock.apply_theme(theme, w.scene.mode_colours())
        self.style = style
        style_scene(w.scene, style)
        w.scene.backdrop.reset()
        w.frames.redraw(w.last_field, w.last_particles)   # again, in the new colours


    def _refresh(self, *_):
        if self.active:
            w = self.window
            self.caption.setText(caption_text(w.last_particles, w.last_field) or "scoreviz")
