"""What the window writes out: clips of the canvas and of the image grids, the recorder that drives them, and
figure export."""
