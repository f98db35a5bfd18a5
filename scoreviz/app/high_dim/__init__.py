"""Data in more than two dimensions: the canvas's slice, the projections dock with its pair plot, the 3-D view."""
