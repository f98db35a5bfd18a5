"""The 2-D lab's Qt-free classes, driven directly: the field against the exact score, particles advanced by a
budget, live training's time to match, and the session's commands and frames."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from fake_clock import FakeClock, charge_sampling, charge_training, costing, run_for
from scoreviz.core.data import make_preset
from scoreviz.core.processes import make_process
from scoreviz.core.samplers import ScoreFunction
from scoreviz.lab import commands as cmd
from scoreviz.lab import data_specs
from scoreviz.lab import frames as fr
from scoreviz.lab.field import LiveField
from scoreviz.lab.frame_pacing import EARLY_S, LATE_SHARE, ONE_STEP, SAMPLER_SHARE, STARVATION_S, FramePacer
from scoreviz.lab.live_training import LiveTraining, downsample
from scoreviz.lab.particles import MAX_CATCH_UP, Particles
from scoreviz.lab.session import LabSession
from scoreviz.names import MATCH_THRESHOLD

# the "gaussian" preset is N(μ, diag(1, 0.36)): its noised score is −(x − μ)/(diag + σ²) in closed form
MU = np.array([1.0, -0.5])
VAR = np.array([1.0, 0.36])


def gaussian_score(points: np.ndarray, sigma: float) -> np.ndarray:
    return -(points - MU) / (VAR + sigma**2)


def no_model(_pts, _sigma):
    return None


@pytest.fixture
def gaussian():
    return make_preset("gaussian", n_train=2000)


def test_field_vectors_are_sigma_times_the_exact_score(gaussian):
    field = LiveField()
    field.set_data(gaussian, version=1)
    field.set_view((-2.0, 4.0, -3.0, 2.0))
    field.set_options(cmd.FieldOptions(kind="exact", grid_n=12, heat=True))
    field.set_sigma(0.7)
    f = field.frame(no_model)
    assert isinstance(f, fr.FieldFrame) and f.source == "exact" and f.bounded
    assert f.points.shape[1] == 2 and f.points.shape[0] % 12 == 0 and f.points.shape[0] >= 12 * 8   # 12 across
    expected = 0.7 * gaussian_score(f.points.astype(np.float64), 0.7)
    np.testing.assert_allclose(f.vectors, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(f.magnitude, np.linalg.norm(expected, axis=1), rtol=1e-5, atol=1e-5)
    assert math.isnan(f.rel_error)
    # the heat map is log p_σ − max: 0 at the mode, lower away from it
    assert f.heat.max() == pytest.approx(0.0) and f.heat.min() < -3


def test_field_difference_and_denoiser_views_follow_the_learned_score(gaussian):
    field = LiveField()
    field.set_data(gaussian, version=1)
    field.set_view((-2.0, 4.0, -3.0, 2.0))
    sigma = 0.5
    field.set_sigma(sigma)

    def half_exact(pts, s):      # a "model" that learned half the score
        return torch.from_numpy(0.5 * gaussian_score(pts.double().numpy(), s))

    field.set_options(cmd.FieldOptions(kind="difference", grid_n=10, heat=False))
    diff = field.frame(half_exact)
    exact = sigma * gaussian_score(diff.points.astype(np.float64), sigma)
    np.testing.assert_allclose(diff.vectors, -0.5 * exact, rtol=1e-5, atol=1e-5)
    assert diff.heat is None and diff.rel_error == pytest.approx(0.5, abs=1e-6)
    field.set_options(cmd.FieldOptions(kind="denoiser"))
    den = field.frame(half_exact)
    assert not den.bounded and den.source == "learned"
    np.testing.assert_allclose(den.vectors, sigma * 0.5 * exact, rtol=1e-5, atol=1e-5)   # σ²·s_learned


def test_field_rejects_a_degenerate_view_and_clamps_sigma():
    field = LiveField()
    assert not field.set_view((1.0, 1.0, 0.0, 1.0)) and not field.set_view((0.0, math.nan, 0.0, 1.0))
    field.set_sigma(50.0)
    field.clamp_sigma(0.01, 10.0)
    assert field.sigma == pytest.approx(math.sqrt(0.01 * 10.0))


def test_particles_advance_by_a_budget_and_end(gaussian):
    process = make_process("ve", gaussian.train)
    score = ScoreFunction(lambda y, s: gaussian.exact_score(y, s), process)
    particles = Particles()
    request = fr.ParticleRequest(name="em", n=400, steps=51, source="exact", seed=3)   # NFE: 50 steps + 1
    particles.release(request, score, dim=2, sigma=0.5, device=torch.device("cpu"))
    assert particles.running and particles.active and particles.frame(0.5).step == 0
    assert particles.advance(10) is None
    assert particles.step.index == 10 and particles.active
    particles.advance(10**6)                     # to the end (50 steps + the final denoising step)
    f = particles.frame(0.5)
    assert f.finished and not f.running and f.step == f.total == 51
    # the reverse SDE with the exact score reproduces the Gaussian's moments
    assert np.allclose(f.positions.mean(0), MU, atol=0.15)
    assert np.allclose(f.positions.var(0), VAR, rtol=0.25)
    # speed 0: as many steps as the time budget allows, at least one
    particles.release(request, score, dim=2, sigma=0.5, device=torch.device("cpu"))
    particles.set_speed(0)
    particles.advance_due(budget=0.0)
    assert particles.step.index >= 1


def test_particles_at_a_speed_take_the_steps_that_are_due(gaussian):
    process = make_process("ve", gaussian.train)
    score = ScoreFunction(lambda y, s: gaussian.exact_score(y, s), process)
    clock = FakeClock()
    particles = Particles(clock)
    particles.set_speed(100.0)
    particles.release(fr.ParticleRequest(name="em", n=50, steps=1000), score, dim=2, sigma=0.5,
                      device=torch.device("cpu"))
    clock.advance(0.105)
    particles.advance_due(budget=1.0)
    assert particles.step.index == 10            # 10.5 steps owed after 0.105 s at 100 steps/s: the half carries
    clock.advance(0.005)
    particles.advance_due(budget=1.0)
    assert particles.step.index == 11
    clock.advance(10.0)                          # after a stall at most MAX_CATCH_UP of steps are owed
    particles.advance_due(budget=1.0)
    assert particles.step.index == 11 + int(100 * MAX_CATCH_UP + 1)
    slow = costing(clock, 0.01, score.ve_score)  # steps of 10 ms against a 25 ms budget: three fit
    particles.release(fr.ParticleRequest(name="em", n=50, steps=1000), ScoreFunction(slow, process), dim=2,
                      sigma=0.5, device=torch.device("cpu"))
    clock.advance(1.0)
    particles.advance_due(budget=0.025)
    assert particles.step.index == 3 and particles.step_cost.seconds == pytest.approx(0.01)


def test_diverging_particles_stop_with_a_message(gaussian):
    process = make_process("ve", gaussian.train)
    nan_score = ScoreFunction(lambda y, s: torch.full_like(y, math.nan), process)
    particles = Particles()
    particles.release(fr.ParticleRequest(name="em", n=20, steps=30), nan_score, dim=2, sigma=0.5,
                      device=torch.device("cpu"))
    message = particles.advance(5)
    assert message and "diverged" in message
    assert not particles.active and particles.step is None    # positions stay the last finite ones (the start)
    assert np.isfinite(particles.frame(0.5).positions).all()


def test_particles_from_a_point_and_ddpm_needs_vp(gaussian):
    process = make_process("ve", gaussian.train)
    score = ScoreFunction(lambda y, s: gaussian.exact_score(y, s), process)
    particles = Particles()
    particles.release(fr.ParticleRequest(name="langevin", n=100, steps=10, origin=(3.0, 2.0)), score, dim=2,
                      sigma=0.05, device=torch.device("cpu"), data_std=1.0)
    assert np.allclose(particles.x.mean(0).numpy(), [3.0, 2.0], atol=0.01)
    with pytest.raises(ValueError, match="VP"):
        particles.release(fr.ParticleRequest(name="ddpm", n=10, steps=10), score, dim=2, sigma=0.5,
                          device=torch.device("cpu"))


def test_live_training_reaches_the_match_threshold(gaussian, one_torch_thread):
    clock = FakeClock()
    training = LiveTraining(clock)
    training.configure(cmd.Configure(process="ve", batch_size=256))
    process = make_process("ve", gaussian.train)
    training.start(gaussian, process)
    assert training.running and training.trainer is not None
    charge_training(training, clock, 0.01)
    for _ in range(2000):
        assert training.train_for(0.05) is None
        training.measure_match(gaussian, version=1)
        if not math.isnan(training.time_to_match):
            break
    assert training.mid_error <= MATCH_THRESHOLD
    # the time to match is the training time on the clock: 10 ms for each step taken by then
    assert training.time_to_match == pytest.approx(0.01 * training.trainer.step_count)
    frame = training.frame(training.mid_sigma())
    assert frame.step == training.trainer.step_count and frame.time_to_match == training.time_to_match
    training.pause()
    seconds = training.seconds()
    clock.advance(5.0)
    assert not training.running and training.seconds() == seconds     # pauses do not count
    training.start(gaussian, process)
    clock.advance(1.0)
    assert training.seconds() == pytest.approx(seconds + 1.0)


def test_downsampled_history_keeps_the_newest_steps():
    values, steps = downsample(np.arange(10.0), 4)
    assert len(values) <= 4 and steps[-1] == 10
    np.testing.assert_allclose(values[-1], np.mean([7.0, 8.0, 9.0]))


def test_session_commands_and_frames_without_qt():
    out, said = [], []
    clock = FakeClock()
    session = LabSession(out.append, lambda level, text: said.append((level, text)), clock)
    session.handle(cmd.Release(fr.ParticleRequest(name="em", n=10, steps=10)))
    assert said and said[-1][0] == "warning"                      # nothing to sample yet
    session.handle(cmd.SetData(data_specs.stamped(data_specs.preset_spec("8gaussians", 500), 1, True)))
    session.handle(cmd.FieldOptions(kind="exact", grid_n=8, heat=False))
    for _ in range(3):
        session.tick()
    process = [f for f in out if isinstance(f, fr.ProcessFrame)]
    fields = [f for f in out if isinstance(f, fr.FieldFrame)]
    assert process and process[-1].data_version == 1 and math.isfinite(process[-1].sigma)
    assert fields and fields[-1].data_version == 1
    session.handle(cmd.SetSpeed(0))
    session.handle(cmd.Release(fr.ParticleRequest(name="ode", n=200, steps=20, source="learned")))
    assert said[-1] == ("info", "No model trained yet: the particles follow the exact score.")

    def finished():
        return [f for f in out if isinstance(f, fr.ParticleFrame) and f.finished]
    run_for(session, clock, 5.0, on_tick=finished)
    final = finished()[-1]
    assert final.labels is not None and len(final.true_weights) == 8
    assert 0.5 * np.abs(final.mode_weights - final.true_weights).sum() < 0.1
    session.handle(cmd.Release(fr.ParticleRequest(name="ddpm", n=10, steps=10)))    # VE: reported, nothing raised
    assert said[-1][0] in ("warning", "error") and "VP" in said[-1][1]


def test_the_particle_frame_rate_can_be_raised_for_presentations():
    out = []
    clock = FakeClock()
    session = LabSession(out.append, lambda *_: None, clock)
    session.handle(cmd.SetData(data_specs.stamped(data_specs.preset_spec("8gaussians", 500), 1, True)))
    session.tick()
    session.handle(cmd.SetSpeed(0))
    charge_sampling(session, clock, 0.001)
    session.handle(cmd.Release(fr.ParticleRequest(name="em", n=100, steps=100000, source="exact")))
    for fps, expected in ((None, 30), (60, 60)):
        session.handle(cmd.SetFrameRate(fps))
        run_for(session, clock, 0.1)
        out.clear()
        run_for(session, clock, 1.0)
        frames = sum(isinstance(f, fr.ParticleFrame) for f in out)
        assert abs(frames - expected) <= 1, (fps, frames)


def test_frames_keep_a_beat_and_training_fits_between_them():
    """The pacer's clock is explicit, so this runs without timing: a frame sent late does not push the next one
    back (the beat stays), a stall longer than an interval restarts the beat, and training may start steps only
    until the sampler's share before the next beat (plus the allowed lateness), with one step guaranteed every
    STARVATION_S."""
    pacer = FramePacer(0.1)
    assert pacer.due(0.0)
    pacer.sent(0.0)
    assert pacer.next_at == pytest.approx(0.1)
    assert not pacer.due(0.05) and pacer.due(0.1 - EARLY_S)
    pacer.sent(0.13)                                    # 30 ms late: the next one is still due at 0.2
    assert pacer.next_at == pytest.approx(0.2)
    pacer.sent(0.45)                                    # a stall: a new beat from 0.45
    assert pacer.next_at == pytest.approx(0.55)
    end, min_steps = pacer.training_deadline(0.46, sampler_cost=0.03)
    assert end == pytest.approx(0.55 + LATE_SHARE * 0.1 - 0.03) and min_steps == 1
    pacer.trained_at = 0.46
    assert pacer.training_deadline(0.46, sampler_cost=0.03)[1] == 0
    assert pacer.training_deadline(0.47 + STARVATION_S, sampler_cost=0.03)[1] == 1
    # while training runs the sampler gets its share of the clock (a token bucket of one interval's share) and
    # training plans with what the sampler may take before the next beat
    full = SAMPLER_SHARE * 0.1
    assert pacer.sampler_budget(0.46, budget=1.0, training=False) == 1.0
    assert pacer.sampler_budget(0.46, budget=1.0, training=True) == pytest.approx(full)
    pacer.sampler_used(0.1, steps=1)                    # a step overran the credit: in debt
    assert pacer.sampler_budget(0.47, budget=1.0, training=True) == pytest.approx(full - 0.1 + SAMPLER_SHARE * 0.01)
    end, _ = pacer.training_deadline(0.47, sampler_cost=1.0)
    credit_by_beat = max(0.0, full - 0.1 + SAMPLER_SHARE * 0.01 + SAMPLER_SHARE * (0.55 - 0.47))
    assert end == pytest.approx(0.55 + LATE_SHARE * 0.1 - credit_by_beat)
    pacer.sent(0.475)                                   # a new frame without a step: one step on debt, if it fits
    assert pacer.sampler_budget(0.48, budget=1.0, training=True, step_cost=0.01) == ONE_STEP
    assert pacer.sampler_budget(0.48, budget=1.0, training=True, step_cost=0.5) < 0
    pacer.sampler_used(0.01, steps=1)
    assert pacer.sampler_budget(0.48, budget=1.0, training=True, step_cost=0.01) < 0   # one per frame only
    assert pacer.sampler_budget(5.0, budget=1.0, training=True) == pytest.approx(full)   # refilled, to one share
    assert pacer.sampler_budget(5.0, budget=1.0, training=False) == 1.0                 # no training: no limit


def test_training_starts_only_the_steps_that_fit(gaussian, one_torch_thread):
    clock = FakeClock()
    training = LiveTraining(clock)
    training.configure(cmd.Configure(process="ve", batch_size=64))
    training.start(gaussian, make_process("ve", gaussian.train))
    charge_training(training, clock, 0.004)
    before = training.trainer.step_count
    training.train_for(0.01)                    # the first step (cost unknown yet), then those ending in budget
    assert training.trainer.step_count == before + 2 and training.step_cost.seconds == pytest.approx(0.004)
    before = training.trainer.step_count
    training.train_for(1.0, end=clock() - 1.0, min_steps=0)     # no time left: no step
    assert training.trainer.step_count == before
    training.train_for(1.0, end=clock() - 1.0, min_steps=2)     # the guaranteed steps still run
    assert training.trainer.step_count == before + 2
    training.train_for(1.0, end=clock() + 0.0121, min_steps=0)  # none that would end after `end`
    assert training.trainer.step_count == before + 5
    training.step_cost.seconds = 10.0                           # a step longer than the budget:
    training.train_for(0.001, end=clock() + 100.0, min_steps=0)  # one starts if it ends in time
    assert training.trainer.step_count == before + 6


def _playing_while_training(clock, *, preset, n_data, request, speed, frame_rate=None, train_step, score_eval):
    """A session training with particles playing at `speed`, each optimiser step costing `train_step` s of the
    clock and each score evaluation `score_eval` s; returns it after 0.2 s of the clock have settled it."""
    out = []
    session = LabSession(out.append, lambda *_: None, clock)
    session.handle(cmd.SetData(data_specs.stamped(data_specs.preset_spec(preset, n_data), 1, True)))
    session.tick()
    session.handle(cmd.SetFrameRate(frame_rate))
    session.handle(cmd.SetSpeed(speed))
    session.handle(cmd.Train(True))
    charge_training(session.training, clock, train_step)
    charge_sampling(session, clock, score_eval)
    session.handle(cmd.Release(request))
    run_for(session, clock, 0.2)
    out.clear()
    return session, out


def test_sixty_frames_a_second_while_a_model_trains(one_torch_thread):
    """Presentation mode's rate with training on: the frames come on their beat, the sampler keeps the speed it
    was given, and training takes the rest of the worker's time (at least a step every STARVATION_S)."""
    clock = FakeClock()
    session, out = _playing_while_training(
        clock, preset="8gaussians", n_data=500, request=fr.ParticleRequest(name="em", n=200, steps=100000),
        speed=120, frame_rate=60, train_step=0.003, score_eval=0.0005)
    trained = session.training.trainer.step_count
    run_for(session, clock, 1.0)
    frames = [f for f in out if isinstance(f, fr.ParticleFrame)]
    assert abs(len(frames) - 60) <= 1
    assert abs((frames[-1].step - frames[0].step) - 120) <= 3
    steps = session.training.trainer.step_count - trained
    # the sampler uses 120 × 0.5 ms of each second; the frames' lateness rule and the ticks' cost take a little
    assert steps * 0.003 >= 0.85
    assert steps >= 1.0 / STARVATION_S


