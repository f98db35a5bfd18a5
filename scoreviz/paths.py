"""Where scoreviz keeps things on this machine: platformdirs' per-user folders and the files shipped inside the
package (icon, `.desktop` file).

Rule: every per-user folder comes from here, so `scoreviz info` can show them all, and each platform gets its
conventional place (Linux: `~/.cache/scoreviz`, `~/.local/state/scoreviz/log`, honouring XDG_CACHE_HOME and
XDG_STATE_HOME; macOS: `~/Library/…`; Windows: `%LOCALAPPDATA%\\scoreviz\\…`). Nothing here creates a folder.
Torch-free and Qt-free: the CLI, the data layer and the window all use it.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

__all__ = ["APP_NAME", "cache_dir", "classifier_cache_dir", "log_dir", "resource_path", "settings_file"]

APP_NAME = "scoreviz"

#: Files shipped in the wheel under `scoreviz/resources/` ([tool.setuptools.package-data] in pyproject.toml).
RESOURCES_DIR = Path(__file__).resolve().parent / "resources"


def cache_dir() -> Path:
    """Re-downloadable or re-computable files: downloaded data sets, the digit classifier's weights."""
    # appauthor=False: no extra "scoreviz\\scoreviz" level on Windows
    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def classifier_cache_dir() -> Path:
    return cache_dir() / "classifiers"


def log_dir() -> Path:
    """The log file's folder (`scoreviz.log`, see `scoreviz.logs`)."""
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def settings_file() -> str:
    """Where the window remembers its choices: Qt's QSettings("scoreviz", "scoreviz") in its native store."""
    if sys.platform.startswith("linux"):
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
        return str(base / APP_NAME / f"{APP_NAME}.conf")
    if sys.platform == "darwin":
        return str(Path.home() / "Library" / "Preferences" / f"com.{APP_NAME}.{APP_NAME}.plist")
    return rf"HKEY_CURRENT_USER\Software\{APP_NAME}\{APP_NAME}"


def resource_path(name: str) -> Path:
    """A file shipped in `scoreviz/resources/` (e.g. "scoreviz.png", "scoreviz.desktop")."""
    return RESOURCES_DIR / name
