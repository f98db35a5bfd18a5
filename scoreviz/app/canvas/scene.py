"""The 2-D scene: heat map of p_σ, the data, the score field, particle trails and particles, in one canvas.

Z order (bottom → top): backdrop (heat map + trails in one image), data density image, data points, the Density
view's contour lines, arrows, trajectories (whole paths of a few particles, `trajectories_on`), particles, brush
cursor. The heat map is the field's log p_σ, or, in the Density view with a model, the model's log p̃
(`density`, app.canvas.density_overlay).
Everything is updated from frames (`show_field`, `show_particles`, `show_data`), so the same object serves
the window and the benchmark.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from scoreviz.app.canvas.density_overlay import DensityOverlay
from scoreviz.app.canvas.view_box import BrushCursor, make_canvas
from scoreviz.app.canvas.items import BackdropItem, PointCloudItem, TrajectoryItem, VectorFieldItem
from scoreviz.app.canvas.items.field import ArrowGeometry, SlopeGroups, arrow_geometry
from scoreviz.app.canvas.items.heat import PreparedHeat
from scoreviz.app.qt import QtCore, QtGui, QtWidgets, pg
from scoreviz.app.theme import Theme

HEAT_LEVELS = (-9.0, 0.0)   # log p_σ − max: fixed levels, so the colours mean the same at every frame
PARTICLE_SIZE = 2.0         # integer pixel widths draw fastest (no antialiased stroking)


@dataclass(frozen=True)
class PreparedField:
    """A FieldFrame's arrows and heat indices made ahead (`Scene2D.prepare_field`)."""

    frame: object
    arrows: ArrowGeometry | None          # None: made without arrows (they are hidden)
    groups: SlopeGroups | None
    heat: PreparedHeat | None


