"""Image training recipe, sampling, the classifier and the image CLI, with a tiny model on a few hundred images."""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import torch

from shared_mnist import require_shared_mnist
from scoreviz.cli import main as cli_main
from scoreviz.core.checkpoint import load_checkpoint
from scoreviz.core.processes import VESDE, process_from_config
from scoreviz.core.digit_classifier import DigitClassifier, recognisability
from scoreviz.core.recipes.images import (EDM_RHO, draw_images, image_process, image_training_noise,
                                          make_image_trainer)

pytestmark = pytest.mark.usefixtures("one_torch_thread")



@pytest.fixture(scope="module")
def small_mnist():
    from scoreviz.datasets.idx import load_image_dataset

    data = load_image_dataset(require_shared_mnist())
    return data.images[:300].clone(), data.labels[:300].clone()


@pytest.fixture
def npz_file(small_mnist, tmp_path):
    images, labels = small_mnist
    path = tmp_path / "digits.npz"
    np.savez(path, x=(images.numpy()[:, 0] * 255).round().astype(np.uint8), y=labels.numpy())
    return path


def test_image_process_schedules():
    p = VESDE(sigma_min=0.003, sigma_max=15.0, rho=EDM_RHO)
    noise = image_training_noise(0.31)
    times = p.sampling_times(10)
    assert times.shape == (11,) and float(times[0]) == pytest.approx(1.0) and float(times[-1]) == pytest.approx(0.0, abs=1e-6)
    assert torch.all(times[1:] < times[:-1])
    sigma = noise.sample_sigma(p, 20000, torch.Generator().manual_seed(0))
    expected_median = math.exp(-1.2 + math.log(2 * 0.31))
    assert float(sigma.median()) == pytest.approx(expected_median, rel=0.1)
    assert float(sigma.min()) >= 0.003 * 0.999 and float(sigma.max()) <= 15.0 * 1.001
    # the checkpoint stores the VE process with its ρ; one saved before ρ existed gets ρ = 7 back for sampling
    base = process_from_config(p.config())
    assert type(base) is VESDE and base.sigma_max == 15.0 and base.rho == EDM_RHO
    old = process_from_config({"name": "ve", "sigma_min": 0.003, "sigma_max": 15.0, "prior_mean": None})
    assert old.rho is None and image_process(old, 0.31) == p
    assert torch.equal(image_process(old).sampling_times(10), times)


def test_the_recipe_trains_as_the_old_image_ve_did():
    """The recipe's TrainingNoise and ρ = 7 VE give EDM's σ draw, weight and sampling times as ImageVE and
    edm_weighted did before (their formulas written out here)."""
    images = torch.rand(16, 1, 28, 28)
    trainer = make_image_trainer(images, model_size="tiny")
    sd = float(images.std())
    proc, noise = trainer.process, trainer.config.noise
    assert type(proc) is VESDE and proc.rho == 7.0 and noise.weighting == "edm"
    got = noise.sample_sigma(proc, 500, torch.Generator().manual_seed(3))
    log_sigma = -1.2 + math.log(2 * sd) + 1.2 * torch.randn(500, generator=torch.Generator().manual_seed(3))
    old = proc.noise_level(proc.time_of(log_sigma.exp().clamp(proc.sigma_min, proc.sigma_max)).float())
    assert torch.allclose(got, old, rtol=1e-5)
    sd2 = trainer.model.sigma_data ** 2
    assert torch.allclose(noise.weight(got, trainer.model.sigma_data), (got ** 2 + sd2) / sd2)
    i = torch.arange(41, dtype=torch.float64) / 40
    lo, hi = proc.sigma_min ** (1 / 7), proc.sigma_max ** (1 / 7)
    assert torch.equal(proc.sampling_times(40), proc.time_of((hi + i * (lo - hi)) ** 7).float())
    vp = make_image_trainer(images, model_size="tiny", process="vp")   # other processes: their own t, EDM weight
    assert vp.process.rho is None and vp.config.noise.distribution == "process" and vp.config.noise.weighting == "edm"
    assert make_image_trainer(images, model_size="tiny", loss="ssm").config.noise.weighting == "sigma2"


@pytest.mark.parametrize("size", ["tiny", "cpu"])   # a tiny U-Net, and the CPU default (the conv net)
def test_short_training_loss_falls(small_mnist, size):
    images, labels = small_mnist
    trainer = make_image_trainer(images, labels, model_size=size, steps=60, seed=0, batch_size=16)
    losses = []
    trainer.train(60, lambda s: losses.append(s.loss), every=1)
    assert trainer.step_count == 60
    assert np.mean(losses[-15:]) < 0.7 * np.mean(losses[:5])


