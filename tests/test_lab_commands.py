"""The typed commands of the 2-D and image labs: each has a handler in its session's one dispatch table, and an
unknown command, a misspelt field or a bad choice is an error, never a silent default; the session owns σ."""
from __future__ import annotations

import dataclasses

import pytest

from fake_clock import FakeClock
from scoreviz.lab import commands as cmd
from scoreviz.lab import data_specs
from scoreviz.lab import frames as fr
from scoreviz.lab.images import commands as image_cmd
from scoreviz.lab.images.session import ImageSession
from scoreviz.lab.session import LabSession


def lab_session():
    out, said = [], []
    session = LabSession(out.append, lambda level, text: said.append((level, text)), FakeClock())
    return session, out, said


def with_data(session):
    session.handle(cmd.SetData(data_specs.stamped(data_specs.preset_spec("8gaussians", 300), 1, True)))
    session.tick()
    return session


def test_every_command_has_a_handler_in_its_session():
    session, _, _ = lab_session()
    assert len(cmd.LAB_COMMANDS) > 20
    assert set(session.handlers) == set(cmd.LAB_COMMANDS)
    images = ImageSession(model_size="tiny", device="cpu")
    assert set(images.handlers) == set(image_cmd.IMAGE_COMMANDS)
    for kind in (*cmd.LAB_COMMANDS, *image_cmd.IMAGE_COMMANDS):
        assert dataclasses.is_dataclass(kind) and kind.__dataclass_params__.frozen, kind


def test_an_unknown_command_is_a_type_error_in_both_sessions():
    session, _, _ = lab_session()
    with pytest.raises(TypeError, match="no command LoadData"):
        session.handle(image_cmd.LoadData())          # the image lab's command sent to the 2-D lab
    with pytest.raises(TypeError, match="no command str"):
        session.handle("release")                     # the old string convention
    with pytest.raises(TypeError, match="no command Release"):
        ImageSession(model_size="tiny", device="cpu").handle(cmd.Release(fr.ParticleRequest("em", 10, 10)))


def test_a_misspelt_field_or_choice_is_an_error_and_changes_nothing():
    with pytest.raises(TypeError, match="procss"):
        cmd.Configure(procss="vp")                    # a dict's misspelt key used to be ignored
    with pytest.raises(TypeError):
        image_cmd.ConfigureModel(sise="tiny")
    session = with_data(lab_session()[0])
    before = (session.training.process_name, session.training.loss)
    with pytest.raises(ValueError, match="unknown process 'vpp'"):
        session.handle(cmd.Configure(process="vpp", loss="ssm"))
    assert (session.training.process_name, session.training.loss) == before
    with pytest.raises(ValueError, match="unknown field kind"):
        session.handle(cmd.FieldOptions(kind="exakt"))
    assert session.field.kind == "learned"


def test_a_misspelt_schedule_parameter_is_said_and_changes_nothing():
    session, out, said = lab_session()
    with_data(session)
    process = session.process
    session.handle(cmd.SetSchedule(noise={"p_meen": 0.0}))
    assert said[-1][0] == "warning" and "Schedule not changed" in said[-1][1] and "p_meen" in said[-1][1]
    session.handle(cmd.SetSchedule(process={"sigma_maks": 1.0}))
    assert said[-1][0] == "warning" and "Schedule not changed" in said[-1][1]
    assert session.process is process and session.schedule_control.overrides == {}


def test_the_session_owns_sigma_a_request_beyond_the_range_comes_back_clamped():
    session, out, _ = lab_session()
    with_data(session)
    lo, hi = session.process.noise_range()
    reports = lambda: [f.sigma for f in out if isinstance(f, fr.SigmaInUse)]   # noqa: E731
    assert reports() and lo <= reports()[-1] <= hi             # a new process reports the σ in use
    for asked, expected in ((10 * hi, hi), (lo / 10, lo), (0.5 * (lo + hi), 0.5 * (lo + hi))):
        session.handle(cmd.SetSigma(asked))
        assert reports()[-1] == pytest.approx(expected) and session.field.sigma == pytest.approx(expected)
    session.tick()
    field = [f for f in out if isinstance(f, fr.FieldFrame)][-1]
    assert field.sigma == pytest.approx(0.5 * (lo + hi))
    # a new, narrower schedule clamps σ into its range and reports it with the process
    session.handle(cmd.SetSigma(hi))
    session.handle(cmd.SetSchedule(process={"sigma_max": 1.0}))
    process = [f for f in out if isinstance(f, fr.ProcessFrame)][-1]
    assert process.noise_max == pytest.approx(1.0) and process.sigma <= 1.0 and reports()[-1] == process.sigma