class Scene2D:
    def __init__(self, theme: Theme):
        self.widget, self.viewbox = make_canvas()
        self.plot = self.widget.getPlotItem()
        self.data_image = pg.ImageItem(axisOrder="row-major")
        self.data_image.setZValue(-10)
        self.data_points = PointCloudItem(size=2.0)
        self.data_points.setZValue(-5)
        self.field = VectorFieldItem()
        self.field.setZValue(10)
        self.backdrop = BackdropItem()     # heat map of p_σ + fading trails, one image
        self.backdrop.setZValue(-20)
        self.trajectories = TrajectoryItem()
        self.trajectories.setZValue(15)
        self.particles = PointCloudItem(size=PARTICLE_SIZE)
        self.particles.setZValue(20)
        self.cursor = BrushCursor()
        self.density = DensityOverlay(self.viewbox)   # the Density view: model map, exact contours, legend
        self._field = None                   # the last FieldFrame drawn (its heat returns when the view is left)
        for item in (self.data_image, self.data_points, self.field, self.backdrop, self.trajectories,
                     self.particles, self.cursor):
            self.viewbox.addItem(item, ignoreBounds=True)
        # static between data edits / zooms: blit cached pixmaps instead of replaying them every frame (the
        # axes' tick labels and the data cloud would otherwise cost ~0.3 ms and ~1 ms per frame)
        for item in (self.data_points, self.plot.getAxis("left"), self.plot.getAxis("bottom")):
            item.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.data_mode = "points"
        self.trails_on = True
        self.trajectories_on = False         # whole paths of the chosen particles (View panel, key P)
        self.particle_size = PARTICLE_SIZE   # presentation mode draws bigger points and wider trails
        self.trail_width = 1                 # backdrop pixels across one particle's trail (odd)
        self._serial = -1
        self._particle_frame = None          # the last ParticleFrame drawn (the trajectories' toggle redraws it)
        self._data = np.zeros((0, 2))
        self.theme = theme
        self.apply_theme(theme)

    # --- look ------------------------------------------------------------------------------------------------
    def apply_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.widget.setBackground(theme.plot_bg)
        for name in ("left", "bottom"):
            ax = self.plot.getAxis(name)
            ax.setPen(pg.mkPen(theme.axis))
            ax.setTextPen(pg.mkPen(theme.axis))
        self.field.set_colours(theme.arrow_colours(self.field.n_bands))
        self.backdrop.set_colour(theme.trail_rgb)
        c = QtGui.QColor(theme.data_points)
        c.setAlpha(110)
        self.data_points.set_style(c, 2.0)
        lut = np.zeros((256, 4), dtype=np.uint8)
        lut[:, :3] = QtGui.QColor(theme.data_points).getRgb()[:3]
        lut[:, 3] = np.linspace(0, 200, 256).astype(np.uint8)
        self.data_image.setLookupTable(lut)
        self.cursor.set_colour(QtGui.QColor(theme.text))
        self.particles.set_style([theme.particles], self.particle_size)
        self.trajectories.set_colours(self.mode_colours())
        self.density.apply_theme(theme)

    def mode_colours(self) -> list[QtGui.QColor]:
        return [QtGui.QColor(c) for c in self.theme.mode_colours]

    # --- geometry --------------------------------------------------------------------------------------------
    def view_rect(self) -> tuple[float, float, float, float]:
        (x0, x1), (y0, y1) = self.viewbox.viewRange()
        return float(x0), float(x1), float(y0), float(y1)

    def set_view(self, xmin: float, xmax: float, ymin: float, ymax: float) -> None:
        self.viewbox.setRange(xRange=(xmin, xmax), yRange=(ymin, ymax), padding=0)

    def sync_trail_area(self) -> None:
        x0, x1, y0, y1 = self.view_rect()
        self.backdrop.set_area(QtCore.QRectF(x0, y0, x1 - x0, y1 - y0))

    # --- content ---------------------------------------------------------------------------------------------
    def prepare_field(self, f, arrows: bool = True) -> PreparedField:
        """The arrows (if `arrows`) and heat indices of FieldFrame f made ahead: the window makes them when the
        frame arrives, between two frames, so that the frame showing it only swaps them in (NumPy only; nothing
        drawn changes)."""
        geometry = groups = None
        if arrows:
            geometry = arrow_geometry(f.points, f.vectors, f.magnitude, f.cell, f.bounded, self.field.edges)
            px, py = self.viewbox.viewPixelSize()        # data units per screen pixel
            groups = self.field.slope_groups_ahead(geometry, py / px if px > 0 else math.inf)
        heat = self.backdrop.prepare_heat(f.heat, f.heat_rect, HEAT_LEVELS) if f.heat is not None else None
        return PreparedField(f, geometry, groups, heat)

    def show_field(self, f, arrows: bool = True, ahead: PreparedField | None = None) -> None:
        """Draw FieldFrame f: its arrows (if `arrows`) and heat map, from `ahead` when it was made for f (else
        made now)."""
        if ahead is None or ahead.frame is not f or (arrows and ahead.arrows is None):
            ahead = self.prepare_field(f, arrows)
        if arrows:
            self.field.show_geometry(ahead.arrows, ahead.groups)
        self.field.setVisible(arrows)
        self._field = f
        if not self.density.owns_heat:      # the Density view's model map stays under a newer field
            self._show_heat(ahead.heat)

    def show_density(self, frame=None, on: bool | None = None) -> None:
        """The Density view: a new DensityFrame (None: keep the last) and/or on/off (None: keep it)."""
        if frame is not None:
            self.density.show(frame)
        if on is not None:
            self.density.set_on(on)
        self._show_heat()

    def follow_density(self, other: "Scene2D") -> None:
        """Show the Density view as `other` shows it (the recorder's offscreen canvas follows the window's)."""
        if self.density.follow(other.density):
            self._show_heat()

    def _show_heat(self, ahead: PreparedHeat | None = None) -> None:
        """The backdrop's heat: the model's map in the Density view (with a model), else the field's."""
        if self.density.owns_heat:
            values, rect = self.density.heat()
        elif self._field is not None and self._field.heat is not None:
            values, rect = self._field.heat, self._field.heat_rect
        else:
            self.backdrop.set_heat(None)
            return
        self.backdrop.set_heat(values, rect, HEAT_LEVELS, self.theme.heat_lut(), ahead)

    def clear_field(self) -> None:
        self.field.clear()
        self._field = None
        self.backdrop.set_heat(None)

    def show_particles(self, f) -> None:
        pos = f.positions
        if pos.ndim != 2 or pos.shape[1] != 2:
            pos = np.zeros((0, 2))
        colours = self.mode_colours() if f.labels is not None else [QtGui.QColor(self.theme.particles)]
        self.particles.set_colours(colours)
        self.particles.set_points(pos, f.labels)
        if f.serial != self._serial:
            self._serial = f.serial
            self.backdrop.reset()
        if self.trails_on and len(pos):
            self.backdrop.add(pos, self.trail_width)
        self._particle_frame = f
        self.show_trajectories(f)

    def show_trajectories(self, f) -> None:
        """The paths of ParticleFrame f's chosen particles, each in its particle's mode colour, while
        `trajectories_on`. Without modes they take the theme's accent: the particles' own colour is the trails'
        too, and a path must stand out from the trails around it."""
        paths = f.trajectories if self.trajectories_on else None
        if paths is None or paths.ndim != 3 or paths.shape[2] != 2:
            self.trajectories.clear()
            return
        if f.labels is not None and f.trajectory_index is not None and len(f.labels):
            self.trajectories.set_colours(self.mode_colours())
            groups = f.labels[f.trajectory_index]
        else:
            self.trajectories.set_colours([QtGui.QColor(self.theme.accent)])
            groups = None
        self.trajectories.set_paths(paths, groups)

    def set_trajectories(self, on: bool) -> None:
        """Draw the trajectories or not (those of the last particle frame appear or go at once)."""
        self.trajectories_on = bool(on)
        self.trajectories.setVisible(self.trajectories_on)
        if self._particle_frame is not None:
            self.show_trajectories(self._particle_frame)
        elif not on:
            self.trajectories.clear()

    def show_data(self, points: np.ndarray, mode: str | None = None) -> None:
        self.data_mode = mode or self.data_mode
        self._data = points if points.ndim == 2 and points.shape[1] == 2 else np.zeros((0, 2))
        pts = self._data
        self.data_points.set_points(pts if self.data_mode == "points" else np.zeros((0, 2)))
        if self.data_mode == "density" and len(pts):
            lo, hi = pts.min(0), pts.max(0)
            span = np.maximum(hi - lo, 1e-6)
            lo, hi = lo - 0.1 * span, hi + 0.1 * span
            counts, _, _ = np.histogram2d(pts[:, 1], pts[:, 0], bins=128, range=[[lo[1], hi[1]], [lo[0], hi[0]]])
            k = np.exp(-0.5 * (np.arange(-3, 4) / 1.2) ** 2)
            k /= k.sum()
            smooth = np.apply_along_axis(np.convolve, 0, counts, k, mode="same")
            smooth = np.apply_along_axis(np.convolve, 1, smooth, k, mode="same")
            self.data_image.setImage(np.sqrt(smooth / max(smooth.max(), 1e-12)), levels=(0, 1), autoLevels=False)
            self.data_image.setRect(QtCore.QRectF(lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1]))
            self.data_image.setVisible(True)
        else:
            self.data_image.setVisible(False)
