"""The velocity field against closed forms, the particles' trajectories and their NFE count, without Qt."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from fake_clock import FakeClock, run_for
from scoreviz.core.data import make_preset
from scoreviz.core.processes import make_process
from scoreviz.core.sampler_registry import sampler_entry
from scoreviz.core.sampler_runs import planned_nfe
from scoreviz.core.samplers import ScoreFunction
from scoreviz.lab import commands as cmd
from scoreviz.lab import data_specs
from scoreviz.lab import frames as fr
from scoreviz.lab.captions import field_caption
from scoreviz.lab.field import LiveField
from scoreviz.lab.particles import Particles
from scoreviz.lab.run_lengths import window_options
from scoreviz.lab.session import LabSession
from scoreviz.lab.trajectories import DEFAULT_COUNT, chosen_particles
from scoreviz.lab.velocity_field import second_moment
from scoreviz.names import FIELD_KINDS, VELOCITY_KINDS


@pytest.fixture(scope="module")
def mixture_data():
    return make_preset("8gaussians", n_train=2000)


def noised_mixture(mixture, alpha: float, std: float, x: np.ndarray):
    """Closed forms for x_t = αx₀ + sε with x₀ from the mixture: ∇log p_t(x) and E[x₀ | x_t = x], both (M, D)."""
    w, mu, cov = (m.numpy() for m in (mixture.weights, mixture.means, mixture.covs))
    d = mu.shape[1]
    c = alpha**2 * cov + std**2 * np.eye(d)                                   # (K, D, D) covariance of x_t
    prec = np.linalg.inv(c)
    diff = x[:, None, :] - alpha * mu[None]                                   # (M, K, D)
    pulled = np.einsum("kde,mke->mkd", prec, diff)
    logp = np.log(w)[None] - 0.5 * np.linalg.slogdet(c)[1][None] - 0.5 * (diff * pulled).sum(-1)
    r = np.exp(logp - logp.max(1, keepdims=True))
    r /= r.sum(1, keepdims=True)
    score = -(r[..., None] * pulled).sum(1)
    post = mu[None] + alpha * np.einsum("kde,mke->mkd", cov, pulled)          # E[x₀ | x, k]
    return score, (r[..., None] * post).sum(1)


def velocity_field(data, process_name: str, kind: str, sigma: float) -> tuple[LiveField, fr.FieldFrame]:
    field = LiveField()
    field.set_data(data, version=1)
    field.set_process(make_process(process_name, data.train))
    field.set_view((-4.0, 4.0, -3.0, 3.0))
    field.set_options(cmd.FieldOptions(kind=kind, grid_n=14, heat=True))
    field.set_sigma(sigma)
    return field, field.frame(lambda pts, s: None)


def test_the_velocity_kinds_are_field_kinds():
    assert set(VELOCITY_KINDS) <= set(FIELD_KINDS)


@pytest.mark.parametrize("sigma", [0.25, 1.0, 6.0])
def test_flow_velocity_is_the_closed_form_of_a_gaussian_mixture(mixture_data, sigma):
    field, f = velocity_field(mixture_data, "flow", "exact_velocity", sigma)
    t = sigma / (1 + sigma)                                                     # σ̃ = t/(1 − t)
    assert f.kind == "exact_velocity" and f.source == "exact" and f.bounded and f.t == pytest.approx(t)
    x = f.points.astype(np.float64)
    score, _ = noised_mixture(mixture_data.mixture, 1 - t, t, x)
    v = -(x + t * score) / (1 - t)                                              # v = −(x + t∇log p_t)/(1 − t)
    np.testing.assert_allclose(f.vectors, v, rtol=2e-4, atol=2e-4)
    # the colour: |v| on one scale at every t, r = √(m₂ + 1) (α' = −1, s' = 1)
    r = math.sqrt(second_moment(mixture_data.train) + 1)
    np.testing.assert_allclose(f.magnitude, np.linalg.norm(v, axis=1) / r, rtol=2e-4, atol=2e-4)
    assert f"t = {t:.2f}" in field_caption(f)


def test_ode_velocity_of_another_process_is_the_mean_conditional_velocity(mixture_data):
    """VP: dx/dt = f − ½g²s equals E[α'x₀ + s'ε | x_t], the closed form of a mixture."""
    field, f = velocity_field(mixture_data, "vp", "exact_velocity", 0.8)
    process = field.process
    t = f.t
    alpha, std = float(process.alpha(t)), float(process.std(t))
    beta = float(process.beta(t))
    d_alpha = -0.5 * beta * alpha
    d_std = -alpha * d_alpha / std
    x = f.points.astype(np.float64)
    _, x0 = noised_mixture(mixture_data.mixture, alpha, std, x)
    eps = (x - alpha * x0) / std
    np.testing.assert_allclose(f.vectors, d_alpha * x0 + d_std * eps, rtol=1e-3, atol=1e-3)


def test_learned_velocity_goes_through_the_conversion(mixture_data):
    """A "model" that learned the exact score gives the exact velocity; one that learned half of it does not."""
    field, exact = velocity_field(mixture_data, "flow", "exact_velocity", 1.0)
    field.set_options(cmd.FieldOptions(kind="velocity"))
    same = field.frame(lambda y, s: mixture_data.exact_score(y.double(), s))
    assert same.source == "learned" and same.rel_error == pytest.approx(0.0, abs=1e-6)
    np.testing.assert_allclose(same.vectors, exact.vectors, rtol=1e-4, atol=1e-4)
    half = field.frame(lambda y, s: 0.5 * mixture_data.exact_score(y.double(), s))
    assert half.rel_error > 0.05
    # without a model the velocity view draws the exact velocity
    assert field.frame(lambda y, s: None).source == "exact"


def test_the_heat_under_a_velocity_is_the_density_at_x_t(mixture_data):
    """log p_t(x_t) − max: the mixture noised as x_t = (1 − t)x₀ + tε, not as y = x₀ + σ̃ε."""
    field, f = velocity_field(mixture_data, "flow", "exact_velocity", 1.0)
    _, score = velocity_field(mixture_data, "flow", "exact", 1.0)
    assert not np.allclose(f.heat, score.heat)
    # the density of x_t = αy at x is that of y at x/α: its peak shrinks towards 0 by α = 1/2
    ys, xs = np.unravel_index(np.argmax(f.heat), f.heat.shape)
    ys2, xs2 = np.unravel_index(np.argmax(score.heat), score.heat.shape)
    centre = (np.array(f.heat.shape) - 1) / 2
    assert np.hypot(*(np.array([ys, xs]) - centre)) < np.hypot(*(np.array([ys2, xs2]) - centre))


# --- trajectories and NFE --------------------------------------------------------------------------------------

def released(sampler: str, n=100, nfe=41, seed=0) -> Particles:
    data = make_preset("8gaussians", n_train=500)
    process = make_process("flow" if sampler != "ddpm" else "vp", data.train)
    score = ScoreFunction(lambda y, s: data.exact_score(y, s).to(y.dtype), process)
    p = Particles(clock=FakeClock())
    p.release(fr.ParticleRequest(name=sampler, n=n, steps=nfe, seed=seed, source="exact"), score, dim=2,
              sigma=0.5, device=torch.device("cpu"), mixture=data.mixture)
    return p


def registry_nfe(sampler: str, nfe: int, process) -> int:
    from scoreviz.core.recipes.points import sampling_options

    options = sampling_options(sampler, process, nfe, **window_options(sampler_entry(sampler), 0.5))
    return planned_nfe(sampler, options)


@pytest.mark.parametrize("sampler", ["ode", "em", "pc", "annealed", "langevin", "ddpm"])
def test_trajectories_follow_the_chosen_particles_and_nfe_counts_every_evaluation(sampler):
    p = released(sampler)
    start = p.frame(0.5)
    assert start.trajectories.shape == (DEFAULT_COUNT, 1, 2) and start.nfe == 0
    np.testing.assert_array_equal(start.trajectories[:, 0], start.positions[start.trajectory_index])
    steps = 0
    while p.active:
        p.advance(1)
        steps += 1
        if steps == 5:
            mid = p.frame(0.5)
            assert mid.trajectories.shape[1] == 6 and 0 < mid.nfe < mid.nfe_total
    f = p.frame(0.5)
    assert f.finished
    assert f.trajectories.shape == (DEFAULT_COUNT, steps + 1, 2)            # the start and one point per step
    np.testing.assert_array_equal(f.trajectories[:, -1], f.positions[f.trajectory_index])
    np.testing.assert_array_equal(f.trajectories[:, 0], start.trajectories[:, 0])
    np.testing.assert_array_equal(f.trajectory_index, chosen_particles(100))
    # the evaluations counted are what the registry predicts for the run
    assert f.nfe == f.nfe_total == registry_nfe(sampler, 41, p.request and p._score.process)
    assert not f.trajectories.flags.writeable


def test_a_new_release_starts_new_trajectories_and_a_reset_drops_them():
    p = released("ode", nfe=201)
    p.advance(30)
    assert p.frame(0.5).trajectories.shape[1] == 31
    first_serial = p.frame(0.5).serial
    score = p._score.inner
    p.release(fr.ParticleRequest(name="em", n=50, steps=401, seed=1, source="exact"), score, dim=2, sigma=0.5,
              device=torch.device("cpu"))
    f = p.frame(0.5)
    assert f.serial != first_serial and f.trajectories.shape == (DEFAULT_COUNT, 1, 2) and f.nfe == 0
    p.advance(1000)                                # longer than the buffer's first rows: it grows
    f = p.frame(0.5)
    assert f.finished and f.trajectories.shape[1] == 400 + 1 + 1           # the start, 400 steps, the denoising
    np.testing.assert_array_equal(f.trajectories[:, -1], f.positions[f.trajectory_index])
    p.reset()
    assert p.frame(0.5).trajectories is None


def test_few_particles_keep_every_path():
    p = released("ode", n=5)
    assert p.frame(0.5).trajectories.shape[0] == 5


def test_the_session_sends_trajectories_and_nfe_with_every_particle_frame():
    out: list = []
    clock = FakeClock()
    session = LabSession(out.append, lambda level, text: None, clock=clock)
    session.handle(cmd.SetData(data_specs.preset_spec("8gaussians", n_train=400)))
    session.handle(cmd.Configure(process="flow"))
    session.handle(cmd.FieldOptions(kind="velocity"))
    session.handle(cmd.SetSpeed(0.0))
    session.handle(cmd.Release(fr.ParticleRequest(name="ode", n=80, steps=61, source="exact")))
    run_for(session, clock, 2.0, on_tick=lambda: any(isinstance(f, fr.ParticleFrame) and f.finished for f in out))
    frames = [f for f in out if isinstance(f, fr.ParticleFrame)]
    last = frames[-1]
    assert last.finished and last.nfe == last.nfe_total == 61                # 30 Heun steps · 2 + 1
    assert last.trajectories.shape == (DEFAULT_COUNT, 31 + 1, 2)             # 30 steps + the final denoising
    fields = [f for f in out if isinstance(f, fr.FieldFrame)]
    assert fields and fields[-1].kind == "velocity" and math.isfinite(fields[-1].t)
    session.close()
