"""Remembered choices and window layout (QSettings). Scripted runs neither read nor write them."""
from __future__ import annotations

import json

from scoreviz.app.qt import QtCore

ORGANISATION = "scoreviz"
APPLICATION = "scoreviz"
KEY_CHOICES = "choices/v1"
KEY_GEOMETRY = "window/geometry"
KEY_STATE = "window/state"


class Settings:
    """A thin wrapper: `choices()` / `save_choices(dict)` (JSON of plain values, one flat dict for the whole
    window: the image page's keys start with "images.") and the window layout."""

    def __init__(self, qsettings: QtCore.QSettings | None = None):
        self.q = qsettings if qsettings is not None else QtCore.QSettings(ORGANISATION, APPLICATION)

    def choices(self) -> dict:
        raw = self.q.value(KEY_CHOICES, "")
        try:
            value = json.loads(raw) if raw else {}
        except (TypeError, ValueError):
            return {}
        return value if isinstance(value, dict) else {}

    def save_choices(self, choices: dict) -> None:
        """Remember these choices, keeping the other keys (the 2-D lab and the image page each write their own)."""
        self.q.setValue(KEY_CHOICES, json.dumps({**self.choices(), **choices}))

    def restore_window(self, window) -> None:
        geometry = self.q.value(KEY_GEOMETRY)
        if isinstance(geometry, QtCore.QByteArray) and not geometry.isEmpty():
            window.restoreGeometry(geometry)
        state = self.q.value(KEY_STATE)
        if isinstance(state, QtCore.QByteArray) and not state.isEmpty():
            window.restoreState(state)

    def save_window(self, window) -> None:
        self.q.setValue(KEY_GEOMETRY, window.saveGeometry())
        self.q.setValue(KEY_STATE, window.saveState())
        self.q.sync()
