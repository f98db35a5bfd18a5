"""The command line's user errors: the exception for a problem the user can fix, the exception types that count
as such (cli_support prints them as one line with exit status 2), and the check every count and size shares."""
from __future__ import annotations

from scoreviz.core.checkpoint import CheckpointError
from scoreviz.core.data import DataError
from scoreviz.core.training import TrainingDiverged

__all__ = ["USER_ERRORS", "UserError", "positive"]


class UserError(Exception):
    """A problem the user can fix, printed as one line."""


#: A plain ValueError counts only when scoreviz raised it (cli_support._is_user_error says why).
USER_ERRORS = (UserError, DataError, CheckpointError, TrainingDiverged, ValueError, FileNotFoundError,
               PermissionError, IsADirectoryError)


def positive(name: str, value, allow_none: bool = True) -> None:
    """A UserError unless `value` (the option --`name`) is positive; None passes when `allow_none` (not given)."""
    if value is None and allow_none:
        return
    if value is None or value <= 0:
        raise UserError(f"--{name} must be positive (got {value})")
