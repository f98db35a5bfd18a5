"""Recording: the clip plan, the session's ClipFrames (every planned step, in order, however the run is paced),
the MP4/GIF writer (decoded back), the window's recorder (two recordings of the same run decode to the same
frames) and the scripted `main.py --record` run."""
from __future__ import annotations

import gc
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from scoreviz.lab import commands as cmd
from scoreviz.lab import data_specs
from scoreviz.lab import frames as fr
from scoreviz.lab.particles import Particles
from scoreviz.lab.recording import MAX_SECONDS, ClipFrame, RunRecorder, clip_frames, plan_clip
from scoreviz.lab.session import LabSession

ROOT = Path(__file__).resolve().parents[1]


def decode(path) -> np.ndarray:
    """All frames (T, H, W, 3) of an MP4 or GIF, read back with imageio."""
    import imageio.v3 as iio

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)   # imageio's ffmpeg reader leaves its pipes to the GC
        if str(path).endswith(".gif"):     # frame 0 is a palette image, the rest RGBA deltas composited by Pillow
            frames = np.asarray(iio.imread(path, index=None, plugin="pillow", mode="RGBA"))
        else:
            frames = np.asarray(iio.imread(path, index=None, plugin="FFMPEG"))
        gc.collect()
    return frames[..., :3]


# --- the plan ------------------------------------------------------------------------------------------------

def test_plan_shows_every_step_of_a_short_run_then_holds():
    plan = plan_clip(100, fps=30)
    assert plan.steps == tuple(range(101))
    assert plan.repeats[:-1] == (1,) * 100 and plan.repeats[-1] == 1 + 30
    assert plan.frames == 101 + 30


def test_plan_spreads_a_long_run_and_keeps_its_end():
    plan = plan_clip(2001, fps=30)
    assert plan.steps[0] == 0 and plan.steps[-1] == 2001
    assert all(b > a for a, b in zip(plan.steps, plan.steps[1:]))
    assert plan.frames - plan.hold_frames == int(MAX_SECONDS * 30)
    gaps = np.diff(plan.steps)
    assert gaps.max() - gaps.min() <= 1                       # evenly spread


@pytest.mark.parametrize("total, seconds", [(500, 4.0), (20, 3.0), (1, 1.0)])
def test_plan_with_a_length_lasts_exactly_that_long(total, seconds):
    plan = plan_clip(total, fps=25, seconds=seconds)
    assert plan.frames == round(25 * seconds)
    assert plan.steps[0] == 0 and plan.steps[-1] == total


def test_plan_rejects_nonsense():
    for bad in (dict(total=0), dict(total=10, fps=0), dict(total=10, seconds=-1.0)):
        with pytest.raises(ValueError):
            plan_clip(**bad)


# --- ClipFrames from the sampler's steps ---------------------------------------------------------------------

def _released(sampler="annealed", n=200, steps=60, seed=0):
    spec = data_specs.preset_spec("8gaussians", n_train=400)
    ds = data_specs.dataset_from_spec(spec)
    from scoreviz.core.processes import make_process
    from scoreviz.core.samplers import ScoreFunction

    process = make_process("ve", ds.train)
    score = ScoreFunction(lambda y, s: ds.exact_score(y, s).to(y.dtype), process)
    p = Particles()
    p.release(fr.ParticleRequest(name=sampler, n=n, steps=steps, seed=seed, source="exact"), score, dim=2,
              sigma=0.5, device=torch.device("cpu"), mixture=ds.mixture)
    return p


def _summary(frames):
    return [(f.particles.step, f.repeat) for f in frames if not f.end]


