"""Logging for the command line and the window.

Rules: `-v` shows INFO on stderr, `-vv` DEBUG (default: warnings only, so a normal run prints nothing
extra); every run also appends to a rotating log file in platformdirs' user log folder, which keeps what a
bug report needs: each command line, and the traceback of every failure (CLI errors, exceptions in the
window's compute workers), even when the terminal showed one short line. Records marked
`extra=FILE_ONLY` go to the file alone (the CLI has already printed its one-line message for them).
Torch-free and Qt-free.
"""
from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

from scoreviz.paths import log_dir

__all__ = ["FILE_ONLY", "LOGGER_NAME", "log_file", "setup_logging"]

LOGGER_NAME = "scoreviz"
LOG_FILE_NAME = "scoreviz.log"
#: `logger.error(..., extra=FILE_ONLY)`: written to the log file, not to stderr.
FILE_ONLY = {"scoreviz_file_only": True}
_MAX_BYTES = 1_000_000    # ~1 MB per file, 3 old files kept: a long history, bounded on disk
_BACKUPS = 3
_OURS = "_scoreviz_handler"


def log_file() -> Path:
    return log_dir() / LOG_FILE_NAME


class _CurrentStderr(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is at the time of the record (as logging's own last-resort handler
    does), so a handler installed under a test's captured stderr never writes to a closed stream later."""

    def __init__(self, level: int):
        logging.Handler.__init__(self, level)

    @property
    def stream(self):  # noqa: D401 - the property StreamHandler.emit reads
        return sys.stderr


def _not_file_only(record: logging.LogRecord) -> bool:
    return not getattr(record, "scoreviz_file_only", False)


def _open_file_handler(path: Path, level: int) -> logging.Handler | None:
    """The rotating file handler, or None when the folder cannot be written (a read-only home must not stop
    the program: logging to a file is a help, not a requirement)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=_MAX_BYTES, backupCount=_BACKUPS,
                                                       encoding="utf-8")
    except OSError:
        return None
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"))
    return handler


def setup_logging(verbosity: int = 0, log_to_file: bool = True) -> Path | None:
    """Install scoreviz's handlers on the "scoreviz" logger (again: the previous ones are replaced).

    Args:
        verbosity: 0 → warnings on stderr, 1 (`-v`) → INFO, 2+ (`-vv`) → DEBUG.
        log_to_file: also append INFO and above (DEBUG with -vv) to :func:`log_file`.

    Returns:
        The log file in use, or None (not wanted, or its folder cannot be written).
    """
    logger = logging.getLogger(LOGGER_NAME)
    for handler in [h for h in logger.handlers if getattr(h, _OURS, False)]:
        logger.removeHandler(handler)
        handler.close()
    logger.setLevel(logging.DEBUG)
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    console = _CurrentStderr(level)
    console.addFilter(_not_file_only)
    console.setFormatter(logging.Formatter("%(name)s: %(levelname)s: %(message)s"))
    handlers: list[logging.Handler] = [console]
    path = log_file() if log_to_file else None
    if path is not None:
        file_handler = _open_file_handler(path, logging.DEBUG if verbosity >= 2 else logging.INFO)
        if file_handler is None:
            path = None
        else:
            handlers.append(file_handler)
    for handler in handlers:
        setattr(handler, _OURS, True)
        logger.addHandler(handler)
    return path
