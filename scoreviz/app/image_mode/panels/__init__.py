"""The image page's control panels (like the 2-D lab's `app.panels`): each a QGroupBox with signals out,
`options()` / `set_options()` for the remembered choices and `show_frame(frame)` in."""
from scoreviz.app.image_mode.panels.data_panel import ImageDataPanel
from scoreviz.app.image_mode.panels.model_panel import ImageModelPanel
from scoreviz.app.image_mode.panels.sampling_panel import ImageSamplingPanel
from scoreviz.app.image_mode.panels.training_panel import ImageTrainingPanel

__all__ = ["ImageDataPanel", "ImageModelPanel", "ImageSamplingPanel", "ImageTrainingPanel"]
