"""Image mode: MNIST digits emerging from noise (a self-contained widget with its own worker thread)."""
from .widget import ImageModeWidget, ImageModeWindow

__all__ = ["ImageModeWidget", "ImageModeWindow"]
