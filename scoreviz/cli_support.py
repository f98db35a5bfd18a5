"""What makes the `scoreviz` command line explain itself: the help formatter (defaults shown, examples kept),
the global options (--version, -v, --debug), the housekeeping commands' handlers (info, download,
install-desktop) and the exit status of a failure. The options and examples themselves: cli_options.

Exit status rule: 0 done; 2 a usage or user error (bad option, missing file, unknown preset, broken
checkpoint: one line on stderr, the user can fix it); 1 a runtime failure (network, disk, out of memory:
one line) or an internal error (a bug: a short message and a hint about --debug); 130 interrupted.
A plain ValueError counts as the user's only when scoreviz's own code raised it (its messages are written
for users); one raised inside torch or NumPy means scoreviz passed them something wrong, which is a bug.
Every failure's traceback goes to the log file; --debug also prints it.
"""
from __future__ import annotations

import argparse
import logging
import sys
import traceback
from pathlib import Path

import scoreviz
from scoreviz.cli_arguments import Command
from scoreviz.cli_options import DEBUG, VERBOSE

__all__ = ["HelpFormatter", "finish_parser", "housekeeping_handlers", "report_failure", "start_logging"]

log = logging.getLogger("scoreviz.cli")


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Shows "(default: X)" after each option whose default is a real value and whose help does not already
    say it (None and False mean "not set" and say nothing), and keeps the examples' line breaks."""

    def _get_help_string(self, action):
        text = action.help or ""
        unset = (action.default is None or action.default is False or action.default == argparse.SUPPRESS
                 or isinstance(action, argparse._CountAction))
        if unset or "default" in text:
            return text
        return super()._get_help_string(action)


def _add_global_options(parser: argparse.ArgumentParser, on_command: bool) -> None:
    """-v and --debug, before or after the command name. On a command their default is SUPPRESS, so an
    option given before the command is not reset by the command's own default."""
    g = parser.add_argument_group("general") if on_command else parser
    for opt in (VERBOSE, DEBUG):
        if on_command:
            opt.add_to(g, default=argparse.SUPPRESS)
        else:
            opt.add_to(g)


def finish_parser(parser: argparse.ArgumentParser, table: dict[str, Command]) -> argparse.ArgumentParser:
    """Give every command the formatter, its examples (from `table`, cli_options.command_table) and the global
    options; the top-level parser --version, -v and --debug."""
    parser.formatter_class = HelpFormatter
    parser.description = (parser.description or "") + " The desktop app: scoreviz gui (or scoreviz-app)."
    parser.add_argument("--version", action="version", version=f"scoreviz {scoreviz.__version__}")
    _add_global_options(parser, on_command=False)
    parser.epilog = ("Each command has its own --help with examples. Exit status: 0 done, 1 runtime or "
                     "internal error, 2 usage or user error.")
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, sub in subparsers.choices.items():
        sub.formatter_class = HelpFormatter
        sub.epilog = table[name].examples or sub.epilog
        if not table[name].own_help:      # gui: its arguments belong to the window's own parser
            continue
        _add_global_options(sub, on_command=True)
    return parser


def housekeeping_handlers() -> dict:
    from scoreviz.commands.desktop import install_desktop
    from scoreviz.commands.download import download
    from scoreviz.commands.info import info

    return {"info": info, "download": download, "install-desktop": install_desktop}


def start_logging(args, argv: list[str] | None) -> Path | None:
    """Set up logging from -v, and note the command line in the log file. Returns the log file or None."""
    from scoreviz.logs import FILE_ONLY, setup_logging

    path = setup_logging(getattr(args, "verbose", 0) or 0)
    shown = " ".join(sys.argv[1:] if argv is None else argv)
    log.info("scoreviz %s: %s", scoreviz.__version__, shown, extra=FILE_ONLY)
    return path


def _raised_in_scoreviz(exc: BaseException) -> bool:
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return True
    package = str(Path(scoreviz.__file__).resolve().parent)
    return str(Path(tb.tb_frame.f_code.co_filename).resolve()).startswith(package)


def _is_user_error(exc: BaseException, user_errors: tuple) -> bool:
    if not isinstance(exc, user_errors):
        return False
    return type(exc) is not ValueError or _raised_in_scoreviz(exc)


def _is_runtime_failure(exc: BaseException) -> bool:
    """Failures of the machine or the network, not of scoreviz: told in one line, status 1."""
    from scoreviz.datasets.download import DownloadError

    return (isinstance(exc, (OSError, MemoryError, DownloadError))
            or type(exc).__name__ == "OutOfMemoryError")      # torch's CUDA / MPS out-of-memory error


def report_failure(args, exc: BaseException, user_errors: tuple, log_path: Path | None) -> int:
    """Print the failure as the exit-status rule says, log its traceback, return the status."""
    from scoreviz.logs import FILE_ONLY

    command = getattr(args, "command", "") or ""
    prefix = f"scoreviz {command}".rstrip()
    log.error("%s failed", prefix, exc_info=exc, extra=FILE_ONLY)
    if getattr(args, "debug", False):
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    message = str(exc).strip() or type(exc).__name__
    if _is_user_error(exc, user_errors):
        print(f"{prefix}: error: {message}", file=sys.stderr)
        return 2
    if _is_runtime_failure(exc):
        print(f"{prefix}: error: {message}", file=sys.stderr)
        return 1
    where = f" (the log file {log_path} keeps it)" if log_path else ""
    print(f"{prefix}: internal error: {type(exc).__name__}: {message}", file=sys.stderr)
    if not getattr(args, "debug", False):
        print(f"  This is a bug in scoreviz. Run the command again with --debug to see the traceback{where}.",
              file=sys.stderr)
    return 1
