"""Entry point of the desktop app: `python main.py [options]`.

With no options the window opens on the default preset (moons) with the last choices remembered. A scripted
run (for docs, tests and lecture slides) trains, samples, saves a screenshot and exits 0:

    python main.py --preset moons --train-steps 2000 --sample 5000 --screenshot out.png

It works with QT_QPA_PLATFORM=offscreen too. Scripted runs neither read nor write the remembered settings.
"""
from __future__ import annotations

import argparse
import math
import sys
import time

from scoreviz.names import FIELD_KINDS, LOSSES, POINT_MODEL_SIZES, PROCESSES, SAMPLERS, SCORE_SOURCES, keys

from .qt import QtCore, QtWidgets


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="scoreviz-app", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", help="preset to open (default: moons, or the last one used)")
    p.add_argument("--data", metavar="FILE", help="a .npy/.csv point file or a .png density to open instead")
    p.add_argument("--process", choices=keys(PROCESSES), help="noise process")
    p.add_argument("--loss", choices=keys(LOSSES), help="score-matching loss")
    p.add_argument("--model-size", choices=keys(POINT_MODEL_SIZES), help="network size")
    p.add_argument("--device", default=None, help="auto, cpu, cuda or mps")
    p.add_argument("--train-steps", type=int, default=0, metavar="N", help="train N steps first")
    p.add_argument("--train", action="store_true", help="start training at once (interactive)")
    p.add_argument("--sample", type=int, default=0, metavar="N", help="then release N particles and run the sampler")
    p.add_argument("--sampler", choices=keys(SAMPLERS), help="sampler for --sample (default: annealed)")
    p.add_argument("--sampler-steps", type=int, default=None, metavar="K", help="sampler steps")
    p.add_argument("--score", choices=keys(SCORE_SOURCES), default=None, help="score the particles follow")
    p.add_argument("--sigma", type=float, default=None, help="noise level σ of the slider (field, Langevin)")
    p.add_argument("--field", choices=keys(FIELD_KINDS), default=None, help="which field to draw")
    p.add_argument("--grid", type=int, default=None, help="arrows across the view (12–64)")
    p.add_argument("--theme", choices=("dark", "light"), default=None)
    p.add_argument("--size", default="1440x900", help="window size WxH (default 1440x900)")
    p.add_argument("--screenshot", metavar="PNG", help="save a screenshot when done, then quit")
    p.add_argument("--quit-after", type=float, default=None, metavar="S", help="quit after S seconds at the latest")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--mode", choices=("2d", "images"), default="2d", help="open the 2D lab or the image mode")
    return p


class ScriptedRun(QtCore.QObject):
    """Drives the window through train → sample → screenshot → quit, from GUI-thread relay signals."""

    def __init__(self, window, args, app):
        super().__init__(window)
        self.window, self.args, self.app = window, args, app
        self.phase = "start"
        self.exit_code = 0
        self.started = time.perf_counter()
        window.train_shown.connect(self._on_train)
        window.particles_shown.connect(self._on_particles)
        window.process_shown.connect(self._on_process)
        self._poll = QtCore.QTimer(self)
        self._poll.setInterval(100)
        self._poll.timeout.connect(self._check)
        self._poll.start()
        self._sigma_set = False

    @property
    def scripted(self) -> bool:
        a = self.args
        return bool(a.screenshot or a.train_steps or a.sample or a.quit_after)

    def _on_process(self, _process) -> None:
        if self.args.sigma is not None and not self._sigma_set:
            self._sigma_set = True
            self.window.set_sigma(self.args.sigma)
        if self.phase == "start":
            if self.args.train_steps > 0:
                self.phase = "training"
                self.window.set_training(True)
            elif self.args.train:
                self.window.set_training(True)
                self._start_sampling()
            else:
                self._start_sampling()

    def _on_train(self, frame) -> None:
        if self.phase == "training" and frame.step >= self.args.train_steps:
            self.window.set_training(bool(self.args.train))
            self._start_sampling()

    def _start_sampling(self) -> None:
        if self.args.sample > 0:
            self.phase = "sampling"
            self.window.release_particles()
        else:
            self.phase = "settle"
            self._settle_since = time.perf_counter()

    def _on_particles(self, frame) -> None:
        if self.phase == "sampling" and frame.finished:
            self.phase = "settle"
            self._settle_since = time.perf_counter()

    def _check(self) -> None:
        a = self.args
        elapsed = time.perf_counter() - self.started
        if a.quit_after is not None and elapsed >= a.quit_after:
            self._finish()
        elif self.phase == "settle" and time.perf_counter() - self._settle_since > 0.6:
            if a.screenshot or a.train_steps or a.sample:
                self._finish()

    def _finish(self) -> None:
        if self.phase == "done":
            return
        self.phase = "done"
        self._poll.stop()
        if self.args.screenshot:
            if not self.window.save_screenshot(self.args.screenshot):
                print(f"scoreviz: could not write the screenshot {self.args.screenshot}", file=sys.stderr)
                self.exit_code = 1
        self.window.close()
        self.app.exit(self.exit_code)


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


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    QtCore.qInstallMessageHandler(_message_handler)
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    app.setOrganizationName("scoreviz")
    app.setApplicationName("scoreviz")

    from .main_window import MainWindow  # after the QApplication: pyqtgraph reads the screen on import
    from .settings import Settings

    scripted = bool(args.screenshot or args.train_steps or args.sample or args.quit_after)
    settings = None if scripted else Settings()
    remembered = settings.choices() if settings is not None else {}
    theme = args.theme or remembered.get("view.theme") or "dark"
    window = MainWindow(theme=theme, settings=settings, preset=None if args.data else args.preset)
    window.apply_choices(_window_options(args))
    if args.train_steps or args.sample or args.process or args.loss or args.model_size or args.device:
        window._send_config()
    if args.data and not window.load_data_file(args.data):
        print(f"scoreviz: {window.last_message[1]}", file=sys.stderr)
        window.close()
        return 2
    try:
        w, h = (int(v) for v in args.size.lower().split("x"))
        window.resize(w, h)
    except ValueError:
        pass
    if args.mode != "2d":
        window.set_mode(args.mode)
    runner = ScriptedRun(window, args, app)
    if not scripted and args.train:
        window.set_training(True)
    if args.sigma is not None and not math.isfinite(args.sigma):
        print("scoreviz: --sigma must be finite", file=sys.stderr)
        return 2
    window.show()
    code = app.exec()
    window.shutdown()
    return code if code else runner.exit_code
