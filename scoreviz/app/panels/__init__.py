"""The control panels beside the canvas: data, training, sampling and view. Each reports through Qt signals
and shows what the frames tell it; none of them talks to the worker directly."""
from .data_panel import DataPanel
from .sampling_panel import SamplingPanel
from .training_panel import TrainingPanel
from .view_panel import ViewPanel

__all__ = ["DataPanel", "SamplingPanel", "TrainingPanel", "ViewPanel"]
