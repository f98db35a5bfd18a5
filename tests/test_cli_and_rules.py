"""The command line end to end, and the project's structural rules (the core imports no Qt)."""
import subprocess
import sys

import numpy as np
import pytest

from cli_helpers import round_trip
from scoreviz.cli import main


def test_train_sample_eval_round_trip(tmp_path, capsys):
    samples, report = round_trip(tmp_path, capsys, "rings", train_steps=60, n=300)
    assert samples.shape == (300, 2) and np.isfinite(samples).all()
    assert report["data"] == "rings" and report["sw_floor"] > 0 and report["sliced_wasserstein"] > 0
    assert np.isfinite(report["heldout_nll_nats"])


def test_train_on_a_point_file_and_1d_data(tmp_path, capsys):
    pts = np.random.default_rng(0).normal(size=(300, 1)).astype(np.float32)
    np.save(tmp_path / "p.npy", pts)
    ckpt = tmp_path / "p.ckpt"
    assert main(["train", "--data", str(tmp_path / "p.npy"), "--out", str(ckpt), "--steps", "30", "--quiet",
                 "--process", "vp", "--loss", "ssm"]) == 0
    assert main(["sample", "--checkpoint", str(ckpt), "--n", "50", "--out", str(tmp_path / "s.npy"),
                 "--sampler", "ddpm", "--steps", "10"]) == 0
    assert np.load(tmp_path / "s.npy").shape == (50, 1)
    assert "(ddpm, 11 network evaluations)" in capsys.readouterr().err       # 10 steps + the final denoising
    # --nfe is the run's budget: DDPM spends one evaluation a step and one to denoise, so 15 → 14 steps
    assert main(["sample", "--checkpoint", str(ckpt), "--n", "50", "--out", str(tmp_path / "s.npy"),
                 "--sampler", "ddpm", "--nfe", "15"]) == 0
    assert "(ddpm, 15 network evaluations)" in capsys.readouterr().err
    assert main(["sample", "--checkpoint", str(ckpt), "--n", "5", "--out", str(tmp_path / "s.npy"),
                 "--nfe", "15", "--steps", "3"]) == 2
    assert "not both" in capsys.readouterr().err


