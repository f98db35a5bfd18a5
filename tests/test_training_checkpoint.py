"""Training (quality reached, divergence guarded), checkpoints (round trip, corruption), likelihood."""
import os
import pickle
import random
from dataclasses import replace

import pytest
import torch

from fake_clock import FakeClock, costing
from scoreviz.core.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from scoreviz.core.data import make_preset
from scoreviz.core.likelihood import log_likelihood
from scoreviz.core.metrics import mode_weights, sliced_wasserstein
from scoreviz.core.mixture import GaussianMixture
from scoreviz.core.schedule.training_noise import TrainingNoise
from scoreviz.core.processes import make_process
from scoreviz.core.recipes.points import draw_samples, make_trainer
from scoreviz.core.samplers import ScoreFunction
from scoreviz.core.training import TrainConfig, TrainingDiverged


@pytest.fixture(scope="module")
def trained_8gaussians():
    ds = make_preset("8gaussians", n_heldout=3000)
    trainer = make_trainer(ds.train, device="cpu", steps=800, batch_size=512)
    trainer.train()
    return ds, trainer


def test_short_training_reaches_quality(trained_8gaussians):
    """800 steps: samples near the data (SW within 2× of the floor) and all eight modes with about 1/8 each."""
    ds, trainer = trained_8gaussians
    samples = draw_samples(trainer.ema, trainer.process, 3000, "em", 100, seed=0)
    other = make_preset("8gaussians", n_train=3000, seed=5).train
    gen = lambda: torch.Generator().manual_seed(0)  # noqa: E731
    floor = sliced_wasserstein(other, ds.heldout, 128, gen())
    assert sliced_wasserstein(samples, ds.heldout, 128, gen()) < 2.0 * floor
    weights = mode_weights(samples, ds.mixture)
    assert torch.allclose(weights, torch.full((8,), 1 / 8, dtype=weights.dtype), atol=0.04)


def test_loss_per_noise_level_is_reported(trained_8gaussians):
    _, trainer = trained_8gaussians
    stats = trainer.stats()
    assert stats.level_edges.shape == (stats.level_losses.shape[0] + 1,)
    assert (stats.level_losses[~torch.isnan(torch.tensor(stats.level_losses)).numpy()] >= 0).all()
    assert stats.step == 800 and len(stats.loss_history) == 800


def test_divergence_stops_with_a_message_and_keeps_good_weights(monkeypatch):
    ds = make_preset("gaussian")
    trainer = make_trainer(ds.train, device="cpu", steps=200, batch_size=64)
    trainer.train(150)
    good = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    good_step = trainer.step_count - trainer.step_count % trainer.config.snapshot_every
    real_loss = trainer.loss_fn
    monkeypatch.setattr(trainer, "loss_fn", lambda *a, **k: real_loss(*a, **k) * float("nan"))
    with pytest.raises(TrainingDiverged, match="diverged"):
        trainer.step()
    assert trainer.step_count == good_step
    assert all(torch.isfinite(v).all() for v in trainer.model.state_dict().values())
    assert all(torch.isfinite(p).all() for p in trainer.ema.parameters())
    if good_step == 150:
        assert all(torch.equal(good[k], v) for k, v in trainer.model.state_dict().items())


def test_checkpoint_round_trip(tmp_path, trained_8gaussians):
    ds, trainer = trained_8gaussians
    path = tmp_path / "m.ckpt"
    save_checkpoint(path, trainer=trainer, data_name=ds.name, fingerprint=ds.fingerprint(), meta={"data_spec": "x"})
    ckpt = load_checkpoint(path)
    y = torch.randn(20, 2)
    assert torch.allclose(ckpt.model.score(y, 0.3), trainer.ema.score(y, 0.3))
    assert ckpt.process == trainer.process and ckpt.fingerprint == ds.fingerprint()
    assert torch.equal(ckpt.data, ds.train) and ckpt.meta["data_spec"] == "x" and ckpt.meta["steps"] == 800
    assert not (tmp_path / "m.ckpt.part").exists()