def test_time_budget_plans_the_schedule(small_mnist):
    images, _ = small_mnist
    trainer = make_image_trainer(images, model_size="tiny", seed=0)
    config = replace(trainer.config)
    trainer.train(seconds=1.0, every=1)
    done = trainer.step_count
    assert done > 0 and trainer.planned_steps == pytest.approx(done, abs=3)
    assert trainer.learning_rate(trainer.step_count) < 0.2 * trainer.config.lr
    assert trainer.config == config   # the plan is the trainer's state, not its config


def test_a_run_keeps_its_early_model_for_autoguidance(small_mnist, tmp_path):
    images, _ = small_mnist
    trainer = make_image_trainer(images, model_size="tiny", seed=0, steps=40)   # the recipe's guide_fraction 0.3
    kept = {}
    trainer.train(40, every=1,
                  callback=lambda s: kept.setdefault("step", s.step) if trainer.guide is not None else None)
    assert kept["step"] == 12                       # frozen at 30 % of the run ...
    probe = torch.rand(4, 1, 28, 28)
    assert not torch.allclose(trainer.guide(probe, 0.5), trainer.ema(probe, 0.5))   # ... and not updated since
    from scoreviz.core.checkpoint import save_checkpoint

    save_checkpoint(tmp_path / "g.pt", trainer=trainer, data_name="x", fingerprint="", store_data=False)
    loaded = load_checkpoint(tmp_path / "g.pt")
    assert torch.allclose(loaded.guide(probe, 0.5), trainer.guide(probe, 0.5))
    guided = draw_images(loaded.model, loaded.process, 3, "ode", 3, seed=1, guide=loaded.guide, autoguidance=2.0)
    plain = draw_images(loaded.model, loaded.process, 3, "ode", 3, seed=1)
    assert guided.shape == plain.shape and not torch.equal(guided, plain)


def test_the_recipe_plans_its_guide_or_leaves_the_run_open():
    """A planned run freezes the guide at GUIDE_FRACTION of it; the live window's open-ended run has no planned
    length (constant learning rate) and takes its guide by doubling marks (Trainer.update_guide)."""
    from scoreviz.core.recipes.images import GUIDE_FRACTION, RECIPES

    images = torch.rand(8, 1, 28, 28)
    planned = make_image_trainer(images, model_size="tiny")
    assert planned.planned_steps == RECIPES["tiny"].steps and planned.config.guide_fraction == GUIDE_FRACTION
    live = make_image_trainer(images, model_size="tiny", open_ended=True)
    assert live.config.steps is None and live.planned_steps is None and live.config.guide_fraction == GUIDE_FRACTION
    assert live.learning_rate(10_000) == live.config.lr


@pytest.mark.parametrize("sampler,steps", [("ode", 4), ("em", 6), ("pc", 3), ("annealed", 1)])
def test_sampling_shapes_and_ranges(small_mnist, sampler, steps):
    images, labels = small_mnist
    trainer = make_image_trainer(images, labels, model_size="tiny", conditional=True, seed=0)
    trainer.train(5)
    out = draw_images(trainer.ema, trainer.process, 5, sampler, steps, seed=3,
                      labels=torch.full((5,), 7), guidance=1.5)
    assert out.shape == (5, 1, 28, 28) and out.dtype == torch.float32
    assert torch.isfinite(out).all() and float(out.min()) >= 0 and float(out.max()) <= 1
    raw = draw_images(trainer.ema, trainer.process, 3, sampler, steps, seed=3, clip=False)
    assert raw.shape == (3, 1, 28, 28) and torch.isfinite(raw).all()
    again = draw_images(trainer.ema, trainer.process, 3, sampler, steps, seed=3, clip=False)
    assert torch.equal(raw, again)  # seeded


def test_classifier_report_shape():
    torch.manual_seed(0)
    model = DigitClassifier()
    report = recognisability(model, torch.rand(50, 1, 28, 28), confidence=0.0)
    assert report.n == 50 and report.fraction == 1.0 and sum(report.histogram) == 50
    assert len(report.histogram) == 10 and 1 <= report.classes_present <= 10


