"""The image mode widget driven with pytest-qt (offscreen): a tiny model on a few hundred shared MNIST images."""
from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pytestqt")
pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")  # the offscreen plugin's note on show()

from local_server import bypass_proxies, idx_gz, serve  # noqa: E402
from shared_mnist import first_digits  # noqa: E402
from scoreviz.app.image_mode import ImageModeWidget  # noqa: E402
from scoreviz.core import training as training_module  # noqa: E402
from scoreviz.lab.images import data as data_module  # noqa: E402

WAIT = 30_000


@pytest.fixture(scope="module")
def digits():
    images, labels = first_digits(300)
    return images, labels.astype(np.uint8)      # as IDX files hold them (the local server's mirror)


@pytest.fixture
def npz_file(digits, tmp_path):
    path = tmp_path / "digits.npz"
    np.savez(path, x=digits[0], y=digits[1].astype(np.int64))
    return path


def _make(qtbot, tmp_path, **kwargs) -> ImageModeWidget:
    from PySide6 import QtCore

    from scoreviz.app.window.settings import Settings

    settings = Settings(QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat))
    widget = ImageModeWidget(model_size="tiny", device="cpu", threads=1, settings=settings, **kwargs)
    qtbot.addWidget(widget)
    widget.resize(1100, 800)
    widget.show()
    return widget


def _close(widget: ImageModeWidget) -> None:
    assert widget.shutdown()
    assert widget._thread.isFinished()


def test_train_sample_slider_save(qtbot, npz_file, tmp_path, monkeypatch):
    monkeypatch.setattr(training_module, "GUIDE_FIRST_MARK", 4)   # early copies at steps 4, 8, 16, ...
    widget = _make(qtbot, tmp_path, data_dir=npz_file)
    try:
        qtbot.waitUntil(lambda: widget.data_info is not None and widget.model_info is not None, timeout=WAIT)
        assert widget.data_info.n == 300 and not widget.data_panel.download_frame.isVisible()
        assert widget.model_info.size == "tiny" and widget.model_info.conditional  # conditional by default
        widget.model_panel.conditional.setChecked(False)
        qtbot.waitUntil(lambda: not widget.model_info.conditional, timeout=WAIT)
        assert not widget.sampling_panel.class_combo.isEnabled()

        # σ slider: real images noised at σ beside the model's denoising of them
        widget.set_sigma(2.0)
        qtbot.waitUntil(lambda: abs(widget._latest.get(widget_frames().SigmaFrame, _Nothing).sigma - 2.0) < 0.05,
                        timeout=WAIT)
        qtbot.waitUntil(lambda: widget.noisy_view.shape is not None, timeout=WAIT)
        noisy = widget.noisy_view.item.image
        assert noisy.shape == (4 * 29 + 1, 8 * 29 + 1)
        # the slider shows the σ the session reports (its SigmaFrame, drawn at the next repaint)
        qtbot.waitUntil(lambda: widget.sigma_bar.label.text().startswith("σ = 2 "), timeout=WAIT)

        # training: the stats arrive, the step count grows
        widget.set_training(True)
        status = widget.training_panel.status
        qtbot.waitUntil(lambda: "step" in status.text() and _train_step(widget) >= 15, timeout=WAIT)
        widget.set_training(False)
        assert "images/s" in status.text() and "cpu" in status.text()
        assert widget.training_panel.level_curve.getData()[0] is not None
        # an unconditional model keeps an early copy of itself for autoguidance (the copy from the last mark but one)
        session = widget.worker.session
        assert session.guide is not None and session.guide is session.trainer.guide
        autoguidance = widget.sampling_panel.autoguidance
        assert autoguidance.isEnabled() and autoguidance.value() == 3.0

        # sampling: every step reaches the grid and the Tweedie grid; the last one holds the images
        sampling = widget.sampling_panel
        sampling.sampler.setCurrentIndex(sampling.sampler.findData("em"))
        assert sampling.steps.value() == 201  # the recipe's NFE for the sampler: 200 steps + the final one
        sampling.steps.setValue(7)            # NFE: 6 steps + the final denoising step
        before = widget.sample_frames
        qtbot.mouseClick(sampling.sample, _left())
        qtbot.waitUntil(lambda: widget.last_images is not None, timeout=WAIT)
        assert widget.sample_frames - before == 7  # 6 steps + the final denoising step
        qtbot.waitUntil(lambda: "done" in sampling.status.text(), timeout=WAIT)
        assert widget.samples_view.item.image.shape == (8 * 29 + 1, 8 * 29 + 1)
        assert widget.denoised_view.item.image.shape == (8 * 29 + 1, 8 * 29 + 1)
        assert widget.last_images.shape == (64, 1, 28, 28)
        assert sampling.save_png.isEnabled()

        # save the grid
        png = widget.save_png(tmp_path / "grid.png")
        from PIL import Image

        with Image.open(png) as im:
            assert im.size == (8 * 30 + 2, 8 * 30 + 2)

        # class-conditional: class and guidance become available, "show me a 7"
        widget.model_panel.conditional.setChecked(True)
        qtbot.waitUntil(lambda: widget.model_info.conditional, timeout=WAIT)
        assert sampling.class_combo.isEnabled() and sampling.guidance.isEnabled()
        assert sampling.class_combo.count() == 11
        sampling.class_combo.setCurrentIndex(sampling.class_combo.findData(7))
        sampling.sampler.setCurrentIndex(sampling.sampler.findData("ode"))
        sampling.steps.setValue(5)            # NFE: 2 Heun steps + the final denoising step
        widget.last_images = None
        widget.sample()
        qtbot.waitUntil(lambda: widget.last_images is not None, timeout=WAIT)

        # the window repaints and is not blank
        shot = widget.grab().toImage()
        assert shot.width() > 500 and not shot.isNull()
    finally:
        _close(widget)


