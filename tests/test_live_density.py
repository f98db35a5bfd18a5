"""The Density view's cadence in the session (lab.live_density), on a clock the test moves: a DensityFrame only
while the view is on and the frame on screen is stale — one per DENSITY_REFRESH while training, one per change of
σ, view, data or model, none when off or for data that are not 2-D."""
from __future__ import annotations

import math

import pytest

from fake_clock import FakeClock, charge_training, run_for
from scoreviz.lab import commands as cmd
from scoreviz.lab import data_specs
from scoreviz.lab.density_view import DENSITY_GRID, DensityFrame
from scoreviz.lab.live_density import DENSITY_REFRESH
from scoreviz.lab.session import LabSession

TRAIN_STEP = 0.01      # clock seconds per optimiser step: few real steps per simulated second


def _session(preset: str = "8gaussians"):
    out = []
    clock = FakeClock()
    session = LabSession(out.append, lambda *_: None, clock)
    session.handle(cmd.SetData(data_specs.stamped(data_specs.preset_spec(preset, 400), 1, True)))
    session.handle(cmd.FieldOptions(kind="exact", grid_n=8, heat=False))   # a cheap field beside the density
    session.tick()
    return session, clock, out


def _densities(out) -> list[DensityFrame]:
    return [f for f in out if isinstance(f, DensityFrame)]


def _train(session, clock):
    session.handle(cmd.Train(True))
    charge_training(session.training, clock, TRAIN_STEP)


def test_one_frame_per_refresh_while_training_and_none_when_off(one_torch_thread):
    session, clock, out = _session()
    _train(session, clock)
    run_for(session, clock, 3 * DENSITY_REFRESH)
    assert _densities(out) == []                        # the view is off: no ODE solves at all
    session.handle(cmd.ShowDensity(True))
    run_for(session, clock, 0.05)
    first = _densities(out)
    assert len(first) == 1                              # shown: one at once
    run_for(session, clock, 3 * DENSITY_REFRESH - 0.1)
    frames = _densities(out)
    assert len(frames) == 1 + 2                         # ... then one per DENSITY_REFRESH of training
    f = frames[-1]
    assert f.model.shape == (DENSITY_GRID, DENSITY_GRID) and math.isfinite(f.heldout_nll)
    assert f.sigma == session.field.sigma and f.data_version == 1
    xmin, xmax, ymin, ymax = session.field.view
    assert f.rect == pytest.approx((xmin, ymin, xmax - xmin, ymax - ymin))
    session.handle(cmd.ShowDensity(False))
    out.clear()
    run_for(session, clock, 2 * DENSITY_REFRESH)
    assert _densities(out) == []


def test_a_paused_model_gets_one_frame_per_change_of_sigma_view_or_data(one_torch_thread):
    session, clock, out = _session()
    session.handle(cmd.ShowDensity(True))
    run_for(session, clock, 0.05)
    bare = _densities(out)
    assert len(bare) == 1 and bare[0].model is None and math.isnan(bare[0].heldout_nll)   # no model: exact only
    _train(session, clock)
    run_for(session, clock, 0.5)
    session.handle(cmd.Train(False))
    out.clear()
    run_for(session, clock, 0.05)
    assert len(_densities(out)) == 1          # the model trained since the last frame: once more as it pauses
    run_for(session, clock, 3 * DENSITY_REFRESH)
    assert len(_densities(out)) == 1          # paused and unchanged: nothing more
    session.handle(cmd.SetSigma(0.3))
    run_for(session, clock, 1.0)
    session.handle(cmd.SetView((-5.0, 5.0, -4.0, 4.0)))
    run_for(session, clock, 1.0)
    frames = _densities(out)
    assert len(frames) == 3
    assert frames[1].sigma == pytest.approx(0.3) and frames[2].rect == (-5.0, -4.0, 10.0, 8.0)
    session.handle(cmd.SetData(data_specs.stamped(data_specs.preset_spec("moons", 400), 2, True)))
    run_for(session, clock, 1.0)
    frames = _densities(out)
    assert len(frames) == 4 and frames[-1].data_version == 2 and frames[-1].model is None   # new data: a new model


def test_no_frame_for_data_that_are_not_two_dimensional():
    session, clock, out = _session("gaussian3d")
    session.handle(cmd.ShowDensity(True))
    run_for(session, clock, 1.0)
    assert _densities(out) == []
