"""Quality against NFE in the schedule lab, without Qt: the sweep's frames against `quality_vs_nfe` called
directly, A's curves when pinned, and the requests it refuses in words."""
from __future__ import annotations

import numpy as np
import pytest

from fake_clock import FakeClock, run_for
from scoreviz.core.guidance import exact_score
from scoreviz.core.nfe_sweep import quality_vs_nfe
from scoreviz.lab import commands as cmd
from scoreviz.lab import data_specs
from scoreviz.lab import frames as fr


@pytest.fixture
def lab(one_torch_thread):
    """A session on NCSN's toy (a 2-mode mixture) under VE, its schedule tab shown; (session, clock, out, said)."""
    from scoreviz.lab.session import LabSession

    out, said = [], []
    clock = FakeClock()
    session = LabSession(out.append, lambda level, text: said.append((level, text)), clock)
    session.handle(cmd.SetData(data_specs.stamped(data_specs.preset_spec("ncsn", 2000), 1, True)))
    session.handle(cmd.ShowSchedule(True))
    session.tick()
    return session, clock, out, said


def _sweep(lab, **options) -> fr.NFESweepFrame:
    """Ask for a sweep and tick until its last frame (each run is one tick)."""
    session, clock, out, _ = lab
    session.handle(cmd.SweepNFE(**options))
    run_for(session, clock, 60.0, on_tick=lambda: any(isinstance(f, fr.NFESweepFrame) and f.finished for f in out))
    frames = [f for f in out if isinstance(f, fr.NFESweepFrame)]
    assert frames and frames[-1].finished, "the sweep did not finish"
    return frames[-1]


def test_the_rows_are_quality_vs_nfe_called_directly(lab):
    session, _, out, said = lab
    samplers, budgets = ("heun", "em"), (10, 30)
    frame = _sweep(lab, samplers=samplers, budgets=budgets, n=400, seed=3)
    assert "sweeping…" in said[-2][1] and said[-1][0] == "info" and "Swept 4 runs in" in said[-1][1]
    partial = [f for f in out if isinstance(f, fr.NFESweepFrame)]
    assert [f.done for f in partial] == [1, 2, 3, 4] and partial[0].total == 4      # the figure fills in
    assert frame.process == "ve" and frame.n == 400 and frame.budgets == budgets
    assert [(c.schedule, c.score, c.sampler) for c in frame.curves] == [("B", "exact", s) for s in samplers]
    rows = quality_vs_nfe(exact_score(session.dataset), session.process, session.dataset, samplers, budgets,
                          n=400, seed=3)
    for c, expected in zip(frame.curves, (rows[:2], rows[2:])):
        np.testing.assert_array_equal(c.nfe_requested, budgets)
        np.testing.assert_array_equal(c.nfe_used, [r.nfe_used for r in expected])
        np.testing.assert_allclose(c.sw_ratio, [r.sw_ratio for r in expected], rtol=1e-12)
        np.testing.assert_allclose(c.sliced_wasserstein, [r.sliced_wasserstein for r in expected], rtol=1e-12)
        np.testing.assert_allclose(c.mode_weights, [r.mode_weights for r in expected], rtol=1e-12)
        np.testing.assert_allclose(c.true_weights, [0.8, 0.2])
        tv = [0.5 * sum(abs(a - b) for a, b in zip(r.mode_weights, r.true_weights)) for r in expected]
        np.testing.assert_allclose(c.mode_error, tv, rtol=1e-12)
    assert list(frame.curves[0].nfe_used) == [9, 29]           # Heun spends 2n + 1: the longest run within
    assert frame.has_modes and not frame.curves[0].nfe_used.flags.writeable


def test_pinned_a_adds_its_curves(lab):
    session, _, _, _ = lab
    session.handle(cmd.PinSchedule())
    session.handle(cmd.SetSchedule(process={"sigma_max": 1.0}))   # B: σ_max far below the modes' distance
    frame = _sweep(lab, samplers=("dpmpp2m",), budgets=(20, 40), n=500)
    assert [(c.schedule, c.sampler) for c in frame.curves] == [("B", "dpmpp2m"), ("A", "dpmpp2m")]
    b, a = frame.curves
    assert np.all(b.mode_error > 0.15) and np.all(a.mode_error < 0.1)   # B cannot move mass between the modes


def test_choices_follow_the_process_and_refusals_are_said(lab):
    session, clock, out, said = lab
    run_for(session, clock, 0.1, on_tick=lambda: any(isinstance(f, fr.NFESweepChoices) for f in out))
    choices = [f for f in out if isinstance(f, fr.NFESweepChoices)][-1]
    assert choices.process == "ve" and not choices.learned and not choices.pinned
    assert {"heun", "dpmpp2m", "em", "annealed"} <= set(choices.supported)
    assert "ddim" not in choices.supported and "ddpm" not in choices.supported and "langevin" not in choices.supported
    for request, words in (({"samplers": ("ddim",), "budgets": (10,)}, "DDIM needs a process whose mean decays"),
                           ({"samplers": ("heun",), "budgets": (0,)}, "positive integers"),
                           ({"samplers": (), "budgets": (10,)}, "at least one sampler"),
                           ({"samplers": ("heun",), "budgets": (10,), "learned": True}, "no model is trained")):
        session.handle(cmd.SweepNFE(**request))
        assert said[-1][0] == "warning" and "Sweep not started" in said[-1][1] and words in said[-1][1], said[-1]
    assert not session.schedule.nfe.running


def test_new_data_stop_a_sweep(lab):
    session, clock, out, said = lab
    session.handle(cmd.SweepNFE(samplers=("em",), budgets=(10, 20, 30), n=200))
    session.tick()
    session.handle(cmd.SetData(data_specs.stamped(data_specs.preset_spec("8gaussians", 500), 2, True)))
    run_for(session, clock, 0.5)
    assert not session.schedule.nfe.running and any("data changed" in text for _, text in said)
    assert all(f.done < 3 for f in out if isinstance(f, fr.NFESweepFrame))