@pytest.mark.parametrize("argv,message", [
    (["train", "--data", "nosuchpreset", "--out", "x.ckpt"], "nosuchpreset"),
    (["train", "--data", "missing.npy", "--out", "x.ckpt"], "missing.npy"),
    (["train", "--data", "moons", "--out", "x.ckpt", "--steps", "-5"], "--steps must be positive"),
    (["train", "--data", "moons", "--out", "x.ckpt", "--device", "tpu"], "unknown device"),
    (["sample", "--checkpoint", "nothere.ckpt", "--out", "s.npy"], "nothere.ckpt"),
    (["sample", "--checkpoint", "nothere.ckpt", "--out", "s.txt"], ".npy"),
])
def test_user_errors_are_one_line_and_exit_2(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_bad_arguments_exit_nonzero_with_usage():
    result = subprocess.run([sys.executable, "-m", "scoreviz", "sample", "--sampler", "magic"], capture_output=True,
                            text=True)
    assert result.returncode == 2 and "invalid choice" in result.stderr


def test_core_and_images_never_import_qt():
    code = ("import sys, pkgutil, importlib, scoreviz.core, scoreviz.datasets, scoreviz.cli, scoreviz.commands\n"
            "for pkg in (scoreviz.core, scoreviz.datasets):\n"
            "    for m in pkgutil.iter_modules(pkg.__path__):\n"
            "        importlib.import_module(pkg.__name__ + '.' + m.name)\n"
            "bad = [m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph', 'shiboken'))]\n"
            "print(bad); sys.exit(1 if bad else 0)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_cores_tables_have_the_keys_of_the_names():
    """names.py lists every choice once; the core's tables must offer exactly those (and the CLI uses names)."""
    from scoreviz import names
    from scoreviz.cli import build_parser
    from scoreviz.core.losses import LOSSES
    from scoreviz.core.schedule.training_noise import DISTRIBUTIONS, WEIGHTINGS
    from scoreviz.core.processes import PROCESSES
    from scoreviz.core.recipes.images import RECIPES
    from scoreviz.core.sampler_registry import SAMPLERS
    from scoreviz.core.samplers import GENERATORS

    assert list(GENERATORS) == list(SAMPLERS)     # every described sampler has its generator, in the same order
    assert set(PROCESSES) == set(names.PROCESSES)
    assert set(LOSSES) == set(names.LOSSES)
    assert set(RECIPES) == set(names.IMAGE_MODEL_SIZES)
    assert set(DISTRIBUTIONS) == set(names.NOISE_DISTRIBUTIONS) and set(WEIGHTINGS) == set(names.LOSS_WEIGHTINGS)
    args = build_parser().parse_args(["train", "--data", "moons", "--out", "x", "--process", "subvp", "--loss", "ssm"])
    assert (args.process, args.loss) == ("subvp", "ssm")


def test_train_with_an_edited_schedule_records_it(tmp_path):
    from scoreviz.core.checkpoint import load_checkpoint
    from scoreviz.core.schedule.training_noise import TrainingNoise

    ckpt = tmp_path / "s.ckpt"
    assert main(["train", "--data", "moons", "--out", str(ckpt), "--steps", "5", "--quiet", "--process", "ncsn",
                 "--sigma-max", "5", "--levels", "8", "--noise-dist", "log_normal", "--weighting", "min_snr",
                 "--p-mean", "-0.5", "--min-snr-gamma", "3"]) == 0
    loaded = load_checkpoint(ckpt)
    assert loaded.process.name == "ncsn" and loaded.process.sigma_max == 5.0 and loaded.process.n_levels == 8
    assert loaded.noise == TrainingNoise("log_normal", p_mean=-0.5, weighting="min_snr", min_snr_gamma=3.0)
    assert main(["train", "--data", "moons", "--out", str(ckpt), "--steps", "3", "--quiet", "--process", "cosine",
                 "--t-min", "0.01", "--rho", "7"]) == 0
    loaded = load_checkpoint(ckpt)
    assert (loaded.process.name, loaded.process.t_min, loaded.process.rho) == ("cosine", 0.01, 7.0)
    assert loaded.noise == TrainingNoise()


@pytest.mark.parametrize("extra,message", [
    (["--process", "vp", "--sigma-max", "5"], "--sigma-max does not apply to --process vp (it takes --beta-min"),
    (["--process", "ve", "--levels", "5"], "--levels does not apply to --process ve"),
    (["--process", "ncsn", "--levels", "1"], "at least 2 levels"),
    (["--sigma-min", "3", "--sigma-max", "2"], "sigma_min < sigma_max"),
    (["--process", "vp", "--beta-min", "5", "--beta-max", "1"], "beta_min ≤ beta_max"),
    (["--process", "subvp", "--t-min", "0.7"], "t_min must be in (0, 0.5)"),
    (["--rho", "-1"], "rho must be positive"),
    (["--p-mean", "0.3"], "--p-mean and --p-std apply to --noise-dist log_normal"),
    (["--noise-dist", "log_normal", "--p-std", "0"], "p_std must be positive"),
    (["--min-snr-gamma", "2"], "--min-snr-gamma applies to --weighting min_snr"),
])
def test_bad_schedules_are_one_line_and_exit_2(extra, message, capsys, tmp_path):
    assert main(["train", "--data", "moons", "--out", str(tmp_path / "x.ckpt"), "--steps", "2", "--quiet", *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "x.ckpt").exists()


def test_schedule_choices_come_from_the_names(capsys):
    from scoreviz import names
    from scoreviz.cli import build_parser

    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--data", "m", "--out", "x", "--noise-dist", "gamma"])
    assert "invalid choice" in capsys.readouterr().err
    args = build_parser().parse_args(["train", "--data", "m", "--out", "x", "--process", "cosine"])
    assert args.process == "cosine" and args.noise_dist is None and args.weighting is None
    for action in build_parser()._subparsers._group_actions[0].choices["train"]._actions:
        if action.dest == "noise_dist":
            assert list(action.choices) == list(names.NOISE_DISTRIBUTIONS)
        if action.dest == "weighting":
            assert list(action.choices) == list(names.LOSS_WEIGHTINGS)
