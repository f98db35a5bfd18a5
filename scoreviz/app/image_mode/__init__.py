"""Image mode: MNIST digits emerging from noise (a self-contained page with its own worker thread; the torch
work lives in the Qt-free `scoreviz.lab.image_session.ImageSession`)."""
from .widget import ImageModeWidget, ImageModeWindow

__all__ = ["ImageModeWidget", "ImageModeWindow"]
