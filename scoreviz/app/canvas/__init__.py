"""The 2-D canvas (and the 1-D plot): the view box and its gestures, the scene and its items, the σ slider, the
data editor, and the frame drawer that paints the worker's frames."""
