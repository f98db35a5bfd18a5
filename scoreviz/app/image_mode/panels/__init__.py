"""The image page's control panels (like the 2-D lab's `app.panels`): each a QGroupBox with signals out,
`options()` / `set_options()` for the remembered choices and `show_frame(frame)` in."""
from .data_panel import ImageDataPanel
from .model_panel import ImageModelPanel
from .sampling_panel import ImageSamplingPanel
from .training_panel import ImageTrainingPanel

__all__ = ["ImageDataPanel", "ImageModelPanel", "ImageSamplingPanel", "ImageTrainingPanel"]