def test_cli_round_trip(npz_file, tmp_path, capsys):
    ckpt, out, png = tmp_path / "m.pt", tmp_path / "d.npy", tmp_path / "g.png"
    assert cli_main(["train", "--data", str(npz_file), "--out", str(ckpt), "--steps", "20", "--model", "tiny",
                     "--device", "cpu", "--quiet", "--unconditional"]) == 0
    loaded = load_checkpoint(ckpt)
    assert loaded.meta["kind"] == "images" and loaded.meta["steps"] == 20 and loaded.data.numel() == 0
    assert cli_main(["sample", "--checkpoint", str(ckpt), "--n", "6", "--out", str(out), "--png", str(png),
                     "--steps", "3", "--device", "cpu"]) == 0
    x = np.load(out)
    assert x.shape == (6, 1, 28, 28) and x.dtype == np.float32 and x.min() >= 0 and x.max() <= 1
    from PIL import Image

    with Image.open(png) as grid:
        assert grid.size == (6 * 30 + 2, 30 + 2)  # one row of 6 tiles, 2-pixel padding
    assert loaded.guide is not None   # the early model for autoguidance, used by default when unconditional
    capsys.readouterr()
    assert cli_main(["sample", "--checkpoint", str(ckpt), "--n", "2", "--out", str(out), "--steps", "2",
                     "--autoguidance", "0.5"]) == 2
    assert "--autoguidance" in capsys.readouterr().err
    # --class needs a conditional model
    assert cli_main(["sample", "--checkpoint", str(ckpt), "--n", "2", "--out", str(out), "--class", "3"]) == 2
    assert "conditional" in capsys.readouterr().err


def test_cli_conditional_and_errors(npz_file, tmp_path, capsys):
    ckpt, out = tmp_path / "c.pt", tmp_path / "c.npy"
    # the default size (the conv net) through a checkpoint, class-conditional
    assert cli_main(["train", "--data", str(npz_file), "--out", str(ckpt), "--steps", "10",
                     "--device", "cpu", "--conditional", "--quiet"]) == 0
    assert load_checkpoint(ckpt).net_config.kind == "convnet"
    assert cli_main(["sample", "--checkpoint", str(ckpt), "--n", "3", "--out", str(out), "--class", "3",
                     "--guidance", "2", "--steps", "2", "--sampler", "em", "--device", "cpu"]) == 0
    assert np.load(out).shape == (3, 1, 28, 28)
    assert cli_main(["sample", "--checkpoint", str(ckpt), "--n", "3", "--out", str(out), "--class", "12"]) == 2
    capsys.readouterr()
    missing = tmp_path / "nowhere"
    assert cli_main(["train", "--data", f"mnist:{missing}", "--out", str(ckpt), "--steps", "1", "--quiet"]) == 2
    assert str(missing) in capsys.readouterr().err
    assert cli_main(["train", "--data", "mnist", "--out", str(ckpt), "--steps", "1", "--model", "huge",
                     "--quiet"]) == 2


def test_textbook_image_reference_runs_and_has_the_tutorials_noise():
    """The yardstick of the CPU goal (scoreviz/bench/textbook_images.py): its s(t) is the VE SDE's, it has
    ~0.35 M parameters as the issue describes, and a few steps train and sample images in [0, 1]."""
    from scoreviz.bench import textbook_images as tb

    t = torch.tensor([0.0, 0.5, 1.0])
    expected = torch.sqrt((25.0 ** (2 * t) - 1) / (2 * math.log(25.0)))
    assert torch.allclose(tb.marginal_std(t), expected)
    model, done = tb.train(torch.rand(40, 1, 28, 28), steps=3)
    assert done == 3 and 0.3e6 < sum(p.numel() for p in model.parameters()) < 0.4e6
    out = tb.sample(model, 2, steps=4)
    assert out.shape == (2, 1, 28, 28) and float(out.min()) >= 0 and float(out.max()) <= 1


def test_cli_image_schedule_options(npz_file, tmp_path, capsys):
    """Schedule options on images start from the recipe's (log-normal σ, EDM weight, ρ = 7) and change what is given."""
    ckpt = tmp_path / "s.pt"
    assert cli_main(["train", "--data", str(npz_file), "--out", str(ckpt), "--steps", "3", "--model", "tiny",
                     "--device", "cpu", "--quiet", "--unconditional", "--weighting", "min_snr", "--rho", "5",
                     "--sigma-max", "20"]) == 0
    loaded = load_checkpoint(ckpt)
    assert loaded.process.rho == 5.0 and loaded.process.sigma_max == 20.0
    assert loaded.noise.distribution == "log_normal" and loaded.noise.weighting == "min_snr"
    assert cli_main(["train", "--data", str(npz_file), "--out", str(ckpt), "--steps", "3", "--model", "tiny",
                     "--device", "cpu", "--quiet", "--process", "cosine", "--p-mean", "0"]) == 2
    assert "--p-mean and --p-std apply to --noise-dist log_normal" in capsys.readouterr().err