def test_clip_frames_are_the_plan_whatever_the_pacing(one_torch_thread):
    """Advancing one step at a time or hundreds at once sends the same frames: the steps decide, not time."""
    fast = list(clip_frames(_released(), 0.5, fps=30, seconds=2.0))
    assert fast[-1].end and fast[-1].reason == "finished"
    plan = plan_clip(fast[-2].particles.total, fps=30, seconds=2.0)
    assert [s for s, _ in _summary(fast)] == list(plan.steps)
    assert sum(r for _, r in _summary(fast)) == plan.frames == 60
    assert [f.index for f in fast] == list(range(len(fast)))
    assert fast[-2].particles.finished and not fast[1].particles.finished

    slow_frames: list[ClipFrame] = []
    p = _released()
    p.observer = RunRecorder(slow_frames.append, lambda: 0.5, fps=30, seconds=2.0)
    p.observer.released(p)
    while p.active:
        p.advance(1)
    assert _summary(slow_frames) == _summary(fast)
    for a, b in zip(slow_frames, fast):
        if not a.end:
            np.testing.assert_array_equal(a.particles.positions, b.particles.positions)


def test_a_reset_ends_a_one_run_clip_with_what_was_recorded(one_torch_thread):
    out: list[ClipFrame] = []
    p = _released(steps=200)
    p.observer = RunRecorder(out.append, lambda: 0.5, once=True)
    p.observer.released(p)
    p.advance(30)
    p.reset()
    assert out[-1].end and out[-1].reason == "reset"
    assert [f.particles.step for f in out[:-1]][-1] == 30
    assert out[-2].repeat >= 30                                  # the last state is held


def test_session_record_command_sends_every_planned_step_in_order(one_torch_thread):
    """The session throttles its live particle frames to ~30/s but never drops a ClipFrame."""
    out: list = []
    session = LabSession(out.append, lambda level, text: out.append((level, text)))
    session.handle(cmd.SetData(data_specs.preset_spec("8gaussians", n_train=400)))
    session.tick()
    session.handle(cmd.SetSpeed(0.0))
    session.handle(cmd.Record(clip=7, fps=30, seconds=None, once=True))
    session.handle(cmd.Release(fr.ParticleRequest(name="annealed", n=150, steps=41, source="exact")))  # NFE 10·4 + 1
    for _ in range(2000):
        session.tick()
        if any(isinstance(f, ClipFrame) and f.end for f in out):
            break
    clips = [f for f in out if isinstance(f, ClipFrame)]
    live = [f for f in out if isinstance(f, fr.ParticleFrame)]
    assert clips[-1].end and clips[-1].reason == "finished" and all(f.clip == 7 for f in clips)
    total = clips[-2].particles.total
    assert [f.particles.step for f in clips[:-1]] == list(range(total + 1))   # all 41 steps, none skipped
    assert len(live) < len(clips)                                             # the live view skipped some
    session.handle(cmd.StopRecording())                                  # nothing more: the recorder was done already
    assert [f for f in out if isinstance(f, ClipFrame)] == clips
    session.close()


def test_continuous_recording_joins_a_run_and_stops_on_request(one_torch_thread):
    out: list = []
    session = LabSession(out.append, lambda level, text: None)
    session.handle(cmd.SetData(data_specs.preset_spec("8gaussians", n_train=400)))
    session.tick()
    session.handle(cmd.Release(fr.ParticleRequest(name="em", n=100, steps=50, source="exact")))
    session.particles.advance(10)
    session.handle(cmd.Record(clip=1, once=False))
    session.particles.advance(5)
    session.handle(cmd.StopRecording())
    clips = [f for f in out if isinstance(f, ClipFrame)]
    assert [f.particles.step for f in clips[:-1]] == [10, 11, 12, 13, 14, 15]
    assert clips[-1].end and clips[-1].reason == "stopped"
    session.close()


# --- the writer ----------------------------------------------------------------------------------------------

def _pattern(k: int, h=51, w=75) -> np.ndarray:
    img = np.zeros((h, w, 3), np.uint8)
    img[:, :, 0] = 40
    img[10:30, (3 * k) % (w - 10):(3 * k) % (w - 10) + 10] = (230, 159, 0)    # an orange square that moves
    return img


