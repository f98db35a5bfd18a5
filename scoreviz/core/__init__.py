"""The Qt-free math core of scoreviz: data, noise processes, score networks, losses, training, samplers, guidance,
exact scores, quality figures, likelihood and checkpoints. Nothing here may import Qt (a test enforces it)."""
