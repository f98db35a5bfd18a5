"""The image page's process choice: the Model panel's combo sends ConfigureModel with the process fields, the
session trains on that process (flow matching, a published β schedule with zero terminal SNR), the sampling panel
switches to the process's sampler and sampling gives finite images. pytest-qt offscreen, real widgets, a tiny
model on a few shared MNIST images; the session's process is also checked without Qt."""
from __future__ import annotations


import numpy as np
import pytest

from shared_mnist import first_digits
from scoreviz.core.discrete_process import DiscreteVP
from scoreviz.lab.images import commands as cmd
from scoreviz.lab.images.frames import ImageSampleRequest, SampleFrame
from scoreviz.lab.images.session import ImageSession

WAIT = 30_000


@pytest.fixture(scope="module")
def digits():
    return first_digits(64)


@pytest.fixture
def npz_file(digits, tmp_path):
    path = tmp_path / "digits.npz"
    np.savez(path, x=digits[0], y=digits[1])
    return path


def _sample(session: ImageSession, sampler: str, nfe: int) -> np.ndarray:
    session.start_sampling(ImageSampleRequest(sampler=sampler, steps=nfe, seed=0))
    while session.sampling:
        session.sample_step()
    assert not [m for m in session.messages if m[0] in ("warning", "error")], session.messages
    return np.asarray([f for f in session.frames if isinstance(f, SampleFrame)][-1].samples)


def test_the_session_trains_and_samples_each_process_choice(npz_file, one_torch_thread):
    from scoreviz.datasets.idx import load_image_dataset

    session = ImageSession(model_size="tiny", device="cpu")
    session.set_data(load_image_dataset(npz_file))
    default = session.process
    assert default.name == "ve" and default.rho == 7.0          # the recipe's default is unchanged
    expected = {"recipe": ("ve", "dsm"), "vp": ("vp", "dsm"), "flow": ("flow", "fm"), "ddpm": ("discrete", "dsm"),
                "iddpm-cosine": ("discrete", "dsm"), "sd": ("discrete", "dsm"), "sd-zero-snr": ("discrete", "dsm")}
    assert set(expected) == set(cmd.PROCESS_CHOICES)
    for key, (_, fields) in cmd.PROCESS_CHOICES.items():
        session.handle(cmd.ConfigureModel(**fields))
        assert (session.process.name, session.trainer.config.loss) == expected[key], key
        session.set_training(True)
        for _ in range(2):
            session.train_step()
        session.set_training(False)
        sampler = {"discrete": "ddim", "flow": "heun"}.get(session.process.name, "pc")
        assert np.isfinite(_sample(session, sampler, 5)).all(), key
    assert isinstance(session.process, DiscreteVP) and session.process.rescale_zero_snr
    # flow trains with logit-normal times; a configure without process fields keeps the process
    session.handle(cmd.ConfigureModel(**cmd.PROCESS_CHOICES["flow"][1]))
    assert session.trainer.config.noise.distribution == "logit_normal"
    session.handle(cmd.ConfigureModel(conditional=False))
    assert session.process.name == "flow"
    # a choice the recipe cannot train is refused and changes nothing
    for bad in (cmd.ConfigureModel(schedule_preset="edm", rescale_zero_snr=True),
                cmd.ConfigureModel(schedule_preset="ncsnv2-cifar10"), cmd.ConfigureModel(process="nope")):
        with pytest.raises(ValueError):
            session.handle(bad)
        assert session.process.name == "flow"


@pytest.mark.qt_log_ignore("propagateSizeHints")
def test_the_process_combo_sends_the_command_and_the_model_follows(qtbot, npz_file, tmp_path):
    pytest.importorskip("pytestqt")
    from PySide6 import QtCore

    from scoreviz.app.image_mode import ImageModeWidget
    from scoreviz.app.window.settings import Settings

    settings = Settings(QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat))
    widget = ImageModeWidget(model_size="tiny", device="cpu", threads=1, settings=settings, data_dir=npz_file)
    qtbot.addWidget(widget)
    widget.show()
    sent = []
    send = widget.host.send
    widget.host.send = lambda command: (sent.append(command), send(command))
    session = widget.worker.session
    try:
        qtbot.waitUntil(lambda: widget.model_info is not None and session.process is not None, timeout=WAIT)
        assert session.process.name == "ve"
        panel, sampling = widget.model_panel, widget.sampling_panel
        for key, process, sampler in (("flow", "flow", "heun"), ("sd-zero-snr", "discrete", "ddim")):
            panel.process.setCurrentIndex(panel.process.findData(key))
            panel.process.activated.emit(panel.process.currentIndex())     # what a user's pick emits
            configure = [c for c in sent if isinstance(c, cmd.ConfigureModel)][-1]
            assert {k: getattr(configure, k) for k in ("process", "schedule_preset", "rescale_zero_snr")} \
                == cmd.PROCESS_CHOICES[key][1]
            qtbot.waitUntil(lambda: session.process is not None and session.process.name == process, timeout=WAIT)
            qtbot.waitUntil(lambda: sampling.sampler.currentData() == sampler, timeout=WAIT)
            widget.set_training(True)
            qtbot.waitUntil(lambda: session.trainer is not None and session.trainer.step_count >= 3, timeout=WAIT)
            widget.set_training(False)
            sampling.steps.setValue(5)
            widget.last_images = None
            widget.sample()
            qtbot.waitUntil(lambda: widget.last_images is not None, timeout=WAIT)
            assert np.isfinite(widget.last_images).all()
        assert isinstance(session.process, DiscreteVP) and session.process.rescale_zero_snr
        # the choice is remembered with the page's others
        widget.remember()
        assert settings.choices()["images.process"] == "sd-zero-snr"
    finally:
        assert widget.shutdown()
