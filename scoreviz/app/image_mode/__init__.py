"""Image mode: MNIST digits emerging from noise (a self-contained page with its own worker thread; the torch
work lives in the Qt-free `scoreviz.lab.images.session.ImageSession`)."""
from scoreviz.app.image_mode.widget import ImageModeWidget, ImageModeWindow

__all__ = ["ImageModeWidget", "ImageModeWindow", "image_page"]


def image_page(window, settings=None) -> ImageModeWidget:
    """The image page for the main window, sized to the device: the U-Net on CUDA, the fast conv net elsewhere."""
    from scoreviz.core.device import resolve_device
    from scoreviz.core.recipes.images import default_model_size

    return ImageModeWidget(window, model_size=default_model_size(resolve_device("auto")), settings=settings)
