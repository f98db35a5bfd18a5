"""Bounding boxes of the custom items, kept in one place: Qt must hear of a change before it happens."""
from __future__ import annotations

from scoreviz.app.qt import QtCore


def box(x0: float, y0: float, x1: float, y1: float) -> QtCore.QRectF:
    """The rectangle from (x0, y0) to (x1, y1), never of zero size (Qt skips empty items)."""
    return QtCore.QRectF(float(x0), float(y0), max(float(x1 - x0), 1e-9), max(float(y1 - y0), 1e-9))


def set_bounds(item, rect: QtCore.QRectF) -> None:
    """Give a GraphicsObject with a `_bounds` attribute new bounds (prepareGeometryChange only if they differ),
    then schedule a repaint."""
    if rect != item._bounds:
        item.prepareGeometryChange()
        item._bounds = rect
    item.update()
