"""The schedule lab's real schedules without Qt: a gallery schedule becomes the session's process on 2-D data,
Lin et al.'s fixes rescale it (the first step unchanged, the last one pure noise) and pin the schedule before
them as A, a diffusers config is imported (its unread keys said) or refused in one line with nothing changed."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from fake_clock import FakeClock, run_for
from scoreviz.core.discrete_process import DiscreteVP
from scoreviz.core.schedule.discrete import alphas_cumprod, log_snr
from scoreviz.core.schedule.gallery import gallery_process
from scoreviz.core.schedule.snr import TARGETS, schedule_curves
from scoreviz.lab import commands as cmd
from scoreviz.lab import data_specs
from scoreviz.lab import frames as fr
from scoreviz.lab.schedule.real import ScheduleOrigin, real_schedule_frame
from scoreviz.lab.session import LabSession

SD_TERMINAL_SNR = 0.0047   # ᾱ_T/(1 − ᾱ_T) of Stable Diffusion's scaled_linear β's (Lin et al. 2024, Table 1)
SD_CONFIG = {"_class_name": "PNDMScheduler", "beta_schedule": "scaled_linear", "beta_start": 0.00085,
             "beta_end": 0.012, "num_train_timesteps": 1000, "clip_sample": False, "set_alpha_to_one": False}


@pytest.fixture
def lab(one_torch_thread):
    """(session on 8 Gaussians, the frames it sent, what it said)."""
    out, said = [], []
    session = LabSession(out.append, lambda level, text: said.append((level, text)), FakeClock())
    session.handle(cmd.SetData(data_specs.stamped(data_specs.preset_spec("8gaussians", 1000), 1, True)))
    session.tick()
    return session, out, said


def last(out, kind):
    found = [f for f in out if isinstance(f, kind)]
    assert found, f"no {kind.__name__} sent"
    return found[-1]


def test_the_sd_gallery_schedule_becomes_the_process_with_its_terminal_snr(lab):
    session, out, said = lab
    session.handle(cmd.UseGallerySchedule("sd"))
    assert isinstance(session.process, DiscreteVP) and session.process == gallery_process("sd")
    assert session.training.process_name == "discrete" and session.training.trainer is None   # a new model
    assert said[-1][0] == "info" and "new noise process and model" in said[-1][1] and "\n" not in said[-1][1]
    frame = last(out, fr.RealScheduleFrame)
    assert frame.preset == "sd" and frame.fixable and "Rombach" in frame.source
    assert frame.report.terminal_snr == pytest.approx(SD_TERMINAL_SNR, rel=0.01)
    assert any(w.startswith("the terminal SNR is 0.00468") for w in frame.report.warnings)
    assert frame.fixed_report is None and frame.fixed_log_snr.size == 0
    np.testing.assert_allclose(frame.steps_log_snr, log_snr(alphas_cumprod(session.process.betas)))
    assert frame.sampler_t[0] == pytest.approx(0.981)    # diffusers' leading spacing never starts at T
    # the w(λ) rows are the core's curves of the process, in TARGETS order
    curves = schedule_curves(session.process)
    assert frame.targets == TARGETS
    for row, target in zip(frame.weights, TARGETS):
        np.testing.assert_allclose(row, curves.weights[target])
    # a rebuild (another loss) keeps the published schedule: it is the control's overrides
    session.handle(cmd.Configure(loss="ssm"))
    assert session.process == gallery_process("sd")


def test_every_gallery_schedule_runs_on_2d_data(lab):
    session, out, said = lab
    for name in ("ddpm", "iddpm-cosine", "edm", "ncsnv2-cifar10", "rectified-flow"):
        session.handle(cmd.UseGallerySchedule(name))
        assert session.process == gallery_process(name), name
        frame = last(out, fr.RealScheduleFrame)
        assert frame.preset == name and frame.fixable == (name in ("ddpm", "iddpm-cosine"))
        assert np.all(np.isfinite(frame.weights)) and frame.weights.shape == (len(TARGETS), len(frame.log_snr))
    assert last(out, fr.RealScheduleFrame).report.terminal_snr == 0     # flow reaches pure noise at t = 1


def test_zero_terminal_snr_rescales_the_last_step_keeps_the_first_and_pins_a(lab):
    session, out, said = lab
    session.handle(cmd.UseGallerySchedule("sd"))
    session.handle(cmd.FixSchedule(rescale_zero_snr=True, timestep_spacing="trailing"))
    p = session.process
    assert p.rescale_zero_snr and p.timestep_spacing == "trailing" and p.betas[-1] == 1.0
    assert "pinned as A" in said[-1][1]
    frame = last(out, fr.RealScheduleFrame)
    assert frame.rescale_zero_snr and frame.timestep_spacing == "trailing" and frame.pinned
    assert frame.fixed_report.terminal_snr == 0 and frame.report.terminal_snr == pytest.approx(SD_TERMINAL_SNR, rel=0.01)
    before, after = frame.steps_log_snr, frame.fixed_log_snr
    assert after[0] == pytest.approx(before[0], abs=1e-12)          # β_1 unchanged (Lin et al., Alg. 1)
    assert after[-1] == -math.inf and np.isfinite(before[-1])        # SNR_T = 0: pure noise at the last step
    assert np.all(after[1:-1] < before[1:-1])                        # in between, less signal at every step
    assert frame.fixed_sampler_t[0] == 1.0 and frame.sampler_t[0] < 1.0   # trailing starts at T, leading not
    assert not any("terminal SNR is" in w for w in frame.fixed_report.warnings)
    # A is the schedule before the fix: Compare samples both under the exact score
    session.handle(cmd.CompareSchedules(sampler="em", n=300, seed=0, nfe=40))
    comparison = last(out, fr.ScheduleComparison)
    assert comparison.a.process["rescale_zero_snr"] is False and comparison.b.process["rescale_zero_snr"] is True
    # and off again: the schedule as published
    session.handle(cmd.FixSchedule(rescale_zero_snr=False))
    assert session.process == gallery_process("sd") and last(out, fr.RealScheduleFrame).fixed_report is None


def test_fixes_on_a_continuous_process_change_nothing_and_say_why(lab):
    session, out, said = lab
    before = session.process
    session.handle(cmd.FixSchedule(rescale_zero_snr=True))
    assert session.process is before and said[-1][0] == "warning" and "discrete" in said[-1][1]
    assert not last(out, fr.RealScheduleFrame).fixable


def test_a_broken_config_is_one_line_and_changes_nothing(lab, tmp_path):
    session, out, said = lab
    session.handle(cmd.UseGallerySchedule("ddpm"))
    before = session.process
    for text in ('{"beta_schedule": "linear",', '{"beta_schedule": "quadratic"}', '[1, 2]', '{"beta_end": "big"}'):
        path = tmp_path / "scheduler_config.json"
        path.write_text(text)
        session.handle(cmd.ImportSchedule(str(path)))
        level, message = said[-1]
        assert level == "error" and "not imported" in message and "\n" not in message and str(path) in message
        assert session.process is before
    session.handle(cmd.ImportSchedule(str(tmp_path / "missing.json")))
    assert said[-1][0] == "error" and session.process is before


def test_importing_a_config_lists_the_keys_not_read(lab, tmp_path):
    session, out, said = lab
    path = tmp_path / "scheduler_config.json"
    path.write_text(json.dumps({**SD_CONFIG, "rescale_betas_zero_snr": True, "timestep_spacing": "trailing"}))
    session.handle(cmd.ImportSchedule(str(path)))
    level, message = said[-1]
    assert level == "info" and "Keys not read: clip_sample, set_alpha_to_one." in message
    frame = last(out, fr.RealScheduleFrame)
    assert frame.ignored == ("clip_sample", "set_alpha_to_one") and frame.source == str(path)
    assert "PNDMScheduler" in frame.label
    # the file's own fixes are on, and the report shows the schedule before and after them
    assert session.process.rescale_zero_snr and frame.fixed_report.terminal_snr == 0
    assert frame.report.terminal_snr == pytest.approx(SD_TERMINAL_SNR, rel=0.01)


def test_the_report_follows_the_process_when_the_tab_is_shown(lab):
    session, out, said = lab
    session.handle(cmd.ShowSchedule(True))
    clock = FakeClock()
    run_for(session, clock, 0.05, on_tick=lambda: any(isinstance(f, fr.RealScheduleFrame) for f in out))
    frame = last(out, fr.RealScheduleFrame)
    assert frame.process == "ve" and frame.preset is None and frame.label == "VE SDE"
    sent = len(out)
    session.tick()
    assert not [f for f in out[sent:] if isinstance(f, fr.RealScheduleFrame)]   # sent again only on a change


def test_real_schedule_frame_is_read_only():
    frame = real_schedule_frame(gallery_process("ddpm"), ScheduleOrigin("DDPM"))
    with pytest.raises(ValueError):
        frame.weights[0, 0] = 1.0


def test_unannounced_schedule_commands_say_nothing_but_their_warnings(lab):
    """A lesson sends its schedule commands unannounced so that its caption stays in the banner."""
    session, out, said = lab
    for command in (cmd.UseGallerySchedule("sd", announce=False),
                    cmd.FixSchedule(rescale_zero_snr=True, timestep_spacing="trailing", announce=False),
                    cmd.SetSchedule(process={"beta_end": 0.02}, announce=False), cmd.ResetSchedule(announce=False)):
        before, process = len(said), session.process
        session.handle(command)
        assert said[before:] == [] and session.process != process, type(command).__name__   # done, unsaid
    session.handle(cmd.FixSchedule(rescale_zero_snr=True, timestep_spacing="sideways", announce=False))
    assert said[-1][0] == "warning" and "sideways" in said[-1][1]
