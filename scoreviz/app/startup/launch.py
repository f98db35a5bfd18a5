"""Entry point of the desktop app: `scoreviz-app`, `scoreviz gui`, `python -m scoreviz.app` or `python main.py`.

With no options the window opens on the default preset (moons) with the last choices remembered. A scripted
run (for docs, tests and lecture slides) trains, samples, saves a screenshot and exits 0:

    scoreviz-app --preset moons --train-steps 2000 --sample 5000 --screenshot out.png

It works with QT_QPA_PLATFORM=offscreen too. Scripted runs neither read nor write the remembered settings.
"""
from __future__ import annotations

import argparse
import logging
import math
import sys

from scoreviz import __version__
from scoreviz.core.sampler_registry import SAMPLERS
from scoreviz.lab.lesson import built_in_lessons
from scoreviz.names import FIELD_KINDS, LOSSES, POINT_MODEL_SIZES, PROCESSES, SCORE_SOURCES, keys

from scoreviz.app.startup.platform_check import check_platform, explain_import_error

# Rule: nothing Qt is imported at module level. The platform check must run before Qt is loaded (a missing
# system library makes the import itself fail), and `--version` / `--help` must answer without a display.

EXAMPLES = """\
examples:
  scoreviz-app                                       open the window (last choices remembered)
  scoreviz-app --preset 8gaussians --train           open a preset and start training at once
  scoreviz-app --mode images                         the MNIST image mode
  QT_QPA_PLATFORM=offscreen scoreviz-app --preset moons --train-steps 2000 --sample 5000 --screenshot out.png
                                                     a scripted run without a display: train, sample, save, quit
"""


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, e.g. 1440x900, not {text!r}") from None
    if w < 200 or h < 200:
        raise argparse.ArgumentTypeError(f"{text}: the window needs at least 200x200")
    return w, h


def _clip(text: str) -> str:
    if not text.lower().endswith((".mp4", ".gif")):
        raise argparse.ArgumentTypeError(f"a clip is written as .mp4 or .gif, not {text!r}")
    return text


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive finite number, not {text!r}")
    return value


