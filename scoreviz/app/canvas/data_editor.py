"""The data the user sees and edits (GUI side): presets, files, brush strokes, points, blobs, undo/redo.

Every change produces a new immutable `frames.DataSpec` (NumPy only: the GUI thread holds no tensor) for the
worker, with `reset=True` when the data is new (a preset, a file: new noise process and model) and
`reset=False` for an edit (training goes on, on the new points at once). Edits are on points: the brush sprays
points from a Gaussian around the cursor, the eraser removes the points under it; once edited, the exact score
is the one of the point set. The history (undo/redo) is a list of specs.
"""
from __future__ import annotations

import numpy as np

from scoreviz.lab import data_specs
from scoreviz.app.qt import QtCore

MAX_POINTS = 20_000
UNDO_LIMIT = 100


class DataEditor(QtCore.QObject):
    """Holds the current data (a spec) and its history. `changed(spec)` after every change; `failed(message)` when a
    file or preset cannot be used (nothing changes then)."""

    changed = QtCore.Signal(object)   # frames.DataSpec
    adopted = QtCore.Signal(object)   # frames.DataSpec the worker already has (an opened session)
    failed = QtCore.Signal(str)

    def __init__(self, seed: int = 0, parent=None):
        super().__init__(parent)
        self.spec = None              # frames.DataSpec, or None for the empty canvas
        self.version = 0
        self._undo: list = []
        self._redo: list = []
        self._rng = np.random.default_rng(seed)
        self._stroke_open = False
        self._last_drag = None

    # --- queries ---------------------------------------------------------------------------------------------
    @property
    def points(self) -> np.ndarray:
        return self.spec.train if self.spec is not None else np.zeros((0, 2), dtype=np.float32)

    def centre(self) -> tuple[float, ...] | None:
        """The data's mean (None for the empty canvas)."""
        return None if self.spec is None or self.spec.empty else tuple(self.spec.train.mean(0).tolist())

    @property
    def dim(self) -> int:
        """The dimension of the data; an empty canvas is 2-D (it is painted on)."""
        return 2 if self.spec is None else self.spec.dim

    @property
    def name(self) -> str:
        return "empty" if self.spec is None else self.spec.name

    def can_undo(self) -> bool:
        return bool(self._undo)

    def can_redo(self) -> bool:
        return bool(self._redo)

    # --- whole datasets --------------------------------------------------------------------------------------
    def set_preset(self, name: str, n_train: int = 4000) -> bool:
        try:
            spec = data_specs.preset_spec(name, n_train)
        except Exception as exc:  # DataError and anything unexpected: a message, no change
            self.failed.emit(data_specs.user_message(exc, f"preset {name!r}"))
            return False
        self._replace(spec, reset=True)
        return True

    def load_file(self, path: str) -> bool:
        try:
            spec = data_specs.file_spec(path)
        except Exception as exc:
            self.failed.emit(data_specs.user_message(exc, path))
            return False
        self._replace(spec, reset=True)
        return True

    def set_spec(self, spec, reset: bool = True) -> None:
        self._replace(spec, reset=reset)

    def adopt(self, spec) -> None:
        """Data the worker already uses (an opened session): the history and the display follow, nothing is
        sent back. Later edits carry higher versions than `spec`'s."""
        self._push_undo()
        self.spec, self.version = spec, max(self.version, spec.version)
        self.adopted.emit(spec)

    def clear(self) -> None:
        if self.spec is not None:
            self._replace(None, reset=False)

    # --- edits -----------------------------------------------------------------------------------------------
    def begin_stroke(self) -> None:
        """One undo entry per stroke, however many moves it has."""
        if not self._stroke_open:
            self._push_undo()
            self._stroke_open = True

    def end_stroke(self) -> None:
        self._stroke_open = False
        self._last_drag = None

    def brush(self, x: float, y: float, radius: float, strength: float) -> int:
        """Spray round(strength) points from N((x, y), (radius/2)²I), kept inside the radius. Returns the count."""
        if not self._editable():
            return 0
        n = max(1, int(round(strength)))
        n = min(n, MAX_POINTS - len(self.points))
        if n <= 0:
            self.failed.emit(f"The canvas holds the maximum of {MAX_POINTS:,} points; erase some first.")
            return 0
        new = self._rng.normal(0.0, radius / 2, size=(n * 2, 2))
        new = new[(new**2).sum(1) <= radius**2][:n] + np.array([x, y])
        self._edit(np.concatenate([self.points, new.astype(np.float32)]))
        return len(new)

    def erase(self, x: float, y: float, radius: float, strength: float = 100.0) -> int:
        """Remove the points within `radius` (each with probability strength/100). Returns the count."""
        if not self._editable() or not len(self.points):
            return 0
        pts = self.points
        inside = ((pts - np.array([x, y], dtype=np.float32)) ** 2).sum(1) <= radius**2
        if strength < 100:
            inside &= self._rng.random(len(pts)) < strength / 100
        if inside.any():
            self._edit(pts[~inside])
        return int(inside.sum())

    def add_point(self, x: float, y: float, min_spacing: float = 0.0) -> bool:
        if not self._editable() or len(self.points) >= MAX_POINTS:
            return False
        if self._last_drag is not None and np.hypot(x - self._last_drag[0], y - self._last_drag[1]) < min_spacing:
            return False
        self._last_drag = (x, y)
        self._edit(np.concatenate([self.points, np.array([[x, y]], dtype=np.float32)]))
        return True

    def add_blob(self, x: float, y: float, radius: float, count: int) -> int:
        """A Gaussian blob of `count` points with std radius/2 around (x, y)."""
        if not self._editable():
            return 0
        count = min(int(count), MAX_POINTS - len(self.points))
        if count <= 0:
            self.failed.emit(f"The canvas holds the maximum of {MAX_POINTS:,} points; erase some first.")
            return 0
        new = self._rng.normal(0.0, radius / 2, size=(count, 2)) + np.array([x, y])
        self._edit(np.concatenate([self.points, new.astype(np.float32)]))
        return count

    # --- history ---------------------------------------------------------------------------------------------
    def undo(self) -> bool:
        if not self._undo:
            return False
        self._redo.append(self.spec)
        self._apply(self._undo.pop(), reset=False)
        return True

    def redo(self) -> bool:
        if not self._redo:
            return False
        self._undo.append(self.spec)
        self._apply(self._redo.pop(), reset=False)
        return True

    # --- internals -------------------------------------------------------------------------------------------
    def _editable(self) -> bool:
        if self.dim != 2:
            self.failed.emit("Painting works on 2-D data; this dataset is "
                             f"{self.dim}-D (pick a 2-D preset or clear the canvas).")
            return False
        return True

    def _push_undo(self) -> None:
        if self.version == 0:
            return  # nothing to go back to before the first dataset
        self._undo.append(self.spec)
        del self._undo[:-UNDO_LIMIT]
        self._redo.clear()

    def _replace(self, dataset, reset: bool) -> None:
        self._push_undo()
        self._apply(dataset, reset)

    def _edit(self, points: np.ndarray) -> None:
        if not self._stroke_open:
            self._push_undo()
        spec = data_specs.edited_spec(self.spec, points)
        self._apply(None if spec.empty else spec, reset=False)

    def _apply(self, spec, reset: bool) -> None:
        previous_dim = self.dim
        self.version += 1
        if previous_dim != (2 if spec is None else spec.dim):
            reset = True
        self.spec = None if spec is None else data_specs.stamped(spec, self.version, reset)
        self.changed.emit(self.spec or data_specs.stamped(data_specs.empty_spec(self.dim), self.version, reset))
