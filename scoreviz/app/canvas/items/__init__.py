"""Fast pyqtgraph items, a few draw calls per frame whatever the number of arrows or points: banded vector field,
point clouds drawn with one drawPoints, and the backdrop (heat map + decaying trails in one image)."""
from scoreviz.app.canvas.items.backdrop import BackdropItem
from scoreviz.app.canvas.items.field import VectorFieldItem, arrow_lines, magnitude_bands
from scoreviz.app.canvas.items.points import PointCloudItem

__all__ = ["BackdropItem", "PointCloudItem", "VectorFieldItem", "arrow_lines", "magnitude_bands"]