@pytest.mark.parametrize("suffix", [".mp4", ".gif"])
def test_writer_round_trip(qapp, tmp_path, suffix):
    from scoreviz.app.recording.canvas_clip import ClipWriter

    path = tmp_path / f"clip{suffix}"
    writer = ClipWriter(path, fps=20)
    for k in range(12):
        writer.add(_pattern(k), repeat=2 if k == 11 else 1)
    assert writer.close() == 13
    frames = decode(path)
    assert frames.shape[1:] == (50, 74, 3)                     # odd sizes lose a row and a column: even for H.264
    assert frames.shape[0] == (13 if suffix == ".mp4" else 12)  # a GIF holds a repeated frame as a longer one
    assert not np.array_equal(frames[0], frames[5])
    orange = frames[3][20, (3 * 3) % 65 + 5].astype(int)
    assert np.abs(orange - (230, 159, 0)).max() < (30 if suffix == ".mp4" else 2)   # the palette keeps colours
    if suffix == ".gif":
        import imageio.v3 as iio

        durations = [iio.immeta(path, index=i)["duration"] for i in range(12)]
        assert sum(durations) == pytest.approx(1000 * 13 / 20, abs=10)   # ms


def test_writer_refuses_other_formats(tmp_path):
    from scoreviz.app.recording.canvas_clip import ClipWriter

    with pytest.raises(ValueError, match=".mp4 or .gif"):
        ClipWriter(tmp_path / "clip.avi")
    with pytest.raises(ValueError, match="folder"):
        ClipWriter(tmp_path / "missing" / "clip.mp4")


# --- the window ----------------------------------------------------------------------------------------------

def _record_once(window, qtbot, path):
    window.sampling_panel.set_options({"sampler": "annealed", "source": "exact", "n": 300, "steps": 41})
    window.sampling_panel.set_speed(0)
    assert window.recorder.start(path, once=True, size=(321, 240), seconds=None)
    assert window.recorder.state == "armed"
    with qtbot.waitSignal(window.recorder.finished, timeout=60_000) as done:
        window.release_particles()
    return done.args


def test_window_records_the_next_run_deterministically(qtbot, tmp_path):
    from app_helpers import close_and_check, make_window

    window = make_window(qtbot, tmp_path, preset="8gaussians")
    try:
        qtbot.waitUntil(lambda: window.process is not None and window.last_field is not None, timeout=30_000)
        first = _record_once(window, qtbot, tmp_path / "a.mp4")
        assert window.recorder.state == "idle"
        second = _record_once(window, qtbot, tmp_path / "b.mp4")
    finally:
        close_and_check(window)
    a, b = decode(first[0]), decode(second[0])
    plan = plan_clip(41, fps=30)                     # annealed: 10 levels × 4 steps + the final denoising step
    assert first[1] == plan.frames == len(a)
    assert a.shape[1:] == (240, 320, 3)
    assert not np.array_equal(a[0], a[20]) and not np.array_equal(a[20], a[40])
    np.testing.assert_array_equal(a, b)              # the same run, the same frames


def test_scripted_record_run(tmp_path):
    out = tmp_path / "clip.gif"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--preset", "8gaussians", "--sample", "300", "--sampler", "annealed",
         "--sampler-steps", "31", "--score", "exact", "--record", str(out), "--size", "900x640",
         "--quit-after", "150"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=200)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    frames = decode(out)
    assert len(frames) == 32       # steps 0 … 31 (10 levels × 3 + the final denoising); the hold is a duration
    assert frames.shape[1] % 2 == 0 and frames.shape[2] % 2 == 0
    assert not np.array_equal(frames[0], frames[-1])


