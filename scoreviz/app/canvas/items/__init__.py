"""Fast pyqtgraph items, a few draw calls per frame whatever the number of arrows or points: banded vector field,
point clouds drawn with one drawPoints, the backdrop (heat map + decaying trails in one image) and whole
trajectories (one drawLines per colour)."""
from scoreviz.app.canvas.items.backdrop import BackdropItem
from scoreviz.app.canvas.items.field import VectorFieldItem, arrow_lines, magnitude_bands
from scoreviz.app.canvas.items.points import PointCloudItem
from scoreviz.app.canvas.items.trajectories import TrajectoryItem

__all__ = ["BackdropItem", "PointCloudItem", "TrajectoryItem", "VectorFieldItem", "arrow_lines", "magnitude_bands"]
