"""A long session for the record: `python -m scoreviz.bench.soak --minutes 10 [--json out.json]`.

The real window trains without pause, releases 2,000 particles every 20 s (cycling the samplers), moves the σ
slider every 0.5 s and switches presets every minute, while the resident memory of the process is sampled.
It then closes the window mid-training; the exit code is 0 only if the worker thread ended.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time


def _rss_mb() -> float:
    with open(f"/proc/{os.getpid()}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scoreviz.bench.soak")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from scoreviz.app.qt import QtCore, QtWidgets

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    from scoreviz.app.window.main_window import MainWindow

    window = MainWindow(settings=None, preset="moons")
    window.resize(1400, 900)
    window.show()
    presets = ["moons", "8gaussians", "rings", "spirals", "ncsn"]
    samplers = ["annealed", "em", "pc", "ode", "langevin"]
    start = time.perf_counter()
    end = start + 60 * args.minutes
    samples, k, last_release, last_slider, last_preset = [], 0, -1e9, 0.0, start
    window.set_training(True)
    while time.perf_counter() < end:
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 50)
        now = time.perf_counter()
        if now - last_slider > 0.5:
            last_slider = now
            window.sigma_bar.set_fraction((now * 0.1) % 1.0)
        if now - last_release > 20:
            last_release = now
            window.sampling_panel.set_options({"sampler": samplers[k % len(samplers)], "n": 2000})
            window.release_particles()
            k += 1
            samples.append((round(now - start, 1), round(_rss_mb(), 1)))
        if now - last_preset > 60:
            last_preset = now
            window.load_preset(presets[k % len(presets)])
            window.set_training(True)
    host = window.host
    window.close()
    app.processEvents()
    ok = host.thread.isFinished()
    rss = [m for _, m in samples]
    half = len(rss) // 2
    report = {"minutes": args.minutes, "rss_mb": samples, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
              "rss_first_half_max": max(rss[:half] or [0]), "rss_second_half_max": max(rss[half:] or [0]),
              "worker_ended": ok}
    print(json.dumps(report))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
