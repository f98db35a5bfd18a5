"""Fast pyqtgraph items (GUIDE §3): banded vector field, point clouds drawn with one drawPoints, decaying trails."""
from .field import VectorFieldItem, arrow_segments, magnitude_bands
from .points import PointCloudItem
from .trails import TrailItem

__all__ = ["VectorFieldItem", "arrow_segments", "magnitude_bands", "PointCloudItem", "TrailItem"]
