"""`ImageSession` driven directly, without Qt, threads or timers: 64 random 28×28 images, the "tiny" model."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from scoreviz.datasets.idx import ImageDataset
from scoreviz.lab.images import frames as fr
from scoreviz.lab.frames import ProcessFrame, ScheduleFrame
from scoreviz.lab.images.session import ImageSession

GRID = 8 * 29 + 1          # a montage row of 8 tiles of 28 pixels with 1-pixel borders


@pytest.fixture
def dataset():
    gen = torch.Generator().manual_seed(0)
    images = torch.rand((64, 1, 28, 28), generator=gen)
    labels = torch.randint(0, 10, (64,), generator=gen)
    return ImageDataset("random", images, labels, [str(k) for k in range(10)], "memory")


@pytest.fixture
def session(dataset, one_torch_thread):
    s = ImageSession(model_size="tiny", device="cpu")
    s.set_data(dataset)
    return s


def _of(session: ImageSession, kind: type) -> list:
    return [f for f in session.frames if isinstance(f, kind)]


def _run(session: ImageSession, **request) -> list[fr.SampleFrame]:
    assert session.start_sampling(fr.ImageSampleRequest(**request)), session.messages
    frames = []
    while session.sampling:
        frame = session.sample_step()
        if frame is not None:
            frames.append(frame)
    return frames


def test_new_data_reports_data_process_model_and_training(session, dataset):
    kinds = [type(f) for f in session.frames]
    assert kinds == [fr.DataReady, ProcessFrame, ScheduleFrame, fr.ModelInfo, fr.ImageTrainingFrame]
    ready, process, _schedule, info, training = session.frames
    assert ready.n == 64 and ready.class_names == tuple(dataset.class_names)
    assert process.is_sde and 0 < process.noise_min < 0.01 and process.noise_max > 5
    assert info.size == "tiny" and info.conditional and info.num_classes == 10 and info.source == "new"
    assert training.step == 0 and not training.training
    with pytest.raises(AttributeError):
        training.step = 3                               # frozen
    assert not training.level_centres.flags.writeable   # read-only arrays


def test_training_steps_and_a_sampling_run(session):
    assert session.set_training(True)
    for _ in range(3):
        assert session.train_step()
    frame = session.training_frame()
    assert frame.step == 3 and frame.training and len(frame.loss_history) == 3
    assert session.guide is session.trainer.guide      # the trainer keeps the autoguidance copy itself

    frames = _run(session, sampler="ode", steps=7, seed=0, n=8, class_label=7, guidance=2.0)   # NFE 2·3 + 1
    assert [f.index for f in frames] == [1, 2, 3, 4] and all(f.total == 4 for f in frames)
    assert all(f.samples.shape == (30, GRID) and f.denoised.shape == (30, GRID) for f in frames)
    assert [f.done for f in frames] == [False, False, False, True]
    images = frames[-1].final_images
    assert images.shape == (8, 1, 28, 28) and images.min() >= 0 and images.max() <= 1
    assert not images.flags.writeable
    assert len({f.serial for f in frames}) == 1 and session.messages == []


def test_an_unconditional_model_samples_with_the_trainers_early_copy(dataset, one_torch_thread, monkeypatch):
    from scoreviz.core import training

    monkeypatch.setattr(training, "GUIDE_FIRST_MARK", 2)     # early copies at steps 2, 4, 8, ...
    session = ImageSession(model_size="tiny", device="cpu")
    session.configure(conditional=False)
    session.set_data(dataset)
    assert session.guide is None
    session.set_training(True)
    for _ in range(5):
        session.train_step()
    assert session.guide is not None and session.guide is session.trainer.guide
    frames = _run(session, sampler="ode", steps=5, seed=0, n=4, autoguidance=3.0)   # NFE 2·2 + 1
    assert frames[-1].final_images.shape == (4, 1, 28, 28) and session.messages == []


def test_ddpm_with_the_ve_process_is_a_message_not_an_exception(session):
    started = session.start_sampling(fr.ImageSampleRequest(sampler="ddpm", steps=5, seed=0, n=4))
    if started:                 # a sampler that checks its process only on its first step
        assert session.sample_step() is None
    assert not session.sampling
    level, text = session.messages[-1]
    assert level == "warning" and "VP" in text


def test_a_saved_checkpoint_samples_the_same_images(session, tmp_path):
    session.set_training(True)
    for _ in range(2):
        session.train_step()
    path = tmp_path / "digits.pt"
    session.save_checkpoint(path)
    assert session.messages[-1] == ("info", f"Saved the model to {path}")
    request = dict(sampler="em", steps=4, seed=5, n=6)
    before = _run(session, **request)[-1].final_images

    other = ImageSession(model_size="tiny", device="cpu")
    other.open_checkpoint(path)
    info = _of(other, fr.ModelInfo)[-1]
    assert info.source == str(path) and info.size == "tiny" and info.conditional
    assert len(_of(other, ProcessFrame)) == 1
    after = _run(other, **request)[-1].final_images
    np.testing.assert_allclose(after, before, atol=1e-5)


def test_the_sigma_frame_at_sigma_zero_shows_the_real_images(session, dataset):
    session.set_sigma(0.0)
    assert session.preview.stale
    frame = session.sigma_frame()
    assert not session.preview.stale and frame.sigma == 0.0 and frame.has_model
    assert frame.noisy.shape == (4 * 29 + 1, GRID)
    real = dataset.images[:, 0].numpy()
    for r in range(4):
        for c in range(8):
            tile = frame.noisy[1 + 29 * r:29 * (r + 1), 1 + 29 * c:29 * (c + 1)]
            assert np.abs(real - tile).reshape(64, -1).max(axis=1).min() < 1e-6   # one of the data set's images
    np.testing.assert_allclose(frame.denoised, frame.noisy, atol=1e-3)          # D(x, σ → 0) = x
    session.set_sigma(3.0)
    noisy = session.sigma_frame().noisy
    assert np.abs(noisy - frame.noisy).mean() > 0.3        # (montages are clipped to [0, 1])


def test_no_data_and_a_bad_folder_are_reported(tmp_path):
    session = ImageSession(model_size="tiny", device="cpu")
    session.set_training(True)
    assert not session.training and "No data yet" in session.messages[-1][1]
    assert not session.start_sampling(fr.ImageSampleRequest(sampler="ode", steps=2, seed=0))
    assert session.sigma_frame() is None
    empty = tmp_path / "nothing-here"
    empty.mkdir()
    assert not session.load_data("mnist", empty)
    missing = _of(session, fr.DataMissing)[-1]
    assert "nothing-here" in missing.reason and missing.can_download


def test_langevin_runs_at_the_sigma_of_the_slider(session):
    session.set_sigma(0.8)
    frames = _run(session, sampler="langevin", steps=3, seed=0, n=8)
    assert [f.noise_level for f in frames] == pytest.approx([0.8] * 3)


def test_the_schedule_rules_at_the_images_dimension(session):
    frame = _of(session, ScheduleFrame)[-1]
    r = frame.report
    assert r.dim == 28 * 28 and r.level_ratio is not None and 1 < r.level_ratio < 1.2   # the rule binds at D = 784
    assert r.suggested_levels > 2 and r.step_size > 0


def test_the_tick_rules_on_a_fake_clock(dataset, one_torch_thread):
    """One training step a tick, its read-out at most every TRAIN_EMIT s, the σ frame when stale and every
    SIGMA_REFRESH s while training, one sampler step a tick; idle once nothing is due."""
    from fake_clock import FakeClock
    from scoreviz.lab import commands as lab_cmd
    from scoreviz.lab.images import commands as cmd
    from scoreviz.lab.images.session import SIGMA_REFRESH, TRAIN_EMIT

    clock = FakeClock()
    session = ImageSession(model_size="tiny", device="cpu", clock=clock)
    session.set_data(dataset)
    assert session.tick() and _of(session, fr.SigmaFrame)        # the σ frame of the new data
    assert not session.tick()                                    # nothing due: idle
    session.handle(lab_cmd.SetSigma(1e9))                        # the session clamps σ to its process's range
    assert session.tick()
    assert _of(session, fr.SigmaFrame)[-1].sigma == pytest.approx(session.process.noise_range()[1])
    session.handle(lab_cmd.Train(True))
    del session.frames[:]
    for _ in range(10):                                          # 10 ticks in 0.05 s: one read-out
        assert session.tick()
        clock.advance(0.005)
    assert session.trainer.step_count == 10
    assert len(_of(session, fr.ImageTrainingFrame)) == 1 and not _of(session, fr.SigmaFrame)
    clock.advance(TRAIN_EMIT)
    session.tick()
    assert len(_of(session, fr.ImageTrainingFrame)) == 2
    clock.advance(SIGMA_REFRESH)
    session.tick()
    assert len(_of(session, fr.SigmaFrame)) == 1                 # the σ frame again: the model moved
    session.handle(lab_cmd.Train(False))
    session.handle(cmd.Sample(fr.ImageSampleRequest(sampler="ode", steps=3, seed=0, n=4)))
    del session.frames[:]
    ticks = 0
    while session.tick():
        ticks += 1
        assert len(_of(session, fr.SampleFrame)) == ticks           # one sampler step a tick
    frames = _of(session, fr.SampleFrame)
    assert frames[-1].done and not session.sampling and [f.index for f in frames] == list(range(1, ticks + 1))
