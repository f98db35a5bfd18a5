"""`scoreviz schedule`: the JSON against NCSNv2's published numbers, the data rules, the PNG, and one clear line
with exit status 2 for each wrong parameter."""
import json
import os
import subprocess
import sys

import pytest

from scoreviz.cli import main

CIFAR = ["schedule", "--dim", "3072", "--sigma-max", "50", "--sigma-min", "0.01", "--levels", "232",
         "--steps-each", "5", "--process", "ncsn"]


def _json(capsys, argv):
    assert main(argv + ["--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_cifar10_numbers(capsys):
    out = _json(capsys, CIFAR)
    assert out["level_ratio"] == pytest.approx(1.0398, abs=1e-4)
    assert out["suggested_levels"] == 220
    assert out["step_size"] == pytest.approx(6.19e-6, rel=0.01)
    assert out["n_levels"] == 232 and out["dim"] == 3072
    assert out["sigma_max_rule"] is None and out["prior_w2"] is None
    assert out["warnings"] == []


def test_too_few_levels_is_a_sentence(capsys):
    out = _json(capsys, CIFAR[:8] + ["100"] + CIFAR[9:])
    assert any("too few" in w and w.endswith(".") for w in out["warnings"])


def test_data_rules_and_no_warnings_on_moons(capsys):
    out = _json(capsys, ["schedule", "--data", "moons"])
    assert out["sigma_max_rule"] > 0 and out["prior_w2"] >= 0
    assert out["warnings"] == [] and out["level_ratio"] is None
    assert main(["schedule", "--data", "moons", "--process", "vp"]) == 0     # readable text
    text = capsys.readouterr().out
    assert "level ratio" in text and "Langevin step" in text and "largest pairwise distance" in text


def test_png_headless_in_a_subprocess(tmp_path):
    """The real entry point, no display and no QT_QPA_PLATFORM: render_png picks the offscreen platform."""
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}
    png = tmp_path / "s.png"
    run = subprocess.run([sys.executable, "-m", "scoreviz", "schedule", "--data", "ncsn", "--process", "vp",
                          "--png", str(png), "--json"], capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    # the VP SDE ends at SNR 4.3e-5, not 0: the log-SNR report's one warning (Lin et al. 2024)
    warnings = json.loads(run.stdout)["warnings"]
    assert png.stat().st_size > 1000 and len(warnings) == 1 and warnings[0].startswith("the terminal SNR is 4.3")


@pytest.mark.parametrize("extra,message", [
    (["--data", "moons", "--sigma-min", "20"], "sigma_min < sigma_max"),
    (["--data", "moons", "--sigma-min", "5", "--sigma-max", "5"], "sigma_min < sigma_max"),
    (["--dim", "10", "--levels", "1"], "--levels must be at least 2"),
    (["--dim", "10", "--process", "vp", "--beta-min", "5", "--beta-max", "1"], "beta_min ≤ beta_max"),
    (["--dim", "10", "--steps-each", "-3"], "--steps-each must be at least 1"),
    (["--dim", "0"], "--dim must be positive"),
    (["--data", "moons", "--beta-max", "3"], "does not apply to --process ve"),
    (["--data", "nosuchdata"], "nosuchdata"),
])
def test_bad_parameters_are_one_line_and_status_2(capsys, extra, message):
    assert main(["schedule"] + extra) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("scoreviz schedule: error:") and message in err