def test_bad_folder_gives_a_message(qtbot, npz_file, tmp_path):
    widget = _make(qtbot, tmp_path, data_dir=npz_file)
    try:
        qtbot.waitUntil(lambda: widget.data_info is not None, timeout=WAIT)
        empty = tmp_path / "no-digits-here"
        empty.mkdir()
        widget.set_data_dir(empty)
        qtbot.waitUntil(lambda: widget.data_info is None and "no-digits-here" in widget.data_panel.data_label.text(),
                        timeout=WAIT)
        assert "IDX" in widget.data_panel.data_label.text()
        assert widget.data_panel.download_frame.isVisible()
        # the choice is remembered
        assert widget.settings.choices()["images.data_dir"] == str(empty)
        broken = tmp_path / "t10k-images-idx3-ubyte"
        broken.write_bytes(b"\x00\x00\x08\x03" + b"\x00" * 5)
        widget.set_data_dir(broken)
        qtbot.waitUntil(lambda: str(broken) in widget.data_panel.data_label.text(), timeout=WAIT)
    finally:
        _close(widget)


# --------------------------------------------------------------------------------------------- download


@pytest.fixture
def site(digits, tmp_path, monkeypatch):
    bypass_proxies(monkeypatch)
    root = tmp_path / "www"
    root.mkdir()
    files = {"train-images-idx3-ubyte.gz": idx_gz(digits[0][:200]),
             "train-labels-idx1-ubyte.gz": idx_gz(digits[1][:200])}
    for name, data in files.items():
        (root / name).write_bytes(data)
    with serve(root) as base:
        yield base, {n: hashlib.md5(d).hexdigest() for n, d in files.items()}


def test_download_offer_through_the_widget(qtbot, site, tmp_path, monkeypatch):
    monkeypatch.setattr(data_module, "find_dataset", lambda kind, user_dir=None: None)  # "not found"
    base, checksums = site
    widget = _make(qtbot, tmp_path)
    try:
        qtbot.waitUntil(lambda: widget.data_panel.download_frame.isVisible(), timeout=WAIT)
        assert "not found" in widget.data_panel.data_label.text()
        dest = tmp_path / "downloaded"
        widget.download_dest = str(dest)
        widget.download_mirrors = (base + "missing/", base)   # first mirror 404s, the second serves
        widget.download_files = checksums
        qtbot.mouseClick(widget.data_panel.download_button, _left())
        qtbot.waitUntil(lambda: widget.data_info is not None, timeout=WAIT)
        assert widget.data_info.n == 200 and widget.data_panel.download_progress.value() == 1000
        assert sorted(p.name for p in dest.iterdir()) == sorted(checksums)   # no .part files left
        assert not widget.data_panel.download_frame.isVisible() and widget.data_panel.download_button.isEnabled()

        # a mirror serving wrong bytes: a clear message, nothing left behind
        bad = dict(checksums, **{"train-images-idx3-ubyte.gz": "0" * 32})
        dest2 = tmp_path / "bad"
        widget.download_dest, widget.download_files = str(dest2), bad
        widget.start_download()
        qtbot.waitUntil(lambda: widget.data_panel.download_button.isEnabled() and widget.messages
                        and "checksum" in widget.messages[-1][1], timeout=WAIT)
        assert not any(p.name.endswith(".part") for p in dest2.iterdir())
    finally:
        _close(widget)


def test_standalone_entry_point_exits_cleanly(npz_file):
    proc = subprocess.run([sys.executable, "-m", "scoreviz.app.image_mode", "--model", "tiny", "--device", "cpu",
                           "--data", str(npz_file), "--quit-after", "1500"],
                          capture_output=True, text=True, timeout=120,
                          env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    assert proc.returncode == 0, proc.stderr[-2000:]


# --------------------------------------------------------------------------------------------- helpers


class _Nothing:
    sigma = float("nan")


def widget_frames():
    from scoreviz.lab.images import frames as frames

    return frames


def _train_step(widget) -> int:
    frame = widget._latest.get(widget_frames().ImageTrainingFrame)
    return frame.step if frame is not None else 0


def _left():
    from PySide6 import QtCore

    return QtCore.Qt.MouseButton.LeftButton


def test_the_suite_never_writes_the_users_settings(tmp_path_factory):
    """Every way the app opens its settings points into the suite's temporary folder, not ~/.config."""
    from pathlib import Path

    from PySide6 import QtCore

    temp_root = Path(tmp_path_factory.getbasetemp())
    for settings in (QtCore.QSettings("scoreviz", "scoreviz"), QtCore.QSettings()):
        assert Path(settings.fileName()).resolve().is_relative_to(temp_root.resolve()), settings.fileName()
