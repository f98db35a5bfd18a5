"""scoreviz: a desktop lab for score-based generative models."""

__version__ = "0.1.0"