def test_window_clip_grabs_the_whole_window(qtbot, tmp_path):
    from app_helpers import close_and_check, make_window

    window = make_window(qtbot, tmp_path, preset="8gaussians")
    try:
        qtbot.waitUntil(lambda: window.process is not None and window.last_field is not None, timeout=30_000)
        window.sampling_panel.set_options({"sampler": "ode", "source": "exact", "n": 200, "steps": 41})
        window.sampling_panel.set_speed(0)
        assert window.recorder.start(tmp_path / "w.gif", once=True, what="window", fps=10)
        with qtbot.waitSignal(window.recorder.finished, timeout=60_000) as done:
            window.release_particles()
        size = window.grab().size()
    finally:
        close_and_check(window)
    frames = decode(done.args[0])
    assert frames.shape[1:3] == (size.height() // 2 * 2, size.width() // 2 * 2)
    assert len(frames) == 22                           # steps 0 … 21 (20 ODE steps + the final denoising)
    assert not np.array_equal(frames[0], frames[-1])


def test_gif_deltas_decode_to_the_frames_written(qapp, tmp_path):
    """Unchanged pixels are written transparent; decoded, every frame is the whole picture again."""
    from scoreviz.app.recording.canvas_clip import ClipWriter

    rng = np.random.default_rng(0)
    base = np.repeat(np.repeat(rng.integers(0, 4, (6, 8, 1)) * 60, 8, 0), 8, 1).astype(np.uint8).repeat(3, 2)
    written = []
    writer = ClipWriter(tmp_path / "d.gif", fps=10)
    for k in range(6):
        frame = base.copy()
        frame[8 * k:8 * k + 8, 8:16] = (230, 159, 0)
        writer.add(frame)
        written.append(frame)
    writer.close()
    np.testing.assert_array_equal(decode(tmp_path / "d.gif"), np.stack(written))


def test_image_mode_clip_from_its_sample_frames(qapp, tmp_path):
    """The image recorder waits for a run's first step, keeps the planned steps of that run only, and ends
    with its last step: digits (here a square) emerging from noise, the grid beside its estimates."""
    from types import SimpleNamespace

    from scoreviz.app.recording.image_clip import ImageClipRecorder
    from scoreviz.app.qt import QtCore
    from scoreviz.app.theme import THEMES
    from scoreviz.lab.images.frames import SampleFrame

    class Worker(QtCore.QObject):
        frame = QtCore.Signal(object)

    worker = Worker()
    mode = SimpleNamespace(worker=worker, sampling_panel=SimpleNamespace(options=lambda: {"sampler": "pc"}))
    recorder = ImageClipRecorder(mode, THEMES["dark"])
    rng = np.random.default_rng(0)

    def frame(serial, index, total=20):
        t = index / total
        clean = np.zeros((28, 56), np.float32)
        clean[8:20, 8:20] = 1
        noisy = np.clip((1 - t) * rng.random((28, 56)) + t * clean, 0, 1)
        return SampleFrame(serial=serial, index=index, total=total, noise_level=1 - t if index < total else 0.0,
                           samples=noisy, denoised=clean, done=index == total)

    recorder.start(tmp_path / "digits.mp4", seconds=1.0, height=240)
    worker.frame.emit(frame(1, 7))                 # a run already going: not this clip's
    finished = []
    recorder.finished.connect(lambda path, n: finished.append((path, n)))
    for i in range(1, 21):
        worker.frame.emit(frame(2, i))
    worker.frame.emit(frame(3, 1))                 # the next run is not recorded
    assert finished and finished[0][1] == 30       # 1 s at 30 fps
    frames = decode(finished[0][0])
    assert len(frames) == 30 and frames.shape[1] % 2 == 0 and frames.shape[2] % 2 == 0
    assert not np.array_equal(frames[0], frames[20])
    assert not recorder.active


def test_record_button_toggles_continuous_recording(qtbot, tmp_path):
    from app_helpers import close_and_check, make_window

    window = make_window(qtbot, tmp_path, preset="8gaussians")
    try:
        qtbot.waitUntil(lambda: window.process is not None and window.last_field is not None, timeout=30_000)
        acts = {a.text() for a in window.menuBar().actions()[0].menu().actions()}
        assert {"Export figure…", "Record (start / stop)…", "Record the next sampler run…"} <= acts
        window.sampling_panel.set_options({"sampler": "ode", "source": "exact", "n": 200, "steps": 41})
        window.sampling_panel.set_speed(0)
        window.recorder.toggle(tmp_path / "t.gif")
        assert window.recorder.state == "recording" and window.recorder.button.isChecked()
        window.release_particles()
        qtbot.waitUntil(lambda: window.last_particles is not None and window.last_particles.finished, timeout=30_000)
        with qtbot.waitSignal(window.recorder.finished, timeout=30_000) as done:
            window.recorder.button.click()                  # the ● Rec button stops it
        assert not window.recorder.button.isChecked() and window.recorder.state == "idle"
    finally:
        close_and_check(window)
    assert len(decode(done.args[0])) == 22                 # steps 0 … 21 of the run recorded meanwhile
