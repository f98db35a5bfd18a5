"""Import PySide6 before pyqtgraph so pyqtgraph binds to it (it takes the first Qt binding already imported),
and configure pyqtgraph once."""
from __future__ import annotations

import PySide6  # noqa: F401  (must come first)
from PySide6 import QtCore, QtGui, QtWidgets  # noqa: F401

import pyqtgraph as pg  # noqa: E402

# Antialiasing and OpenGL off: both cost more than they give for thousands of segments (`scoreviz bench --only gui`
# measures the frame).
pg.setConfigOptions(antialias=False, useOpenGL=False, imageAxisOrder="row-major", exitCleanup=False)

__all__ = ["QtCore", "QtGui", "QtWidgets", "pg"]
