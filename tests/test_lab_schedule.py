"""The schedule lab's Qt-free parts: A/B comparison with the exact score and per-level sampler diagnostics."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from fake_clock import FakeClock, charge_training, run_for
from scoreviz.core.data import make_preset
from scoreviz.core.processes import make_process
from scoreviz.lab import commands as cmd
from scoreviz.lab import frames as fr
from scoreviz.lab.particles import Particles
from scoreviz.lab.schedule.compare import compare, score_function


@pytest.fixture(scope="module")
def ncsn():
    """NCSN's toy: 0.8·N((5,5), I) + 0.2·N((−5,−5), I), modes 14 apart."""
    return make_preset("ncsn", n_train=4000)


def test_ab_a_sigma_max_far_below_the_mode_distance_gets_the_weights_wrong(ncsn, one_torch_thread):
    default = make_process("ve", ncsn.train)                 # σ_max = the largest pairwise distance
    short = make_process("ve", ncsn.train, sigma_max=1.0)    # far below the modes' distance of 14
    a, b = compare(ncsn, default, short, sampler="annealed", n=2000, seed=0)
    assert a.label == "A" and b.label == "B" and a.samples.shape == (2000, 2)
    np.testing.assert_allclose(a.true_weights, [0.8, 0.2])
    assert a.mode_error < 0.03, a.mode_weights                # annealed Langevin recovers 0.8 / 0.2
    assert b.mode_error > 0.15, b.mode_weights                # the mass never moves between the modes
    assert a.sw_ratio < 1.5 < b.sw_ratio
    assert a.seconds + b.seconds < 10


def test_same_seed_same_samples(ncsn, one_torch_thread):
    p = make_process("ve", ncsn.train)
    a, b = compare(ncsn, p, p, sampler="em", n=300, nfe=51, seed=4)
    np.testing.assert_array_equal(a.samples, b.samples)


def _run(dataset, process, sampler, steps):
    particles = Particles()
    particles.release(fr.ParticleRequest(name=sampler, n=1000, steps=steps, seed=1), score_function(dataset, process),
                      dim=2, sigma=1.0, device=torch.device("cpu"), mixture=dataset.mixture)
    particles.advance(10**6)
    return particles.diagnostics.frame()


def test_per_level_mode_shares_show_the_mass_moving(ncsn, one_torch_thread):
    d = _run(ncsn, make_process("ve", ncsn.train), "annealed", 1001)    # NFE: 10 levels × 100 steps + 1 (NCSN's toy)
    assert d.sampler == "annealed" and len(d.levels) == 10 and np.all(np.diff(d.levels) < 0)
    assert d.mode_shares.shape == (10, 2) and np.allclose(d.mode_shares.sum(1), 1)
    np.testing.assert_allclose(d.mode_shares[-1], [0.8, 0.2], atol=0.05)
    assert np.all(d.snr > 0) and np.all(np.isfinite(d.score_norm))
    assert d.score_norm[-1] > d.score_norm[0]                        # the score grows like 1/σ as σ falls
    frozen = _run(ncsn, make_process("ve", ncsn.train, sigma_max=1.0), "annealed", 301)
    assert abs(frozen.mode_shares[0, 0] - frozen.mode_shares[-1, 0]) < 0.02   # nothing moves between modes
    assert abs(frozen.mode_shares[-1, 0] - 0.8) > 0.15


def test_predictor_corrector_realises_its_target_snr(ncsn, one_torch_thread):
    d = _run(ncsn, make_process("ve", ncsn.train), "pc", 81)   # NFE: 40 × (1 + 1) + 1
    assert len(d.levels) == 40
    np.testing.assert_allclose(d.snr, 0.16, rtol=1e-6)          # the corrector's step is set to reach r exactly
    assert d.target_snr == pytest.approx(0.16)


def _tick_until(session, clock, out, predicate, seconds=30.0):
    """The last frame of `out` that `predicate` accepts, ticking `session` for up to `seconds` of `clock`."""
    def found():
        return [f for f in out if predicate(f)]
    run_for(session, clock, seconds, on_tick=found)
    assert found(), "no such frame"
    return found()[-1]


def test_session_schedule_read_out_edit_and_ab(one_torch_thread):
    from scoreviz.lab import data_specs
    from scoreviz.lab.session import LabSession

    out, said = [], []
    clock = FakeClock()
    session = LabSession(out.append, lambda level, text: said.append((level, text)), clock)
    session.handle(cmd.SetData(data_specs.stamped(data_specs.preset_spec("ncsn", 2000), 1, True)))
    session.tick()
    assert not [f for f in out if isinstance(f, fr.ScheduleFrame)]       # nothing computed while not shown
    session.handle(cmd.ShowSchedule(True))
    base = _tick_until(session, clock, out, lambda f: isinstance(f, fr.ScheduleFrame))
    assert base.process == "ve" and not base.report.warnings
    assert base.parameters["sigma_max"] >= base.report.sigma_max_rule   # NCSNv2 technique 1 holds by default
    # training: loss per σ in ≥ 32 bins beside the irreducible floor and the learned score's error
    session.handle(cmd.Train(True))
    charge_training(session.training, clock, 0.003)
    live = _tick_until(session, clock, out, lambda f: isinstance(f, fr.ScheduleFrame) and len(f.loss) >= 32)
    assert len(live.loss_edges) == len(live.loss) + 1 and np.isfinite(live.floor).all()
    assert np.nanmin(live.floor) >= 0 and np.isfinite(live.rel_error).all()
    session.handle(cmd.Train(False))
    # pin A, shrink σ_max far below the modes' distance (B): a new process and model, and A / B says so
    session.handle(cmd.PinSchedule())
    session.handle(cmd.SetSchedule(process={"sigma_max": 1.0}))
    assert said[-1][0] == "info" and "new" in said[-1][1]
    assert session.process.sigma_max == 1.0 and session.training.trainer is None
    edited = _tick_until(session, clock, out, lambda f: isinstance(f, fr.ScheduleFrame) and f.parameters.get("sigma_max") == 1.0)
    assert any("σ_max" in w for w in edited.report.warnings)
    session.handle(cmd.CompareSchedules(sampler="annealed", n=1000, seed=0))
    comparison = [f for f in out if isinstance(f, fr.ScheduleComparison)][-1]
    assert comparison.a.mode_error < 0.05 < 0.15 < comparison.b.mode_error
    # an inconsistent edit is refused with a message and changes nothing
    session.handle(cmd.SetSchedule(process={"sigma_min": 5.0, "sigma_max": 1.0}))
    assert said[-1][0] == "warning" and session.process.sigma_max == 1.0
    session.handle(cmd.ResetSchedule())
    assert session.process.sigma_max == pytest.approx(base.parameters["sigma_max"])
