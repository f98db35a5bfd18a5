"""`scoreviz train` on the schedules people train with: a gallery preset or a diffusers scheduler_config.json
(process "discrete") with Lin et al.'s fixes, flow matching on points and on images; contradicting flags are one
line and exit status 2. Tiny runs: a few steps of the small networks."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from shared_mnist import require_shared_mnist
from scoreviz import cli, cli_options
from scoreviz.cli import main as cli_main
from scoreviz.commands.plan import plan_from_args
from scoreviz.core.checkpoint import load_checkpoint
from scoreviz.core.discrete_process import DiscreteVP
from scoreviz.core.schedule.snr import training_log_snr

pytestmark = pytest.mark.usefixtures("one_torch_thread")



def _plan(*argv: str):
    return plan_from_args(cli.build_parser().parse_args(["train", "--out", "x.ckpt", *argv]))


def _error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def test_the_plan_reads_the_published_schedule_flags():
    plan = _plan("--data", "moons", "--schedule-preset", "sd", "--rescale-zero-snr", "--timestep-spacing",
                 "trailing")
    assert (plan.schedule_preset, plan.schedule_from, plan.rescale_zero_snr, plan.timestep_spacing) == \
        ("sd", None, True, "trailing")
    assert plan.published and not plan.process_given()
    assert _plan("--data", "moons", "--schedule-from", "c.json").schedule_from == "c.json"
    plain = _plan("--data", "moons")
    assert not plain.published and not plain.rescale_zero_snr and plain.timestep_spacing is None
    # a resumed run keeps its schedule: these are among the flags it refuses
    assert {"--schedule-preset", "--rescale-zero-snr", "--timestep-spacing"} <= set(plan.model_flags())


def test_train_and_schedule_share_the_fixes_definitions():
    for dest in cli_options.PUBLISHED_FIXES:
        assert cli_options.option("train", dest) is cli_options.option("schedule", dest)
    assert cli_options.option("train", "schedule_preset").choices == cli_options.option("schedule", "preset").choices


def test_sd_with_zero_terminal_snr_trains_records_and_samples(tmp_path, capsys):
    ckpt = tmp_path / "sd.ckpt"
    assert cli_main(["train", "--data", "moons", "--schedule-preset", "sd", "--rescale-zero-snr", "--steps", "20",
                     "--model", "small", "--out", str(ckpt), "--quiet"]) == 0
    process = load_checkpoint(ckpt).process
    assert isinstance(process, DiscreteVP) and process.name == "discrete"
    assert (process.beta_schedule, process.beta_start, process.beta_end) == ("scaled_linear", 0.00085, 0.012)
    assert process.rescale_zero_snr
    assert training_log_snr(process)[2] == -math.inf            # terminal SNR 0
    out = tmp_path / "s.npy"
    for sampler in ("ddim", "em"):
        assert cli_main(["sample", "--checkpoint", str(ckpt), "--n", "64", "--out", str(out), "--sampler", sampler,
                         "--nfe", "20"]) == 0
        samples = np.load(out)
        assert samples.shape == (64, 2) and np.isfinite(samples).all()
    capsys.readouterr()
    assert cli_main(["eval", "--checkpoint", str(ckpt), "--n", "200", "--sampler", "ddim", "--nfe", "10",
                     "--json"]) == 0
    assert math.isfinite(json.loads(capsys.readouterr().out)["sliced_wasserstein"])


def test_a_scheduler_config_file_trains_with_its_spacing(tmp_path):
    config = tmp_path / "scheduler_config.json"
    config.write_text(json.dumps({"_class_name": "DDIMScheduler", "beta_schedule": "linear", "beta_start": 0.0001,
                                  "beta_end": 0.02, "num_train_timesteps": 1000, "clip_sample": False}))
    ckpt = tmp_path / "c.ckpt"
    assert cli_main(["train", "--data", "moons", "--schedule-from", str(config), "--timestep-spacing", "trailing",
                     "--steps", "5", "--model", "small", "--out", str(ckpt), "--quiet"]) == 0
    process = load_checkpoint(ckpt).process
    assert isinstance(process, DiscreteVP) and process.timestep_spacing == "trailing"
    assert not process.rescale_zero_snr


@pytest.mark.parametrize("argv, words", [
    (["--schedule-preset", "sd", "--process", "vp"], "--process vp contradicts --schedule-preset sd"),
    (["--schedule-preset", "sd", "--sigma-min", "0.1"], "--sigma-min does not apply with --schedule-preset sd"),
    (["--schedule-preset", "edm", "--rescale-zero-snr"], "--rescale-zero-snr applies to a discrete β schedule"),
    (["--process", "vp", "--timestep-spacing", "trailing"], "--timestep-spacing applies to a discrete β schedule"),
    (["--schedule-from", "no-such-config.json"], "cannot read the scheduler config"),
])
def test_contradicting_flags_are_one_line_and_exit_2(tmp_path, capsys, argv, words):
    assert cli_main(["train", "--data", "moons", "--out", str(tmp_path / "x.ckpt"), "--steps", "1", *argv]) == 2
    assert words in _error_line(capsys)
    assert not (tmp_path / "x.ckpt").exists()


def test_the_fixes_on_process_discrete_and_a_matching_process(tmp_path):
    ckpt = tmp_path / "d.ckpt"
    assert cli_main(["train", "--data", "moons", "--process", "discrete", "--rescale-zero-snr", "--steps", "3",
                     "--model", "small", "--out", str(ckpt), "--quiet"]) == 0
    assert load_checkpoint(ckpt).process.rescale_zero_snr
    assert cli_main(["train", "--data", "moons", "--process", "discrete", "--schedule-preset", "ddpm", "--steps",
                     "3", "--model", "small", "--out", str(ckpt), "--quiet"]) == 0


def test_flow_matching_on_points_trains_and_samples(tmp_path):
    ckpt = tmp_path / "flow.ckpt"
    assert cli_main(["train", "--data", "moons", "--process", "flow", "--loss", "fm", "--noise-dist",
                     "logit_normal", "--steps", "20", "--model", "small", "--out", str(ckpt), "--quiet"]) == 0
    loaded = load_checkpoint(ckpt, for_training=True)
    assert loaded.process.name == "flow" and loaded.noise.distribution == "logit_normal"
    assert loaded.training["train_config"]["loss"] == "fm"
    out = tmp_path / "s.npy"
    for sampler in ("heun", "em"):
        assert cli_main(["sample", "--checkpoint", str(ckpt), "--n", "64", "--out", str(out), "--sampler", sampler,
                         "--nfe", "21"]) == 0
        assert np.isfinite(np.load(out)).all()


@pytest.fixture
def few_images(tmp_path):
    from scoreviz.datasets.idx import load_image_dataset

    data = load_image_dataset(require_shared_mnist())
    path = tmp_path / "few.npz"
    np.savez(path, x=(data.images.numpy()[:48, 0] * 255).round().astype(np.uint8), y=data.labels.numpy()[:48])
    return path


@pytest.mark.parametrize("argv, process, sampler", [
    (["--process", "flow", "--loss", "fm", "--noise-dist", "logit_normal"], "flow", "heun"),
    (["--schedule-preset", "sd", "--rescale-zero-snr"], "discrete", "ddim"),
])
def test_images_train_and_sample_on_the_new_processes(few_images, tmp_path, argv, process, sampler):
    ckpt = tmp_path / "i.ckpt"
    assert cli_main(["train", "--data", str(few_images), "--steps", "3", "--model", "tiny", "--out", str(ckpt),
                     "--quiet", *argv]) == 0
    loaded = load_checkpoint(ckpt)
    assert loaded.process.name == process and loaded.meta["sampler"] == sampler   # the checkpoint's own sampler
    out = tmp_path / "i.npy"
    assert cli_main(["sample", "--checkpoint", str(ckpt), "--n", "3", "--out", str(out), "--nfe", "9"]) == 0
    images = np.load(out)
    assert images.shape == (3, 1, 28, 28) and np.isfinite(images).all()


def test_images_refuse_the_ncsn_ladder_of_a_preset(few_images, tmp_path, capsys):
    assert cli_main(["train", "--data", str(few_images), "--schedule-preset", "ncsnv2-cifar10", "--steps", "1",
                     "--model", "tiny", "--out", str(tmp_path / "x.ckpt"), "--quiet"]) == 2
    assert "NCSN ladder" in _error_line(capsys)
