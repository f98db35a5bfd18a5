"""The schedule plots: one shared log-σ̃ axis (or log-SNR) for the schedule, the training side and, while a model
trains, the loss per noise level against its irreducible floor.

    panel 1  t, α(t) and s(t)/s(t_max) against σ̃ = s/α, log-SNR(t) on the right axis, the sampler's levels as ticks
    panel 2  the density of ln σ̃ that training visits, the weight λ(σ̃) and their product (normalised to 1)
    panel 3  DSM loss per σ̃ bin, the irreducible floor (core.dsm_floor) and the gap between them
    panel 4  median relative error of the learned score per bin, with the "matches" threshold

Items are created once and updated with setData (a new frame about once a second). `render_png` draws a frame
headless, with the report's summary and warnings under the plots.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import shiboken6

from scoreviz.names import MATCH_THRESHOLD

from scoreviz.app.qt import QtCore, QtGui, QtWidgets, pg
from scoreviz.app.schedule.plot_parts import LogAxis, add_curve, style_panel_plot, theme_panel_plot
from scoreviz.app.theme import DARK, THEMES, Theme

AXES = ("sigma", "log_snr")
AXIS_LABELS = {"sigma": "noise level σ̃ = s/α (data units, log scale)", "log_snr": "log-SNR = log(α²/s²) = −2 ln σ̃"}
_TICK_TOP, _TICK_BOTTOM = -0.04, -0.14   # panel 1: the levels' ticks sit under the [0, 1] curves
_HEADROOM = 1.4                           # y room above the curves for the legend row


def axis_coordinate(axis: str, sigma) -> np.ndarray:
    """The horizontal coordinate of noise levels σ̃ on `axis`: log10 σ̃ ("sigma") or −2 ln σ̃ ("log_snr")."""
    sigma = np.asarray(sigma, dtype=np.float64)
    return np.log10(sigma) if axis == "sigma" else -2.0 * np.log(sigma)


class SigmaAxis(LogAxis):
    """A log10-σ̃ axis labelled with σ̃ itself, only at 1, 2 and 5 × 10^k."""


class SchedulePlots(pg.GraphicsLayoutWidget):
    """`show(frame)` draws a `lab.frames.ScheduleFrame` (`show()` without one is QWidget.show); `set_axis("sigma"
    | "log_snr")` switches the shared horizontal axis."""

    def __init__(self, parent=None, theme: Theme = DARK):
        super().__init__(parent)
        self.axis = "sigma"
        self._frame = None
        self.schedule = self._plot(0, "t, α, s / s_max")
        self.schedule.setYRange(_TICK_BOTTOM - 0.02, _HEADROOM, padding=0)
        self.snr_view = self._twin(self.schedule, "log-SNR")
        self.t_curve = self._curve(self.schedule, "t(σ̃): the schedule's time")
        self.alpha_curve = self._curve(self.schedule, "α(t)")
        self.std_curve = self._curve(self.schedule, "s(t) / s(t_max)")
        self.snr_curve = pg.PlotDataItem()
        self.snr_view.addItem(self.snr_curve)
        self.schedule.legend.addItem(self.snr_curve, "log-SNR(t) (right axis)")
        self.level_ticks = self._curve(self.schedule, "sampler levels", connect="pairs")
        self.training = self._plot(1, "relative to its max")
        self.training.setYRange(-0.04, _HEADROOM, padding=0)
        self.density_curve = self._curve(self.training, "training density p(ln σ̃)")
        self.weight_curve = self._curve(self.training, "weight λ(σ̃) on ‖σ̃s + ε‖²")
        self.product_curve = self._curve(self.training, "p · λ: where the loss puts its weight")
        self.loss_plot = self._plot(None, "DSM loss / dim")
        self.loss_curve = self._curve(self.loss_plot, "DSM loss (training)", symbol="o", symbolSize=5)
        self.floor_curve = self._curve(self.loss_plot, "irreducible (exact score)")
        self.gap_curve = self._curve(self.loss_plot, "gap: the model's error", fillLevel=0)
        self.error_plot = self._plot(None, "|s_θ − s| / |s|")
        self.error_curve = self._curve(self.error_plot, "median relative error of the learned score", symbol="o",
                                       symbolSize=5)
        self.threshold = self._curve(self.error_plot, f"'matches' ({MATCH_THRESHOLD})")
        for p in (self.training, self.loss_plot, self.error_plot):
            p.setXLink(self.schedule)
        self._loss_shown = False
        self.apply_theme(theme)
        self._label_axes()

    # --- layout ----------------------------------------------------------------------------------------------
    def _plot(self, row: int | None, ylabel: str) -> pg.PlotItem:
        axes = {"bottom": SigmaAxis("bottom")}
        plot = pg.PlotItem(axisItems=axes) if row is None else self.addPlot(row=row, col=0, axisItems=axes)
        return style_panel_plot(plot, ylabel, legend_columns=5)

    _curve = staticmethod(add_curve)

    @staticmethod
    def _twin(plot: pg.PlotItem, label: str) -> pg.ViewBox:
        """A second y axis on the right of `plot`, sharing its x (pyqtgraph's MultiplePlotAxes recipe)."""
        view = pg.ViewBox()
        view.setMouseEnabled(x=False, y=False)
        plot.getAxis("right").setStyle(showValues=True)
        plot.getAxis("right").enableAutoSIPrefix(False)
        plot.scene().addItem(view)
        plot.getAxis("right").linkToView(view)
        plot.getAxis("right").setLabel(label)
        view.setXLink(plot)

        def follow():
            view.setGeometry(plot.getViewBox().sceneBoundingRect())
            view.linkedViewChanged(plot.getViewBox(), view.XAxis)

        plot.getViewBox().sigResized.connect(follow)
        return view

    def _set_loss_panels(self, shown: bool) -> None:
        if shown == self._loss_shown:
            return
        for row, plot in ((2, self.loss_plot), (3, self.error_plot)):
            if shown:
                self.ci.addItem(plot, row=row, col=0)
            else:
                self.ci.removeItem(plot)
        self._loss_shown = shown
        self._label_axes()

    def _label_axes(self) -> None:
        """The x label under the lowest panel only; the σ axis shows powers of ten (data are log10 σ̃)."""
        plots = [self.schedule, self.training] + ([self.loss_plot, self.error_plot] if self._loss_shown else [])
        for p in (self.schedule, self.training, self.loss_plot, self.error_plot):
            p.getAxis("bottom").setLogMode(self.axis == "sigma")
            p.setLabel("bottom", AXIS_LABELS[self.axis] if p is plots[-1] else "")

    # --- theme -----------------------------------------------------------------------------------------------
    def apply_theme(self, theme: Theme) -> None:
        self.setBackground(theme.plot_bg)
        c = theme.mode_colours
        pens = {self.t_curve: pg.mkPen(theme.accent, width=2), self.alpha_curve: pg.mkPen(c[0], width=2),
                self.std_curve: pg.mkPen(c[2], width=2),
                self.snr_curve: pg.mkPen(c[3], width=1.5, style=QtCore.Qt.PenStyle.DashLine),
                self.level_ticks: pg.mkPen(theme.muted, width=1),
                self.density_curve: pg.mkPen(theme.accent, width=2), self.weight_curve: pg.mkPen(theme.warning, width=2),
                self.product_curve: pg.mkPen(theme.muted, width=1.5, style=QtCore.Qt.PenStyle.DashLine),
                self.loss_curve: pg.mkPen(theme.accent, width=2), self.floor_curve: pg.mkPen(theme.ok, width=2),
                self.gap_curve: pg.mkPen(theme.error, width=1), self.error_curve: pg.mkPen(c[4], width=2)}
        for item, pen in pens.items():
            item.setPen(pen)
        self.loss_curve.setSymbolBrush(theme.accent)
        self.loss_curve.setSymbolPen(None)
        self.error_curve.setSymbolBrush(c[4])
        self.error_curve.setSymbolPen(None)
        gap = QtGui.QColor(theme.error)
        gap.setAlpha(70)
        self.gap_curve.setBrush(gap)
        self.threshold.setPen(pg.mkPen(theme.muted, style=QtCore.Qt.PenStyle.DotLine))
        self.snr_view.setBackgroundColor(None)
        for p in (self.schedule, self.training, self.loss_plot, self.error_plot):
            theme_panel_plot(p, theme)
            bg = QtGui.QColor(theme.plot_bg)
            bg.setAlpha(190)
            p.legend.setBrush(pg.mkBrush(bg))
            p.legend.setPen(pg.mkPen(None))

    # --- drawing ---------------------------------------------------------------------------------------------
    def set_axis(self, axis: str) -> None:
        """"sigma": log10 σ̃ with the σ̃ values as tick labels; "log_snr": log(α²/s²) = −2 ln σ̃."""
        if axis not in AXES:
            raise ValueError(f"unknown axis {axis!r}; choose one of {', '.join(AXES)}")
        if axis != self.axis:
            self.axis = axis
            self._label_axes()
            if self._frame is not None:
                self.show_frame(self._frame)
            for p in (self.schedule, self.training, self.loss_plot, self.error_plot):
                p.enableAutoRange(axis="x")

    def x_of(self, sigma) -> np.ndarray:
        """The horizontal coordinate of noise levels σ̃ on the current axis."""
        return axis_coordinate(self.axis, sigma)

    def show(self, frame=None) -> None:
        """Draw `frame`; without one, QWidget.show()."""
        if frame is None:
            super().show()
        else:
            self.show_frame(frame)

    def show_frame(self, frame) -> None:
        self._frame = frame
        x = self.x_of(frame.sigma)
        self.t_curve.setData(x, frame.times)
        self.alpha_curve.setData(x, frame.alpha)
        self.std_curve.setData(x, frame.std / max(float(np.max(frame.std)), 1e-300))
        self.snr_curve.setData(x, frame.log_snr)
        lx = np.repeat(self.x_of(frame.levels), 2)
        self.level_ticks.setData(lx, np.tile([_TICK_BOTTOM, _TICK_TOP], len(frame.levels)))
        self.schedule.legend.getLabel(self.level_ticks).setText(f"sampler levels (L = {len(frame.levels)})")
        gx = self.x_of(frame.grid)
        density, weight = _normalised(frame.train_density), _normalised(frame.weight)
        self.density_curve.setData(gx, density)
        self.weight_curve.setData(gx, weight)
        self.product_curve.setData(gx, _normalised(frame.train_density * frame.weight))
        has_loss = len(frame.loss) > 0
        self._set_loss_panels(has_loss)
        if has_loss:
            centres = np.sqrt(frame.loss_edges[1:] * frame.loss_edges[:-1])
            bx = self.x_of(centres)
            for curve, values in ((self.loss_curve, frame.loss), (self.floor_curve, frame.floor),
                                  (self.gap_curve, frame.loss - frame.floor), (self.error_curve, frame.rel_error)):
                ok = np.isfinite(values)
                curve.setData(bx[ok], np.asarray(values)[ok])
            self.threshold.setData(bx[[0, -1]], [MATCH_THRESHOLD, MATCH_THRESHOLD])
            _fit_y(self.loss_plot, frame.loss, frame.floor)
            _fit_y(self.error_plot, frame.rel_error, [MATCH_THRESHOLD])


def _fit_y(plot: pg.PlotItem, *arrays) -> None:
    """y from 0 (or the lowest value) to the highest finite value, with the legend's headroom above."""
    v = np.concatenate([np.asarray(a, dtype=np.float64).reshape(-1) for a in arrays])
    v = v[np.isfinite(v)]
    if v.size:
        lo, hi = min(0.0, float(v.min())), float(v.max())
        plot.setYRange(lo, lo + (hi - lo) * _HEADROOM if hi > lo else lo + 1.0, padding=0)


def _normalised(v: np.ndarray) -> np.ndarray:
    top = float(np.max(v)) if len(v) else 0.0
    return v / top if top > 0 else np.zeros_like(v)


# ----- headless rendering ---------------------------------------------------------------------------------------
_APP = None   # the QApplication render_png made, kept alive


def _application() -> QtWidgets.QApplication:
    global _APP
    app = QtWidgets.QApplication.instance()
    if app is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")   # no display needed for a picture
        app = _APP = QtWidgets.QApplication([])
    return app


def render_png(frame, path, size=(1200, 900), *, theme: str = "light") -> None:
    """Draw `frame` into the PNG file `path`, `size` (width, height) pixels: the plots, and under them the
    report's summary and warnings (the image grows if they need more room). Works without a display.
    Raises OSError if the file cannot be written."""
    _application()
    pal = THEMES[theme]
    width, height = int(size[0]), int(size[1])
    report = frame.report
    lines = report.summary() if report is not None else []
    font = QtGui.QFont()
    font.setPointSize(10)
    metrics = QtGui.QFontMetrics(font)
    margin = 16
    flags = int(QtCore.Qt.TextFlag.TextWordWrap)
    boxes = [metrics.boundingRect(QtCore.QRect(0, 0, width - 2 * margin, 10_000), flags, line) for line in lines]
    text_height = sum(b.height() + 4 for b in boxes) + 2 * margin
    plots_height = max(300, height - text_height)
    widget = SchedulePlots(theme=pal)
    widget.resize(width, plots_height)
    widget.show_frame(frame)
    plots = widget.grab()
    image = QtGui.QImage(width, plots_height + text_height, QtGui.QImage.Format.Format_RGB32)
    image.fill(QtGui.QColor(pal.plot_bg))
    painter = QtGui.QPainter(image)
    painter.drawPixmap(0, 0, plots)
    painter.setFont(font)
    y = plots_height + margin
    for line, box in zip(lines, boxes):
        painter.setPen(QtGui.QColor(pal.warning if line.startswith("warning") else pal.text))
        painter.drawText(QtCore.QRect(margin, y, width - 2 * margin, box.height()), flags, line)
        y += box.height() + 4
    painter.end()
    shiboken6.delete(widget)   # now, not at exit: a pyqtgraph view alive when Python exits can crash it
    if not image.save(str(Path(path)), "PNG"):
        raise OSError(f"could not write {path}")