def _bad_files(tmp_path, good_path):
    raw = good_path.read_bytes()
    (tmp_path / "truncated.ckpt").write_bytes(raw[: len(raw) // 2])
    (tmp_path / "garbage.ckpt").write_bytes(random.Random(0).randbytes(2000))
    for seed in range(1, 30):  # random bytes fail the unpickler in many different ways; all must be caught
        (tmp_path / f"garbage{seed}.ckpt").write_bytes(random.Random(seed).randbytes(300 + 50 * seed))
    (tmp_path / "empty.ckpt").write_bytes(b"")
    torch.save({"weights": torch.zeros(3)}, tmp_path / "foreign.ckpt")
    payload = torch.load(good_path, weights_only=True)
    torch.save({**payload, "version": 99}, tmp_path / "future.ckpt")
    torch.save({**payload, "ema": {"nonsense": torch.zeros(1)}}, tmp_path / "inconsistent.ckpt")
    return ["truncated", "garbage", "empty", "foreign", "future", "inconsistent", "missing"]


class _Exploit:
    def __reduce__(self):
        return (os.system, ("touch pwned_by_checkpoint",))


def test_bad_checkpoints_give_clear_errors_and_never_run_code(tmp_path, trained_8gaussians, monkeypatch):
    ds, trainer = trained_8gaussians
    good = tmp_path / "good.ckpt"
    save_checkpoint(good, trainer=trainer, data_name=ds.name, fingerprint=ds.fingerprint())
    for name in _bad_files(tmp_path, good) + [f"garbage{seed}" for seed in range(1, 30)]:
        with pytest.raises(CheckpointError, match=name + ".ckpt"):
            load_checkpoint(tmp_path / f"{name}.ckpt")
    monkeypatch.chdir(tmp_path)
    with open(tmp_path / "exploit.ckpt", "wb") as f:
        pickle.dump({"format": "scoreviz-checkpoint", "x": _Exploit()}, f)
    with pytest.raises(CheckpointError, match="exploit.ckpt"):
        load_checkpoint(tmp_path / "exploit.ckpt")
    assert not (tmp_path / "pwned_by_checkpoint").exists()


@pytest.mark.parametrize("process_name", ["ve", "vp"])
def test_probability_flow_likelihood_matches_closed_form(process_name):
    g = GaussianMixture.isotropic([0.6, 0.4], [[1.0, 0.0], [-1.0, 0.5]], 0.5)
    process = make_process(process_name, g.sample(1000, torch.Generator().manual_seed(0)))
    x = g.sample(6, torch.Generator().manual_seed(1)).double()
    ll = log_likelihood(ScoreFunction(lambda y, s: g.score(y, s), process), x, steps=60)
    expected = g.log_prob(x, float(process.noise_level(process.t_min)))
    assert torch.allclose(ll, expected, atol=0.03)


def test_a_time_budget_plans_the_schedule_on_the_measured_rate():
    ds = make_preset("gaussian")
    capped = make_trainer(ds.train, device="cpu", batch_size=32)
    capped.train(70, seconds=60.0)
    assert capped.step_count == capped.planned_steps == 70
    timed = make_trainer(ds.train, device="cpu", batch_size=32)
    config = replace(timed.config)
    clock = FakeClock()
    timed.step = costing(clock, 1 / 64, timed.step)           # 1/64 s a step (exact in binary) on the run's clock
    timed.train(10**6, seconds=0.5, clock=clock)
    assert timed.step_count == timed.planned_steps == 32      # as many steps as fit in the time, and the plan
    assert timed.seconds == pytest.approx(0.5)
    assert timed.config == config and timed.config.steps == 4000   # the plan lives in the trainer, not its config
    # the cosine decay has run its course: the last learning rate is the final fraction of the peak
    c, k = timed.config, timed.step_count
    warm = min(1.0, (k + 1) / c.warmup)
    assert timed.learning_rate(k) == pytest.approx(c.lr * warm * c.final_lr_fraction, rel=1e-6)


def _guided_trainer(steps):
    """A small MLP trainer with the autoguidance policy on (TrainConfig.guide_fraction)."""
    ds = make_preset("gaussian")
    return make_trainer(ds.train, device="cpu", batch_size=16, steps=steps, guide_fraction=0.3)


def test_a_planned_run_freezes_its_guide_at_the_fraction():
    trainer = _guided_trainer(50)
    for _ in range(15):
        trainer.step()
        assert (trainer.guide is None) == (trainer.step_count < 15)   # 30 % of 50 steps
    frozen = [p.clone() for p in trainer.guide.parameters()]
    trainer.train(35)
    assert all(torch.equal(a, b) for a, b in zip(frozen, trainer.guide.parameters()))   # kept, not updated
    assert not all(torch.equal(a, b) for a, b in zip(frozen, trainer.ema.parameters()))
    assert make_trainer(make_preset("gaussian").train, device="cpu", steps=5).config.guide_fraction is None


def test_an_open_ended_run_guides_with_an_ema_from_a_quarter_to_half_the_run_ago():
    from scoreviz.core.training import GUIDE_FIRST_MARK

    trainer = _guided_trainer(None)
    probe = torch.randn(8, 2)
    snapshots = {}
    for _ in range(2 * GUIDE_FIRST_MARK):
        trainer.step()
        if trainer.step_count in (GUIDE_FIRST_MARK, 2 * GUIDE_FIRST_MARK):
            snapshots[trainer.step_count] = trainer.ema(probe, 0.5).detach().clone()
        if trainer.step_count < 2 * GUIDE_FIRST_MARK:
            assert trainer.guide is None
    assert trainer.guide is not None and trainer.planned_steps is None
    assert torch.equal(trainer.guide(probe, 0.5), snapshots[GUIDE_FIRST_MARK])   # the copy from step 200
    assert not torch.equal(trainer.guide(probe, 0.5), snapshots[2 * GUIDE_FIRST_MARK])


# --- the training noise: σ̃ distribution and loss weighting ----------------------------------------------------------

def test_the_trainer_draws_and_weights_by_its_training_noise():
    """Each step draws σ̃ from config.noise and its loss is the mean of w(σ̃)·ℓ; the per-level statistics keep the
    unweighted loss ℓ."""
    noise = TrainingNoise("log_normal", p_mean=0.3, p_std=0.5, weighting="min_snr", min_snr_gamma=2.0)
    trainer = make_trainer(make_preset("gaussian").train, device="cpu", steps=5, batch_size=64, noise=noise)
    assert trainer.noise is noise and trainer.config.noise is noise and trainer.config.n_loss_bins == 32
    seen = []

    def loss_fn(model, x0, sigma, generator=None, labels=None):
        seen.append(sigma.clone())
        return 0.0 * model(x0, sigma).flatten(1).mean(1) + sigma   # ℓ(σ̃) = σ̃, differentiable
    trainer.loss_fn = loss_fn
    expected = noise.sample_sigma(trainer.process, 64, torch.Generator().manual_seed(7))
    trainer.generator.manual_seed(7)
    trainer._batch = lambda: (trainer.data[:64], None)   # leave the generator to the σ̃ draw
    loss = trainer.step()
    assert torch.equal(seen[0], expected)
    assert loss == pytest.approx(float((expected * noise.weight(expected, trainer.model.sigma_data)).mean()), rel=1e-6)
    stats = trainer.stats()
    visited = ~torch.isnan(torch.tensor(stats.level_losses))
    assert stats.level_edges.shape == (33,) and visited.any()
    lo, hi = torch.tensor(stats.level_edges[:-1])[visited], torch.tensor(stats.level_edges[1:])[visited]
    level = torch.tensor(stats.level_losses)[visited]   # the mean unweighted ℓ = σ̃ in each bin: inside the bin
    assert torch.all((level >= lo * 0.999) & (level <= hi * 1.001))


def test_train_config_reads_a_saved_noise_config():
    config = TrainConfig(noise={"distribution": "log_uniform", "weighting": "edm"})
    assert config.noise == TrainingNoise("log_uniform", weighting="edm")
    with pytest.raises(ValueError, match="unknown loss weighting"):
        TrainConfig(noise=dict(weighting="nope"))


def test_checkpoint_keeps_the_schedule_and_the_training_noise(tmp_path):
    ds = make_preset("gaussian")
    noise = TrainingNoise("log_normal", p_mean=-0.5, p_std=0.8, weighting="edm")
    trainer = make_trainer(ds.train, "ncsn", device="cpu", steps=3, batch_size=16, noise=noise,
                           process_overrides=dict(sigma_max=5.0, n_levels=8, rho=3.0))
    trainer.train(3)
    path = tmp_path / "n.ckpt"
    save_checkpoint(path, trainer=trainer, data_name=ds.name, fingerprint=ds.fingerprint())
    ckpt = load_checkpoint(path)
    assert ckpt.noise == noise and ckpt.process == trainer.process
    assert (ckpt.process.sigma_max, ckpt.process.n_levels, ckpt.process.rho) == (5.0, 8, 3.0)
    # a checkpoint from before the training noise and ρ were recorded loads with the defaults
    payload = torch.load(path, weights_only=True)
    del payload["noise"], payload["process"]["rho"]
    torch.save(payload, tmp_path / "old.ckpt")
    old = load_checkpoint(tmp_path / "old.ckpt")
    assert old.noise == TrainingNoise() and old.process == replace(trainer.process, rho=None)
    torch.save({**payload, "noise": {"distribution": "nope"}}, tmp_path / "badnoise.ckpt")
    with pytest.raises(CheckpointError, match="badnoise.ckpt"):
        load_checkpoint(tmp_path / "badnoise.ckpt")
