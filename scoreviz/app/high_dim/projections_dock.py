"""Data in more than two dimensions: the pair plot of every axis pair, the pair the main canvas shows, and the
slice the score field is drawn on (the other coordinates held fixed with small sliders)."""
from __future__ import annotations

import numpy as np

from scoreviz.lab.commands import SetSlice

from scoreviz.app.high_dim.pair_plot import PairPlot
from scoreviz.app.panels.common import dock_contents, hint
from scoreviz.app.qt import QtCore, QtWidgets

SLIDER_STEPS = 200
MIN_WIDTH = 420


class ProjectionsDock(QtWidgets.QDockWidget):
    """`pair_changed(i, j)` when another pair is picked; the slice is sent to the session through `send`."""

    pair_changed = QtCore.Signal(int, int)

    def __init__(self, parent, send):
        super().__init__("Projections", parent)
        self.setObjectName("projections")
        self.send = send
        self.axes = (0, 1)
        self.point = np.zeros(0)
        self._lo = self._hi = np.zeros(0)
        self.pairs = PairPlot()
        self.pairs.setMinimumHeight(380)
        self.note = hint("Click a panel to show that pair of coordinates on the canvas; the score field is drawn "
                         "on the plane through the point the sliders set.")
        self.view_3d = QtWidgets.QCheckBox("3-D view (3-D data)")
        self.view_3d.setToolTip("Show 3-D data in an OpenGL view you can orbit, with the field on the slice plane")
        self.view_3d.setVisible(False)
        self.sliders: dict[int, QtWidgets.QSlider] = {}
        self.slider_labels: dict[int, QtWidgets.QLabel] = {}
        self._slider_box = QtWidgets.QWidget()
        self._slider_layout = QtWidgets.QFormLayout(self._slider_box)
        body = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(body)
        layout.addWidget(self.note)
        layout.addWidget(self.view_3d)
        layout.addWidget(self.pairs, 1)
        layout.addWidget(self._slider_box)
        dock_contents(self, body, MIN_WIDTH, scroll=False)
        self.pairs.pair_selected.connect(self.set_pair)

    # --- data ------------------------------------------------------------------------------------------------
    def show_data(self, points: np.ndarray) -> None:
        """New data (N, D), D ≥ 3: the pair plot, and the slice through the data's mean along the first pair."""
        dim = points.shape[1]
        self.view_3d.setVisible(dim == 3)
        self.pairs.set_data(points)
        self._lo, self._hi = points.min(0), points.max(0)
        if len(self.point) != dim:
            self.axes, self.point = (0, 1), points.astype(np.float64).mean(0)
            self._build_sliders(dim)
            self.pairs.select(*self.axes)
            self._send()
        self._show_values()

    def show_particles(self, positions: np.ndarray, labels: np.ndarray | None = None, colours=None) -> None:
        self.pairs.set_particles(positions, labels, colours)

    def set_pair(self, i: int, j: int) -> None:
        if (i, j) == self.axes or i == j:
            return
        self.axes = (i, j)
        self.pairs.select(i, j)
        self._build_sliders(len(self.point))
        self._send()
        self.pair_changed.emit(i, j)

    def set_coordinate(self, k: int, value: float) -> None:
        """Move the slice along coordinate k (not one of the shown pair)."""
        self.point[k] = float(value)
        self._show_values()
        self._send()

    def origin(self, x: float, y: float) -> tuple[float, ...]:
        """A point of the data space from a click (x, y) on the canvas: the slice point with the pair replaced."""
        p = self.point.copy()
        p[self.axes[0]], p[self.axes[1]] = x, y
        return tuple(float(v) for v in p)

    # --- internals -------------------------------------------------------------------------------------------
    def _send(self) -> None:
        self.send(SetSlice(axes=tuple(self.axes), point=tuple(float(v) for v in self.point)))

    def _build_sliders(self, dim: int) -> None:
        while self._slider_layout.rowCount():
            self._slider_layout.removeRow(0)
        self.sliders, self.slider_labels = {}, {}
        for k in range(dim):
            if k in self.axes:
                continue
            slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
            slider.setRange(0, SLIDER_STEPS)
            slider.setValue(self._to_step(k, self.point[k]))
            slider.setToolTip(f"x{k + 1} of the plane the field is drawn on")
            slider.valueChanged.connect(lambda v, k=k: self.set_coordinate(k, self._from_step(k, v)))
            label = QtWidgets.QLabel()
            label.setMinimumWidth(90)
            row = QtWidgets.QWidget()
            rl = QtWidgets.QHBoxLayout(row)
            rl.setContentsMargins(0, 0, 0, 0)
            rl.addWidget(slider, 1)
            rl.addWidget(label)
            self._slider_layout.addRow(f"x{k + 1}", row)
            self.sliders[k], self.slider_labels[k] = slider, label
        self._show_values()

    def _show_values(self) -> None:
        for k, label in self.slider_labels.items():
            label.setText(f"= {self.point[k]:.3g}")

    def _to_step(self, k: int, value: float) -> int:
        lo, hi = self._range(k)
        return int(round(SLIDER_STEPS * (value - lo) / (hi - lo)))

    def _from_step(self, k: int, step: int) -> float:
        lo, hi = self._range(k)
        return lo + (hi - lo) * step / SLIDER_STEPS

    def _range(self, k: int) -> tuple[float, float]:
        lo, hi = float(self._lo[k]), float(self._hi[k])
        return (lo, hi) if hi > lo else (lo - 1.0, hi + 1.0)
