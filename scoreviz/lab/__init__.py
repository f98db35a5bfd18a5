"""Qt-free sessions of the lab: plain classes that own torch state and report partial results as frozen NumPy
frames (`frames`), so a test, a notebook or a Qt worker can drive them the same way.

`data_specs` turns presets, files and edits into the NumPy `DataSpec` that crosses threads and back into a
core Dataset; `field` is the live score field, `particles` a sampler run advanced by a budget, `live_training`
training in ticks with its time to match, `image_session` the image mode's session.
"""