def test_a_sampler_too_heavy_for_its_speed_leaves_training_its_share(one_torch_thread):
    """A sampler whose steps cost 8 ms cannot keep 240 steps/s (1.9 s of work a second): it falls behind its
    speed, takes its share of the worker (SAMPLER_SHARE) and no more, and training keeps the rest."""
    clock = FakeClock()
    session, _ = _playing_while_training(
        clock, preset="moons", n_data=500, request=fr.ParticleRequest(name="annealed", n=200, steps=100000),
        speed=240, train_step=0.003, score_eval=0.008)
    trained, sampled = session.training.trainer.step_count, session.particles.steps_taken
    run_for(session, clock, 2.0)
    training_share = (session.training.trainer.step_count - trained) * 0.003 / 2.0
    sampler_share = (session.particles.steps_taken - sampled) * 0.008 / 2.0
    assert sampler_share == pytest.approx(SAMPLER_SHARE, abs=0.05)      # behind its speed, within its share
    assert training_share >= 1.0 - SAMPLER_SHARE - 0.05                  # the rest is training's


def test_a_light_sampler_keeps_its_speed_beside_training(one_torch_thread):
    """Without contention the sampler plays at exactly its speed and training gets all the time it leaves."""
    clock = FakeClock()
    session, _ = _playing_while_training(
        clock, preset="moons", n_data=500, request=fr.ParticleRequest(name="em", n=200, steps=100000),
        speed=240, train_step=0.003, score_eval=0.001)
    trained, sampled = session.training.trainer.step_count, session.particles.steps_taken
    run_for(session, clock, 2.0)
    assert abs((session.particles.steps_taken - sampled) - 480) <= 2
    assert (session.training.trainer.step_count - trained) * 0.003 / 2.0 >= 0.7      # 1 − 0.24 − ticks