class _Formatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Defaults shown where they are real values (not None / False), the examples kept as typed."""

    def _get_help_string(self, action):
        if action.default is None or action.default is False or "default" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="scoreviz-app", description=__doc__.split("\n\n")[0],
                                formatter_class=_Formatter, epilog=EXAMPLES)
    p.add_argument("--version", action="version", version=f"scoreviz {__version__}")
    p.add_argument("--preset", help="preset to open (default: moons, or the last one used)")
    p.add_argument("--data", metavar="FILE", help="a .npy/.csv point file or a .png density to open instead")
    p.add_argument("--process", choices=keys(PROCESSES), help="noise process (default: the last one used)")
    p.add_argument("--loss", choices=keys(LOSSES), help="score-matching loss (default: the last one used)")
    p.add_argument("--model-size", choices=keys(POINT_MODEL_SIZES), help="network size (default: the last one used)")
    p.add_argument("--device", default=None, help="auto, cpu, cuda or mps (default: the last one used, else auto)")
    p.add_argument("--train-steps", type=int, default=0, metavar="N", help="train N steps first")
    p.add_argument("--train", action="store_true", help="start training at once (interactive)")
    p.add_argument("--sample", type=int, default=0, metavar="N", help="then release N particles and run the sampler")
    p.add_argument("--sampler", choices=keys(SAMPLERS), help="sampler for --sample (default: annealed)")
    p.add_argument("--sampler-steps", type=int, default=None, metavar="K",
                   help="network evaluations (NFE) of the sampler's run (default: the panel's)")
    p.add_argument("--score", choices=keys(SCORE_SOURCES), default=None,
                   help="score the particles follow (default: the learned one)")
    p.add_argument("--sigma", type=_finite, default=None,
                   help="noise level σ of the slider (field, Langevin) (default: the schedule's middle)")
    p.add_argument("--field", choices=keys(FIELD_KINDS), default=None, help="which field to draw (default: learned)")
    p.add_argument("--grid", type=int, default=None, help="arrows across the view, 12–64 (default: the last used)")
    p.add_argument("--theme", choices=("dark", "light"), default=None,
                   help="colour theme: dark for screens, light for projectors (default: the last used, else dark)")
    p.add_argument("--size", type=_size, default="1440x900", help="window size WxH")
    p.add_argument("--screenshot", metavar="PNG", help="save a screenshot when done, then quit")
    p.add_argument("--record", metavar="CLIP", type=_clip, default=None,
                   help="record the --sample run (2000 particles if --sample is not given) from its release to its "
                        "end into CLIP (.mp4 or .gif: the canvas, one frame per sampler step), then quit")
    p.add_argument("--quit-after", type=float, default=None, metavar="S", help="quit after S seconds at the latest")
    p.add_argument("--seed", type=int, default=0, help="random seed of the scripted run")
    p.add_argument("--mode", choices=("2d", "images"), default="2d", help="open the 2D lab or the image mode")
    p.add_argument("--lesson", metavar="NAME|FILE", default=None,
                   help=f"start a lesson: a built-in one ({', '.join(built_in_lessons())}) or a TOML file; "
                        "PageDown/PageUp step the scenes")
    p.add_argument("-v", "--verbose", action="count", default=0,
                   help="log to stderr: -v information, -vv debugging (a log file is always kept; see `scoreviz info`)")
    return p


def _window_options(args) -> dict:
    c: dict = {}
    for key, value in (("train.process", args.process), ("train.loss", args.loss),
                       ("train.model_size", args.model_size), ("train.device", args.device),
                       ("sample.sampler", args.sampler), ("sample.source", args.score),
                       ("view.kind", args.field), ("view.grid_n", args.grid)):
        if value is not None:
            c[key] = value
    if args.sample:
        c["sample.n"] = args.sample
        c.setdefault("sample.sampler", "annealed")
        c["sample.speed"] = 0.0
    if args.sampler_steps:
        c["sample.steps"] = args.sampler_steps
    return c


_HARMLESS = ("This plugin does not support propagateSizeHints()",)   # the offscreen platform's notice


def _message_handler(mode, context, message):
    if any(h in message for h in _HARMLESS):
        return
    print(message, file=sys.stderr)


def _log_uncaught(exc_type, exc, tb) -> None:
    """sys.excepthook while the window runs: an exception escaping a Qt slot goes to the log (file and stderr)
    with its traceback; PySide6 reports it through this hook and the window goes on."""
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)
        return
    logging.getLogger("scoreviz.app").error("uncaught exception in the window", exc_info=(exc_type, exc, tb))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from scoreviz.logs import setup_logging

    setup_logging(args.verbose)
    problem = check_platform()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    try:
        from scoreviz.app.qt import QtCore, QtGui, QtWidgets
    except ImportError as exc:     # PySide6 present but a system library it links against is not
        print(explain_import_error(exc), file=sys.stderr)
        return 2
    return _run(args, sys.argv[1:] if argv is None else argv, QtCore, QtGui, QtWidgets)


def _run(args, argv, QtCore, QtGui, QtWidgets) -> int:
    QtCore.qInstallMessageHandler(_message_handler)
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    app.setOrganizationName("scoreviz")
    app.setApplicationName("scoreviz")
    app.setApplicationVersion(__version__)

    from scoreviz.app.icon import DESKTOP_FILE_NAME, app_icon
    # after the QApplication: pyqtgraph reads the screen on import
    from scoreviz.app.window.main_window import MainWindow
    from scoreviz.app.startup.scripted_run import ScriptedRun
    from scoreviz.app.window.settings import Settings

    QtGui.QGuiApplication.setDesktopFileName(DESKTOP_FILE_NAME)
    app.setWindowIcon(app_icon())
    sys.excepthook = _log_uncaught
    logging.getLogger("scoreviz.app").info("scoreviz %s: window starting (%s)", __version__,
                                           " ".join(argv) or "no options")
    if args.record and not args.sample:
        args.sample = 2000                     # --record records a sampler run: release the usual count
    scripted = bool(args.screenshot or args.train_steps or args.sample or args.quit_after or args.record)
    settings = None if scripted else Settings()
    remembered = settings.choices() if settings is not None else {}
    theme = args.theme or remembered.get("view.theme") or "dark"
    window = MainWindow(theme=theme, settings=settings, preset=None if args.data else args.preset)
    window.apply_choices(_window_options(args))
    if args.train_steps or args.sample or args.process or args.loss or args.model_size or args.device:
        window.send_config()
    if args.data and not window.load_data_file(args.data):
        print(f"scoreviz: {window.last_message[1]}", file=sys.stderr)
        window.close()
        window.shutdown()
        return 2
    window.resize(*args.size)
    if args.mode != "2d":
        window.set_mode(args.mode)
    if args.lesson and not window.lessons.open(args.lesson):
        print(f"scoreviz: {window.last_message[1]}", file=sys.stderr)
        window.close()
        window.shutdown()
        return 2
    runner = ScriptedRun(window, args, app)
    if not scripted and args.train:
        window.set_training(True)
    window.show()
    try:
        code = app.exec()
    finally:
        sys.excepthook = sys.__excepthook__
    window.shutdown()
    return code if code else runner.exit_code
