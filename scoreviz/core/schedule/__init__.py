"""Noise schedules beyond the process: the training side (where noise levels are drawn, how they are weighted),
what the data say (NCSNv2's technique 1) and NCSNv2's rules with the warnings."""
