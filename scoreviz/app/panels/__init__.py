"""The control panels beside the canvas: data, training, sampling and view. Each reports through Qt signals
and shows what the frames tell it; none of them talks to the worker directly."""
from scoreviz.app.panels.data_panel import DataPanel
from scoreviz.app.panels.sampling_panel import SamplingPanel
from scoreviz.app.panels.training_panel import TrainingPanel
from scoreviz.app.panels.view_panel import ViewPanel

__all__ = ["DataPanel", "SamplingPanel", "TrainingPanel", "ViewPanel"]