@pytest.fixture
def random_labelled_npz(tmp_path):
    """100 random 28×28 images with labels 0–9 (ten of each): enough for the tiny model's plumbing."""
    rng = np.random.default_rng(0)
    path = tmp_path / "random.npz"
    np.savez(path, x=rng.integers(0, 256, (100, 28, 28), dtype=np.uint8), y=np.arange(100) % 10)
    return path


def test_sampling_a_conditional_model_draws_every_class_like_the_window(random_labelled_npz, tmp_path, capsys):
    """Without --class: labels i mod 10 with guidance 2 (the window's default), a grid with one class per
    column; --unconditional: the no-label branch with autoguidance."""
    ckpt, out, one, png = tmp_path / "c.pt", tmp_path / "even.npy", tmp_path / "one.npy", tmp_path / "g.png"
    assert cli_main(["train", "--data", str(random_labelled_npz), "--out", str(ckpt), "--steps", "8", "--model",
                     "tiny", "--device", "cpu", "--quiet"]) == 0   # labelled data: class-conditional by default
    loaded = load_checkpoint(ckpt)
    assert loaded.net_config.num_classes == 10 and loaded.guide is not None
    capsys.readouterr()
    common = ["--checkpoint", str(ckpt), "--n", "20", "--steps", "3", "--sampler", "ode", "--device", "cpu"]
    assert cli_main(["sample", *common, "--out", str(out), "--png", str(png)]) == 0
    assert "(10 classes evenly, guidance 2; ode," in capsys.readouterr().err
    even = np.load(out)
    for k in (0, 3, 9):   # image i is class i mod 10: the same draw as --class k at those places
        assert cli_main(["sample", *common, "--out", str(one), "--class", str(k), "--guidance", "2"]) == 0
        drawn = np.load(one)
        np.testing.assert_allclose(even[[k, k + 10]], drawn[[k, k + 10]], atol=1e-5)
        assert not np.allclose(even[(k + 1) % 10], drawn[(k + 1) % 10], atol=1e-5)
    from PIL import Image

    with Image.open(png) as grid:
        assert grid.size == (10 * 30 + 2, 2 * 30 + 2)   # 10 columns (one per class), 2 rows
    capsys.readouterr()
    assert cli_main(["sample", *common, "--out", str(one), "--unconditional"]) == 0
    assert "(no label, autoguidance 3; ode, 7 network evaluations)" in capsys.readouterr().err
    expected = draw_images(loaded.model, loaded.process, 20, "ode", 3, seed=0, guide=loaded.guide, autoguidance=3.0)
    np.testing.assert_allclose(np.load(one), expected.numpy(), atol=1e-5)
    assert cli_main(["sample", *common, "--out", str(one), "--unconditional", "--class", "2"]) == 2
    assert cli_main(["sample", *common, "--out", str(one), "--unconditional", "--guidance", "1"]) == 2
    assert "not to --unconditional" in capsys.readouterr().err


def test_an_image_run_resumes_on_its_data_and_refuses_others(random_labelled_npz, tmp_path, capsys):
    a, b = tmp_path / "a.pt", tmp_path / "b.pt"
    assert cli_main(["train", "--data", str(random_labelled_npz), "--out", str(a), "--steps", "6", "--model",
                     "tiny", "--device", "cpu", "--quiet"]) == 0
    assert cli_main(["train", "--resume", str(a), "--out", str(b), "--steps", "4", "--device", "cpu",
                     "--quiet"]) == 0
    resumed = load_checkpoint(b)
    assert resumed.meta["steps"] == 10 and resumed.meta["kind"] == "images" and resumed.net_config.num_classes == 10
    assert resumed.guide is not None and torch.equal(resumed.guide.backbone.conv_in.weight,
                                                     load_checkpoint(a).guide.backbone.conv_in.weight)
    other = tmp_path / "other.npz"
    np.savez(other, x=np.zeros((100, 28, 28), np.uint8), y=np.arange(100) % 10)
    capsys.readouterr()
    assert cli_main(["train", "--resume", str(a), "--data", str(other), "--out", str(b), "--steps", "2",
                     "--quiet"]) == 2
    assert "is not the data" in capsys.readouterr().err