def test_training_that_diverges_on_the_first_step_of_a_tick_is_shown_stopped(one_torch_thread):
    """The window learns that training stopped even when the step that diverged was the first of its batch (no step
    taken in that tick; the read-out was sent only after steps, and the window kept showing it running)."""
    from scoreviz.core.training import TrainingDiverged

    out, said = [], []
    clock = FakeClock()
    session = LabSession(out.append, lambda level, text: said.append((level, text)), clock)
    session.handle(cmd.SetData(data_specs.stamped(data_specs.preset_spec("gaussian", 500), 1, True)))
    session.tick()
    session.handle(cmd.Train(True))
    charge_training(session.training, clock, 0.004)
    run_for(session, clock, 0.5)
    out.clear()     # on until the tick that sends a read-out: nothing is left to send after it
    run_for(session, clock, 1.0, on_tick=lambda: any(isinstance(f, fr.TrainingFrame) for f in out))
    assert [f for f in out if isinstance(f, fr.TrainingFrame)][-1].running

    def diverge():
        raise TrainingDiverged("training diverged at step 9 (loss = nan); the weights of step 0 were kept")
    session.training.trainer.step = diverge
    out.clear()
    run_for(session, clock, 0.5)
    assert said[-1][0] == "error" and "diverged" in said[-1][1]
    frames = [f for f in out if isinstance(f, fr.TrainingFrame)]
    assert frames and not frames[-1].running and frames[-1].step > 0
