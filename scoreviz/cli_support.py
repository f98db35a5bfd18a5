"""What makes the `scoreviz` command line explain itself: help with defaults and examples for every command,
the global options (--version, -v, --debug), the housekeeping commands (info, download, gui,
install-desktop) and the exit status of a failure.

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
from scoreviz.paths import cache_dir

__all__ = ["EPILOGS", "HelpFormatter", "add_housekeeping_commands", "finish_parser", "housekeeping_handlers",
           "report_failure", "start_logging"]

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


#: Help for options that several commands share, filled in where a command gave none (one text, one place).
COMMON_HELP = {
    "checkpoint": "a checkpoint written by `scoreviz train` (or a session saved from the window)",
    "n": "how many samples to draw",
    "sampler": "sampler (default: em for points; for images the checkpoint's, else pc)",
    "steps": "sampler steps (default: the sampler's usual count)",
    "seed": "random seed: the same seed, the same result",
    "device": "auto (CUDA, then Apple MPS, then the CPU), cpu, cuda, cuda:N or mps",
    "loss": "score-matching loss",
    "json": "print the result as JSON (default: readable text)",
    "out": "the .npy file to write the samples to",
}

_DATA_FOLDERS = {"mnist": "mnist", "fashion-mnist": "fashion-mnist"}

#: Examples shown under each command's --help (RawDescriptionHelpFormatter keeps the layout).
EPILOGS = {
    "train": """\
examples:
  scoreviz train --data moons --out moons.ckpt                 a 2-D preset with its recipe's defaults
  scoreviz train --data points.csv --out mine.ckpt --minutes 2 your own points, for two minutes
  scoreviz train --data mnist --out mnist.ckpt --minutes 10    MNIST (class-conditional; see `scoreviz download`)
  scoreviz train --resume mnist.ckpt --out mnist.ckpt --minutes 10   continue a run""",
    "sample": """\
examples:
  scoreviz sample --checkpoint moons.ckpt --n 5000 --out samples.npy
  scoreviz sample --checkpoint mnist.ckpt --n 64 --out digits.npy --png digits.png   all classes, evenly
  scoreviz sample --checkpoint mnist.ckpt --n 16 --class 3 --out threes.npy --png threes.png""",
    "eval": """\
examples:
  scoreviz eval --checkpoint moons.ckpt                     sliced Wasserstein, mode coverage, …
  scoreviz eval --checkpoint mnist.ckpt --n 1000 --json     recognisable digits, per-class histogram""",
    "bench": """\
examples:
  scoreviz bench --quick                      a smoke test of every group
  scoreviz bench --only gui,throughput --json --out bench.json""",
    "schedule": """\
examples:
  scoreviz schedule --data 8gaussians                     the levels, Langevin step and warnings for a preset
  scoreviz schedule --dim 3072 --process ncsn             NCSNv2's rules for CIFAR-10-sized data
  scoreviz schedule --data moons --process vp --png schedule.png""",
    "presets": """\
example:
  scoreviz presets                            then: scoreviz train --data NAME --out NAME.ckpt""",
    "info": """\
examples:
  scoreviz info                               versions, devices and folders, to read or paste into a bug report
  scoreviz info --json""",
    "download": f"""\
examples:
  scoreviz download mnist                     into {cache_dir() / 'mnist'}
  scoreviz download fashion-mnist --dir ~/data/fashion
Files are verified against their published MD5 checksums; files already present are kept. On Debian and
Ubuntu, `sudo apt-get install dataset-fashion-mnist` installs Fashion-MNIST where scoreviz finds it.""",
    "gui": """\
examples:
  scoreviz gui                                the same as scoreviz-app
  scoreviz gui --help                         the window's own options""",
    "install-desktop": """\
examples:
  scoreviz install-desktop                    a menu entry and icon for this user (XDG_DATA_HOME honoured)
  scoreviz install-desktop --uninstall""",
    "render": """\
examples:
  scoreviz render --data 8gaussians --score exact --out clip.mp4             annealed Langevin, 1280x720, 30 fps
  scoreviz render --checkpoint moons.ckpt --sampler ode --out ode.mp4 --seconds 6
  scoreviz render --data moons --score exact --n 1500 --out moons.gif --size 480x360 --fps 20""",
}


def _add_global_options(parser: argparse.ArgumentParser, on_command: bool) -> None:
    """-v and --debug, before or after the command name. On a command their default is SUPPRESS, so an
    option given before the command is not reset by the command's own default."""
    g = parser.add_argument_group("general") if on_command else parser
    g.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS if on_command else 0,
                   help="log to stderr: -v information, -vv debugging (a log file is always kept: scoreviz info)")
    g.add_argument("--debug", action="store_true", default=argparse.SUPPRESS if on_command else False,
                   help="on a failure, print the whole traceback")


def add_housekeeping_commands(sub) -> None:
    """The parsers of info, download, gui and install-desktop (their handlers: housekeeping_handlers)."""
    p = sub.add_parser("info", help="versions, devices, and where data, caches and logs are looked for")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("download", help="download MNIST or Fashion-MNIST (checksum-verified, with a progress bar)")
    p.add_argument("dataset", choices=sorted(_DATA_FOLDERS), help="the data set")
    p.add_argument("--dir", default=None, metavar="DIR",
                   help=f"the folder to fill (default: {cache_dir()}/mnist or …/fashion-mnist, where scoreviz "
                        "looks without being told)")
    p.add_argument("--mirror", action="append", default=None, metavar="URL",
                   help="a base URL holding the four files, tried before the built-in mirrors (repeatable)")
    p.add_argument("--timeout", type=float, default=30.0, metavar="S", help="seconds to connect and per read")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    sub.add_parser("gui", add_help=False, help="open the desktop app; the options are scoreviz-app's "
                                               "(scoreviz gui --help)")
    p = sub.add_parser("install-desktop", help="add scoreviz to this user's application menu (Linux, freedesktop)")
    p.add_argument("--uninstall", action="store_true", help="remove the menu entry and icons again")


def finish_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Give every command the formatter, its examples, the shared help texts and the global options; the
    top-level parser --version, -v and --debug."""
    parser.formatter_class = HelpFormatter
    parser.description = (parser.description or "") + " The desktop app: scoreviz gui (or scoreviz-app)."
    parser.add_argument("--version", action="version", version=f"scoreviz {scoreviz.__version__}")
    _add_global_options(parser, on_command=False)
    parser.epilog = ("Each command has its own --help with examples. Exit status: 0 done, 1 runtime or "
                     "internal error, 2 usage or user error.")
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, sub in subparsers.choices.items():
        sub.formatter_class = HelpFormatter
        sub.epilog = EPILOGS.get(name, sub.epilog)
        if name == "gui":      # its arguments belong to the window's own parser
            continue
        for action in sub._actions:
            if action.help is None and action.dest in COMMON_HELP:
                action.help = COMMON_HELP[action.dest]
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
