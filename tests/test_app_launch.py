"""The scripted screenshot run of the real entry point, as a subprocess on the offscreen platform."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_scripted_screenshot_run_exits_cleanly(tmp_path):
    out = tmp_path / "shot.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-X", "faulthandler", str(ROOT / "main.py"), "--preset", "moons", "--train-steps", "120",
         "--sample", "800", "--sampler", "ode", "--sampler-steps", "40", "--model-size", "small",
         "--screenshot", str(out), "--quit-after", "120", "--size", "1100x760"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=170)
    assert proc.returncode == 0, proc.stderr
    assert "Fatal Python error" not in proc.stderr
    for bad in ("QThread", "Timers cannot", "QObject::", "Traceback", "Warning", "WARNING"):
        assert bad not in proc.stderr, proc.stderr
    assert out.is_file() and out.stat().st_size > 10_000


def test_bad_data_file_exits_with_a_message(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\nx,y\n")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "--data", str(bad), "--screenshot",
                           str(tmp_path / "x.png")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "bad.csv" in proc.stderr
    assert "Traceback" not in proc.stderr
