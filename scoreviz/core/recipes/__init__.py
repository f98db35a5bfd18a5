"""The project's recipes, in one place: how data become a trained model and samples.

`points` is the 2-D/low-dimensional recipe (the MLP, the default training budget, the samplers' defaults);
`images` the image recipe (network sizes per device, EDM's noise-level distribution and weighting, autoguidance).
The command line, the benchmarks, the lab and the window all call these, so "the defaults" mean one thing.
"""
