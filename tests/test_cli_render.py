"""`scoreviz render`: a clip without a window, decoded back (frames, size, they differ), the same file twice
for the same options, help with defaults, and one-line errors with exit status 2."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from scoreviz.cli import main
from scoreviz.lab.recording import plan_clip
from test_recording import decode

SMALL = ["--data", "8gaussians", "--score", "exact", "--n", "200", "--steps", "30", "--size", "200x150"]


def test_render_gif(qapp, tmp_path, capsys, one_torch_thread):
    out = tmp_path / "clip.gif"
    assert main(["render", *SMALL, "--out", str(out), "--fps", "20", "--presentation"]) == 0
    frames = decode(out)
    assert frames.shape[1:] == (150, 200, 3)
    assert len(frames) == 32                              # steps 0 … 31 (annealed: 10 levels × 3 + the final step)
    assert not np.array_equal(frames[0], frames[15]) and not np.array_equal(frames[15], frames[-1])
    # --steps is the window's old length: 30 over 10 levels is the run of 10·3 + 1 = 31 network evaluations
    assert "annealed with 31 network evaluations" in capsys.readouterr().err


def test_render_a_flow_models_velocity_with_trajectories(qapp, tmp_path, capsys, one_torch_thread):
    """The velocity view needs the field to know the process; the paths add pixels the plain clip lacks."""
    base = ["render", "--data", "moons", "--score", "exact", "--process", "flow", "--field", "velocity",
            "--sampler", "heun", "--nfe", "21", "--n", "300", "--size", "200x150", "--no-trails"]
    plain, paths = tmp_path / "plain.gif", tmp_path / "paths.gif"
    assert main([*base, "--out", str(plain)]) == 0
    assert main([*base, "--trajectories", "--out", str(paths)]) == 0
    assert "heun with 21 network evaluations" in capsys.readouterr().err
    assert not np.array_equal(decode(plain)[-1], decode(paths)[-1])


def test_render_mp4_is_deterministic(qapp, tmp_path, one_torch_thread):
    a, b = tmp_path / "a.mp4", tmp_path / "b.mp4"
    for path in (a, b):
        assert main(["render", *SMALL, "--sampler", "em", "--seed", "3", "--seconds", "2", "--size", "161x121",
                     "--out", str(path)]) == 0
    fa, fb = decode(a), decode(b)
    assert fa.shape == (60, 120, 160, 3)                  # 2 s at 30 fps; odd sizes made even
    assert plan_clip(31, fps=30, seconds=2).frames == 60
    np.testing.assert_array_equal(fa, fb)


@pytest.mark.parametrize("extra, message", [
    (["--out", "clip.avi"], ".mp4 or .gif"),
    (["--out", "clip.mp4", "--size", "big"], "--size"),
    (["--out", "clip.mp4", "--fps", "0"], "--fps"),
    (["--out", "clip.mp4", "--seconds", "-1"], "--seconds"),
    (["--out", "clip.mp4", "--score", "learned"], "--checkpoint"),
    (["--out", "no/such/folder/clip.mp4"], "folder"),
])
def test_render_user_errors_are_one_line(tmp_path, capsys, monkeypatch, extra, message):
    monkeypatch.chdir(tmp_path)
    args = ["render", "--data", "8gaussians", "--n", "10", *extra]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err, err
    assert not (tmp_path / "clip.mp4").exists()


def test_render_help_and_bad_option():
    proc = subprocess.run([sys.executable, "-m", "scoreviz", "render", "--help"], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0
    for option in ("--checkpoint", "--data", "--sampler", "--n", "--out", "--fps", "--size", "--seconds", "--seed"):
        assert option in proc.stdout
    assert "(default: annealed)" in proc.stdout and "(default: 30)" in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "scoreviz", "render", "--data", "moons", "--out", "x.mp4",
                           "--sampler", "nope"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "--sampler" in proc.stderr.strip().splitlines()[-1]


def test_render_from_a_checkpoint(qapp, tmp_path, one_torch_thread):
    """A model from `scoreviz train` (here a few steps: the clip, not the model, is under test)."""
    from scoreviz.core.checkpoint import save_checkpoint
    from scoreviz.core.data import make_preset
    from scoreviz.core.recipes.points import make_trainer

    ds = make_preset("8gaussians", n_train=500, n_heldout=100)
    trainer = make_trainer(ds.train, size="small", device="cpu", steps=5, batch_size=64)
    trainer.train()
    ckpt = tmp_path / "m.ckpt"
    save_checkpoint(ckpt, trainer=trainer, data_name=ds.name, fingerprint=ds.fingerprint(),
                    meta={"data_spec": "8gaussians"})
    out = tmp_path / "learned.mp4"
    assert main(["render", "--checkpoint", str(ckpt), "--sampler", "ode", "--steps", "20", "--n", "200",
                 "--field", "difference", "--size", "160x120", "--out", str(out)]) == 0
    frames = decode(out)
    assert frames.shape == (22 + 30, 120, 160, 3)           # steps 0 … 21, then the 1 s hold
