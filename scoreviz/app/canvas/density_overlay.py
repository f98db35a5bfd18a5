"""The Density view on a Scene2D: the model's log p̃_σ̃ as the canvas's heat map, the exact log p_σ̃ as contour
lines over it, and a legend — where colour and lines disagree, the model is wrong.

Both maps of a lab.density_view.DensityFrame ((ny, nx), row 0 = lowest y, sampled at the *corners* of its rect:
x_j = x + j·w/(nx − 1)) are shifted by the same constant, the exact map's maximum, and clipped at the heat map's
floor: colour = log p̃ − max log p, the exact heat map's scale (app.canvas.scene.HEAT_LEVELS). One shared constant,
not each map's own maximum, so that a model that spreads its mass too thinly shows *darker* than the truth instead
of being renormalised to look right. The lines are the exact map's iso-levels CONTOUR_LEVELS (nats below its
maximum), all in one path drawn by one item.
"""
from __future__ import annotations

import math

import numpy as np

from scoreviz.lab.field import HEAT_FLOOR

from scoreviz.app.qt import QtCore, QtGui, QtWidgets, pg

#: Iso-levels of the exact map, nats below its maximum: inside the colour range (−9, 0), a line per colour band.
CONTOUR_LEVELS = (-1.0, -2.0, -4.0, -6.0, -8.0)
LEGEND = "model log p̃ (colour) · exact log p (lines)"
NO_MODEL_HINT = "Density view: no model yet — the exact density; train (T) to see the model's"
#: The lines' opacity (of 255): they must not hide the colour under them, which is what they are compared with.
LINE_ALPHA = 190
LEGEND_OFFSET = 8          # screen pixels from the plot's top-left corner


def sample_rect(frame) -> tuple[float, float, float, float]:
    """The rect (x, y, w, h) whose cell centres are the frame's sample points: the map's rect widened by half a
    cell on each side (the backdrop's resampling puts values at cell centres)."""
    x, y, w, h = frame.rect
    ny, nx = frame.exact.shape
    dx, dy = w / max(nx - 1, 1), h / max(ny - 1, 1)
    return x - dx / 2, y - dy / 2, w + dx, h + dy


def shared_scale(frame) -> tuple[np.ndarray | None, np.ndarray]:
    """(model, exact) maps (ny, nx) float32 minus the exact map's maximum, clipped at HEAT_FLOOR (module doc)."""
    ref = float(np.max(frame.exact))
    exact = np.maximum(frame.exact - ref, HEAT_FLOOR).astype(np.float32)
    if frame.model is None:
        return None, exact
    model = np.where(np.isfinite(frame.model), frame.model - ref, HEAT_FLOOR)
    return np.maximum(model, HEAT_FLOOR).astype(np.float32), exact


def iso_lines(values: np.ndarray, rect, levels=CONTOUR_LEVELS) -> list[tuple[float, np.ndarray]]:
    """(level, polyline (K, 2) in data coordinates) of values (ny, nx) sampled at the corners of rect (x, y, w, h),
    by marching squares (linear along each cell edge)."""
    x, y, w, h = rect
    ny, nx = values.shape
    dx, dy = w / max(nx - 1, 1), h / max(ny - 1, 1)
    out = []
    for level in levels:
        for line in pg.functions.isocurve(values, level, connected=True):
            ij = np.asarray(line, dtype=np.float64) - 0.5      # (row, column): pyqtgraph puts samples at i + ½
            out.append((level, np.column_stack([x + ij[:, 1] * dx, y + ij[:, 0] * dy])))
    return out


class ContourItem(pg.GraphicsObject):
    """Polylines in data coordinates in one QPainterPath, drawn with one cosmetic pen (constant width on screen)."""

    def __init__(self):
        super().__init__()
        self.lines: list[tuple[float, np.ndarray]] = []
        self._path = QtGui.QPainterPath()
        self._pen = pg.mkPen("w", width=1.5, cosmetic=True)

    def set_pen(self, colour, width: float) -> None:
        self._pen = pg.mkPen(colour, width=width, cosmetic=True)
        self.update()

    def set_lines(self, lines: list[tuple[float, np.ndarray]]) -> None:
        self.prepareGeometryChange()
        self.lines = lines
        path = QtGui.QPainterPath()
        for _, pts in lines:
            path.addPolygon(QtGui.QPolygonF([QtCore.QPointF(px, py) for px, py in pts]))
        self._path = path
        self.update()

    def boundingRect(self) -> QtCore.QRectF:
        return self._path.boundingRect()

    def paint(self, painter, option, widget=None):
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
        painter.setPen(self._pen)
        painter.drawPath(self._path)


