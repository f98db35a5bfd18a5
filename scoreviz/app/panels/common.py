"""Small widget helpers shared by the panels."""
from __future__ import annotations

from scoreviz.app.qt import QtCore, QtWidgets, pg


def combo(items: dict[str, str] | list[tuple[str, str]], tip: str = "") -> QtWidgets.QComboBox:
    """A combo box of a names table ({key: label}) or of (label, key) pairs; `currentData()` is the key."""
    box = QtWidgets.QComboBox()
    pairs = [(label, key) for key, label in items.items()] if isinstance(items, dict) else items
    for label, key in pairs:
        box.addItem(label, key)
    box.setToolTip(tip)
    return box


def select(box: QtWidgets.QComboBox, key) -> bool:
    i = box.findData(key)
    if i >= 0:
        box.setCurrentIndex(i)
    return i >= 0


def hslider(lo: int, hi: int, value: int, tip: str = "") -> QtWidgets.QSlider:
    s = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
    s.setRange(lo, hi)
    s.setValue(value)
    s.setToolTip(tip)
    s.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
    return s


def button(text: str, tip: str = "", checkable: bool = False) -> QtWidgets.QPushButton:
    b = QtWidgets.QPushButton(text)
    b.setToolTip(tip)
    b.setCheckable(checkable)
    b.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
    return b


def value_label(text: str = "") -> QtWidgets.QLabel:
    lab = QtWidgets.QLabel(text)
    lab.setObjectName("valueLabel")
    lab.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
    return lab


def hint(text: str) -> QtWidgets.QLabel:
    lab = QtWidgets.QLabel(text)
    lab.setObjectName("hintLabel")
    lab.setWordWrap(True)
    return lab


def row(*widgets, stretch_last: bool = False) -> QtWidgets.QWidget:
    w = QtWidgets.QWidget()
    lay = QtWidgets.QHBoxLayout(w)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.setSpacing(4)
    for i, x in enumerate(widgets):
        lay.addWidget(x, 1 if (stretch_last and i == len(widgets) - 1) else 0)
    if not stretch_last:
        lay.addStretch(1)
    return w


def spin_box(lo, hi, value, step=1, tip: str = "") -> QtWidgets.QAbstractSpinBox:
    """A QSpinBox, or a QDoubleSpinBox when any bound, value or step is a float."""
    real = any(isinstance(v, float) for v in (lo, hi, value, step))
    box = QtWidgets.QDoubleSpinBox() if real else QtWidgets.QSpinBox()
    box.setRange(lo, hi)
    box.setSingleStep(step)
    box.setValue(value)
    box.setToolTip(tip)
    return box


def small_plot(height: int = 96) -> pg.PlotWidget:
    """A fixed-height read-out plot for a side panel: no menu, buttons or mouse, ticks inside, a left axis
    with room for its title beside the tick labels and no SI prefix."""
    w = pg.PlotWidget()
    w.setMenuEnabled(False)
    w.hideButtons()
    w.setMouseEnabled(False, False)
    w.setFixedHeight(height)
    p = w.getPlotItem()
    p.setContentsMargins(0, 0, 2, 0)
    for name in ("left", "bottom"):
        p.getAxis(name).setStyle(tickLength=-4, tickTextOffset=2)
    p.getAxis("left").setWidth(44)
    p.getAxis("left").enableAutoSIPrefix(False)
    return w


def show_toggle(button: QtWidgets.QAbstractButton, on: bool, on_text: str, off_text: str) -> None:
    """Show a checkable button's state as the worker reports it, without emitting `toggled` (no echo back)."""
    if button.isChecked() != on:
        with QtCore.QSignalBlocker(button):
            button.setChecked(on)
    button.setText(on_text if on else off_text)


def dock_contents(dock: QtWidgets.QDockWidget, widget: QtWidgets.QWidget, min_width: int, scroll: bool = True) -> None:
    """Put `widget` in `dock` (in a vertical scroll area, no frame, no horizontal bar); the dock can move and
    float but not close (the View menu brings each one to the front)."""
    # many of these controls rebuild the model when they change: a wheel turn on the way down must not be one
    wheel_when_focused(*widget.findChildren(QtWidgets.QAbstractSpinBox), *widget.findChildren(QtWidgets.QComboBox))
    for plot in widget.findChildren(pg.GraphicsView):   # read-out plots take no wheel: pass it to the panel
        plot.viewport().installEventFilter(_WHEEL_FILTER)
    if scroll:
        area = QtWidgets.QScrollArea()
        area.setWidget(widget)
        area.setWidgetResizable(True)
        area.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        area.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        widget = area
    dock.setWidget(widget)
    features = QtWidgets.QDockWidget.DockWidgetFeature
    dock.setFeatures(features.DockWidgetMovable | features.DockWidgetFloatable)
    dock.setMinimumWidth(min_width)


class _WheelOnlyWhenFocused(QtCore.QObject):
    """Lets a spin box or combo box take the mouse wheel only once it has the keyboard focus, so the wheel
    scrolls a long panel instead of silently changing (and, for a schedule, rebuilding) what it passes over."""

    def eventFilter(self, obj, event) -> bool:
        if event.type() != QtCore.QEvent.Type.Wheel or obj.hasFocus():
            return False
        area = obj.parentWidget()
        while area is not None and not isinstance(area, QtWidgets.QScrollArea):
            area = area.parentWidget()
        if area is not None:         # the panel's scroll area gets the wheel
            QtWidgets.QApplication.sendEvent(area.verticalScrollBar(), event)
        return True


_WHEEL_FILTER = _WheelOnlyWhenFocused()


def wheel_when_focused(*widgets: QtWidgets.QWidget) -> None:
    """Apply _WheelOnlyWhenFocused to these widgets (they take focus by click or Tab, not by the wheel)."""
    for w in widgets:
        w.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)
        w.installEventFilter(_WHEEL_FILTER)
