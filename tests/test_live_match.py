"""The live recipe reaches the window's match on rings within a measured number of steps (deterministic: no clock),
and antithetic noise is what it says: pairs share x₀ and σ̃ and take ε and −ε; older configs load without it."""
from dataclasses import replace

import pytest
import torch

from scoreviz.bench.match import live_trainer, steps_to_match, window_dataset
from scoreviz.core import losses
from scoreviz.core.checkpoint import load_checkpoint, resume_trainer, save_checkpoint
from scoreviz.core.data import make_preset
from scoreviz.core.recipes.points import make_trainer
from scoreviz.lab.live_training import LIVE_TRAINING

#: Measured 780 steps (seed 0) with antithetic noise; the recipe before it took 1,310.
RINGS_STEPS = 1000



def test_the_live_recipe_matches_rings_within_the_measured_steps(one_torch_thread):
    assert LIVE_TRAINING["antithetic"]
    result = steps_to_match("rings", seed=0, check_every=20, max_steps=RINGS_STEPS)
    assert result["steps"] <= RINGS_STEPS, result


def test_without_antithetic_noise_rings_does_not_match_as_soon(one_torch_thread):
    result = steps_to_match("rings", seed=0, check_every=20, max_steps=RINGS_STEPS, antithetic=False)
    assert not result["steps"] <= RINGS_STEPS, result


def test_antithetic_pairs_share_x0_and_sigma_and_negate_the_noise(monkeypatch):
    seen = {}

    def spy(model, x0, sigma, generator=None, labels=None, antithetic=False, stable_target=False):
        y, eps = losses._noised(x0, sigma, generator, antithetic)
        seen.update(x0=x0, sigma=sigma, eps=eps, y=y)
        return losses.dsm_loss(model, x0, sigma, generator, labels, antithetic)

    trainer = live_trainer(window_dataset("moons"), batch_size=7)
    monkeypatch.setattr(trainer, "loss_fn", spy)
    trainer.step()
    x0, sigma, eps = seen["x0"], seen["sigma"], seen["eps"]
    assert x0.shape[0] == sigma.shape[0] == eps.shape[0] == 7
    assert torch.equal(x0[4:], x0[:3]) and torch.equal(sigma[4:], sigma[:3]) and torch.equal(eps[4:], -eps[:3])
    assert torch.equal(seen["y"], x0 + sigma[:, None] * eps)


def test_a_checkpoint_saved_before_antithetic_noise_resumes_without_it(tmp_path):
    ds = make_preset("gaussian")
    trainer = make_trainer(ds.train, device="cpu", steps=3, batch_size=16)
    trainer.train(3)
    path = tmp_path / "n.ckpt"
    save_checkpoint(path, trainer=trainer, data_name=ds.name, fingerprint=ds.fingerprint())
    payload = torch.load(path, weights_only=True)
    assert payload["train_config"]["antithetic"] is False
    del payload["train_config"]["antithetic"]
    torch.save(payload, tmp_path / "old.ckpt")
    resumed = resume_trainer(load_checkpoint(tmp_path / "old.ckpt", for_training=True), ds.train, device="cpu")
    assert resumed.config == replace(trainer.config, antithetic=False)
    resumed.train(2)
    assert resumed.step_count == 5


def test_the_stable_target_matches_rings_in_fewer_steps(one_torch_thread):
    """The stable target (core.losses) needs fewer steps than antithetic noise (measured 560 against 780, seed 0),
    at ~3 ms more a step on this CPU: fewer seconds on the slowest shapes only, so the live recipe keeps antithetic
    noise (README, Learn faster)."""
    result = steps_to_match("rings", seed=0, check_every=20, max_steps=650, antithetic=False, stable_target=True)
    assert result["steps"] <= 650, result