class DensityOverlay:
    """The Density view's items on a scene: `contours`, `legend`; `set_on`, `show(frame)`; `heat()` gives the
    backdrop's heat while `owns_heat` (the view on, with a model's map)."""

    def __init__(self, viewbox: pg.ViewBox):
        self.on = False
        self.frame = None                   # the latest DensityFrame
        self._model_heat = None             # its model map on the shared scale, and the rect it covers
        self.contours = ContourItem()
        self.contours.setZValue(-4)         # over the heat and the data, under the arrows and particles
        viewbox.addItem(self.contours, ignoreBounds=True)
        # the legend hangs on the view box itself, not its data group: it stays in the corner at any zoom
        self.legend = QtWidgets.QGraphicsSimpleTextItem()
        self.legend_box = QtWidgets.QGraphicsRectItem()
        self.legend_box.setParentItem(viewbox)
        self.legend_box.setZValue(1000)
        self.legend_box.setPen(QtGui.QPen(QtCore.Qt.PenStyle.NoPen))
        self.legend.setParentItem(self.legend_box)
        self.legend.setPos(LEGEND_OFFSET + 6, LEGEND_OFFSET + 3)
        self.font = QtGui.QFont()
        self._refresh()

    def apply_theme(self, theme) -> None:
        """Lines in the theme's text colour, a little translucent (white on the dark heat ramp, black on the light
        one): a colour no heat value takes; the legend on
        a translucent band of the plot's background."""
        line = QtGui.QColor(theme.text)
        line.setAlpha(LINE_ALPHA)
        self.contours.set_pen(line, 1.25)
        self.legend.setBrush(QtGui.QColor(theme.text))
        bg = QtGui.QColor(theme.plot_bg)
        bg.setAlpha(200)
        self.legend_box.setBrush(bg)

    def set_point_size(self, points: int | None) -> None:
        """The legend's font (presentation mode: the room's minimum size; None: the default)."""
        self.font = QtGui.QFont()
        if points:
            self.font.setPointSize(points)
        self.legend.setFont(self.font)
        self._refresh()

    # --- state ---------------------------------------------------------------------------------------------
    @property
    def owns_heat(self) -> bool:
        return self.on and self._model_heat is not None

    def heat(self) -> tuple[np.ndarray, tuple[float, float, float, float]]:
        """The model's map on the shared scale (ny, nx) and the rect it covers (while `owns_heat`)."""
        return self._model_heat

    def set_on(self, on: bool) -> None:
        self.on = bool(on)
        self._refresh()

    def show(self, frame) -> None:
        """A new DensityFrame: its model map for the backdrop, the exact map's iso-lines."""
        self.frame = frame
        model, exact = shared_scale(frame)
        self._model_heat = None if model is None else (model, sample_rect(frame))
        self.contours.set_lines(iso_lines(exact, frame.rect) if model is not None else [])
        self._refresh()

    def follow(self, other: "DensityOverlay") -> bool:
        """Show what `other` shows (the recorder's offscreen canvas follows the window's); True if that changed
        anything."""
        changed = other.frame is not self.frame or other.on != self.on
        if other.frame is not self.frame and other.frame is not None:
            self.show(other.frame)
        if other.on != self.on:
            self.set_on(other.on)
        return changed

    def text(self) -> str:
        """The legend's line: what colour and lines are, and the held-out NLL; the hint without a model."""
        if self.frame is None:
            return "Density view: computing…"
        if self.frame.model is None:
            return NO_MODEL_HINT
        nll = self.frame.heldout_nll
        return LEGEND + (f" · NLL {nll:.2f} nats/pt" if math.isfinite(nll) else "")

    def _refresh(self) -> None:
        self.contours.setVisible(self.owns_heat)
        self.legend_box.setVisible(self.on)
        self.legend.setText(self.text())
        r = self.legend.boundingRect()
        self.legend_box.setRect(QtCore.QRectF(LEGEND_OFFSET, LEGEND_OFFSET, r.width() + 12, r.height() + 6))
