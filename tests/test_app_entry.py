"""Start-up everywhere: the installed entry points, --version, `python -m scoreviz.app`, the window's icon and
About box, `scoreviz install-desktop`, and the first-start platform check (no real display needed)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

import scoreviz
from scoreviz.app.startup import platform_check as pc

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")   # the offscreen plugin's note on show()

# ldd's output for PySide6's xcb plugin on a fresh Debian 12 with a display (libxcb-cursor0, libxcb-icccm4 and
# libxcb-keysyms1 missing)
LDD_FRESH_DEBIAN = """\
\tlinux-vdso.so.1 (0x00007ffd5a1f2000)
\tlibQt6XcbQpa.so.6 => /venv/lib/python3.11/site-packages/PySide6/Qt/plugins/platforms/../../lib/libQt6XcbQpa.so.6 (0x00007f3e1c000000)
\tlibxkbcommon-x11.so.0 => /lib/x86_64-linux-gnu/libxkbcommon-x11.so.0 (0x00007f3e1bff0000)
\tlibxcb-cursor.so.0 => not found
\tlibxcb-icccm.so.4 => not found
\tlibxcb-util.so.1 => /lib/x86_64-linux-gnu/libxcb-util.so.1 (0x00007f3e1bfe0000)
\tlibxcb-keysyms.so.1 => not found
\tlibxcb.so.1 => /lib/x86_64-linux-gnu/libxcb.so.1 (0x00007f3e1bfb0000)
\tlibxcb-cursor.so.0 => not found
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f3e1bc00000)
\t/lib64/ld-linux-x86-64.so.2 (0x00007f3e1d000000)
"""


def _env(tmp_path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_STATE_HOME=str(tmp_path / "state"),
               XDG_CACHE_HOME=str(tmp_path / "cache"))
    env.update(extra)
    return env


def _run(args, env, timeout=120):
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)


# --- entry points and version -------------------------------------------------------------------------------

def test_entry_points_are_in_the_installed_metadata():
    console = {e.name: e.value for e in metadata.entry_points(group="console_scripts") if e.dist.name == "scoreviz"}
    gui = {e.name: e.value for e in metadata.entry_points(group="gui_scripts") if e.dist.name == "scoreviz"}
    assert console == {"scoreviz": "scoreviz.cli:main"}
    assert gui == {"scoreviz-app": "scoreviz.app.startup.launch:main"}


def test_the_version_lives_in_one_place():
    assert scoreviz.__version__ == metadata.version("scoreviz")
    text = (ROOT / "pyproject.toml").read_text()
    assert f'version = "{scoreviz.__version__}"' in text


@pytest.mark.parametrize("module", ["scoreviz", "scoreviz.app"])
def test_version_of_both_commands(module, tmp_path):
    proc = _run(["-m", module, "--version"], _env(tmp_path), timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"scoreviz {scoreviz.__version__}"


def test_installed_scripts_answer_version(tmp_path):
    for name in ("scoreviz", "scoreviz-app"):
        script = Path(sys.executable).parent / name
        if not script.is_file():
            pytest.skip(f"{name} is not installed beside this Python")
        proc = subprocess.run([str(script), "--version"], env=_env(tmp_path), capture_output=True, text=True,
                              timeout=60)
        assert proc.returncode == 0 and scoreviz.__version__ in proc.stdout, proc.stderr


def test_scoreviz_gui_hands_its_arguments_to_the_launcher(capsys):
    from scoreviz.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["gui", "--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"scoreviz {scoreviz.__version__}"
    with pytest.raises(SystemExit) as stop:
        main(["gui", "--no-such-option"])
    assert stop.value.code == 2
    assert "scoreviz-app" in capsys.readouterr().err


def test_python_m_scoreviz_app_takes_an_offscreen_screenshot(tmp_path):
    out = tmp_path / "shot.png"
    proc = _run(["-m", "scoreviz.app", "--screenshot", str(out), "--preset", "moons", "--quit-after", "20",
                 "--size", "900x640"], _env(tmp_path, QT_QPA_PLATFORM="offscreen"), timeout=150)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert out.is_file() and out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000


def test_launcher_help_shows_defaults_and_examples(capsys):
    from scoreviz.app.startup.launch import main

    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    assert "examples:" in text and "(default: 1440x900)" in text and "--version" in text


# --- resources, icon, About box, desktop entry --------------------------------------------------------------

def test_resources_ship_inside_the_package():
    from scoreviz.paths import resource_path

    for name in ("scoreviz.svg", "scoreviz.png", "scoreviz.desktop"):
        assert resource_path(name).is_file(), name
    assert resource_path("scoreviz.png").read_bytes()[:4] == b"\x89PNG"
    entry = resource_path("scoreviz.desktop").read_text()
    assert "Icon=scoreviz" in entry and "Exec=scoreviz-app" in entry and "Type=Application" in entry


def test_window_icon_and_about_box_with_copy(qtbot, tmp_path):
    import torch

    from app_helpers import make_window
    from scoreviz.app.window.about import AboutDialog
    from scoreviz.app.qt import QtCore, QtGui, QtWidgets

    window = make_window(qtbot, tmp_path, start_worker=False)
    assert not window.windowIcon().isNull()
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    about = next(a for a in help_menu.actions() if a.text() == "About scoreviz")
    about.trigger()
    dialog = next(w for w in QtWidgets.QApplication.topLevelWidgets() if isinstance(w, AboutDialog))
    qtbot.waitExposed(dialog)
    text = dialog.details.toPlainText()
    rows = dict(re.split(r"\s{2,}", line, maxsplit=1) for line in text.splitlines())
    assert rows["scoreviz"] == scoreviz.__version__
    assert rows["torch"].startswith(torch.__version__)
    assert rows["Qt"].startswith(QtCore.qVersion()) and "PySide6" in rows["Qt"]
    assert rows["device in use"].startswith("cpu")
    for key in ("Python", "CUDA", "MPS", "NumPy", "pyqtgraph"):
        assert rows[key], key
    QtGui.QGuiApplication.clipboard().clear()
    qtbot.mouseClick(dialog.copy_button, QtCore.Qt.MouseButton.LeftButton)
    assert QtGui.QGuiApplication.clipboard().text() == dialog.text == text
    dialog.close()
    window.close()


@pytest.fixture
def closed_logs():
    """In-process CLI runs leave a log file handler open: close it after the test."""
    import logging

    yield
    logger = logging.getLogger("scoreviz")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()


def test_install_desktop_writes_the_entry_and_icons(tmp_path, monkeypatch, capsys, closed_logs):
    from scoreviz.cli import main

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert main(["install-desktop"]) == 0
    entry = tmp_path / "share" / "applications" / "scoreviz.desktop"
    png = tmp_path / "share" / "icons" / "hicolor" / "256x256" / "apps" / "scoreviz.png"
    svg = tmp_path / "share" / "icons" / "hicolor" / "scalable" / "apps" / "scoreviz.svg"
    assert entry.is_file() and png.is_file() and svg.is_file()
    text = entry.read_text()
    exec_line = next(ln for ln in text.splitlines() if ln.startswith("Exec="))
    assert Path(exec_line[5:].split()[0].strip('"')).is_absolute(), exec_line   # venvs are not on the menu's PATH
    assert "Icon=scoreviz" in text
    assert str(entry) in capsys.readouterr().out
    assert main(["install-desktop", "--uninstall"]) == 0
    assert not entry.exists() and not png.exists() and not svg.exists()


# --- the first-start platform check --------------------------------------------------------------------------

def test_no_display_gives_one_clear_message():
    message = pc.check_platform(env={}, platform="linux", ldd=lambda p: pytest.fail("no ldd without a display"))
    assert "no display" in message
    assert "QT_QPA_PLATFORM=offscreen python main.py" in message and "--screenshot out.png" in message
    assert "scoreviz --help" in message


@pytest.mark.parametrize("env", [{"QT_QPA_PLATFORM": "offscreen"}, {"WAYLAND_DISPLAY": "wayland-0"},
                                 {"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}])
def test_no_check_where_xcb_is_not_the_plugin(env):
    assert pc.check_platform(env=env, platform="linux", ldd=lambda p: pytest.fail("xcb not in use")) is None


def test_other_systems_are_not_checked():
    assert pc.check_platform(env={}, platform="darwin") is None
    assert pc.check_platform(env={}, platform="win32") is None


def test_missing_xcb_libraries_are_named_with_install_commands(monkeypatch):
    monkeypatch.setattr(pc, "xcb_plugin", lambda: Path("/venv/PySide6/Qt/plugins/platforms/libqxcb.so"))
    assert pc.missing_libraries(LDD_FRESH_DEBIAN) == ["libxcb-cursor.so.0", "libxcb-icccm.so.4",
                                                      "libxcb-keysyms.so.1"]
    for env in ({"DISPLAY": ":0"}, {"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "wayland-0"}):
        message = pc.check_platform(env=env, platform="linux", ldd=lambda p: LDD_FRESH_DEBIAN,
                                    x_server=lambda d: True)
        assert "libxcb-cursor.so.0, libxcb-icccm.so.4, libxcb-keysyms.so.1" in message
        assert "sudo apt-get install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1" in message
        assert "sudo dnf install xcb-util-cursor xcb-util-wm xcb-util-keysyms" in message
        assert "libqxcb.so" in message
    fine = LDD_FRESH_DEBIAN.replace("not found", "/lib/x86_64-linux-gnu/found.so (0x1)")
    assert pc.check_platform(env={"DISPLAY": ":0"}, platform="linux", ldd=lambda p: fine,
                             x_server=lambda d: True) is None


def test_a_display_where_no_x_server_answers(monkeypatch):
    monkeypatch.setattr(pc, "xcb_plugin", lambda: Path("/venv/libqxcb.so"))
    fine = "\tlibxcb.so.1 => /lib/libxcb.so.1 (0x1)\n"
    message = pc.check_platform(env={"DISPLAY": ":42"}, platform="linux", ldd=lambda p: fine,
                                x_server=lambda d: False)
    assert "DISPLAY is ':42'" in message and "no X server answers" in message and "offscreen" in message
    # cannot tell (an unusual DISPLAY): Qt decides
    assert pc.check_platform(env={"DISPLAY": "odd"}, platform="linux", ldd=lambda p: fine,
                             x_server=lambda d: None) is None


def test_x_server_answers_connects_without_speaking():
    import socket

    assert pc.x_server_answers("no-colon") is None
    assert pc.x_server_answers(":4242") is False                 # no such local display
    for number in range(300, 400):                               # a listener standing in for localhost:N
        server = socket.socket()
        try:
            server.bind(("127.0.0.1", 6000 + number))
        except OSError:
            server.close()
            continue
        with server:
            server.listen(1)
            assert pc.x_server_answers(f"127.0.0.1:{number}.0") is True
        assert pc.x_server_answers(f"127.0.0.1:{number}", timeout=0.5) is False
        return
    pytest.skip("no free port in 6300–6399")


def test_an_unknown_missing_library_gets_a_search_hint():
    text = pc.install_advice(["libxcb-cursor.so.0", "libweird.so.3"])
    assert "libxcb-cursor0" in text and "apt-file search libweird.so.3" in text and "dnf provides" in text


def test_a_failed_qt_import_is_explained():
    exc = ImportError("libEGL.so.1: cannot open shared object file: No such file or directory")
    text = pc.explain_import_error(exc)
    assert "libEGL.so.1" in text and "sudo apt-get install libegl1" in text and "libglvnd-egl" in text


def test_real_ldd_output_parses():
    plugin = pc.xcb_plugin()
    if plugin is None or not pc.shutil.which("ldd"):
        pytest.skip("no xcb plugin or no ldd here")
    output = pc._run_ldd(plugin)
    assert "libQt6XcbQpa" in output
    assert all(name.endswith(tuple(f".so.{i}" for i in range(10))) or ".so" in name
               for name in pc.missing_libraries(output))


def test_launcher_without_a_display_exits_2_before_qt(tmp_path):
    proc = _run(["-m", "scoreviz.app", "--preset", "moons"], _env(tmp_path), timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.startswith("scoreviz: no display found")
    assert "qt.qpa" not in proc.stderr and "Traceback" not in proc.stderr


def test_worker_exceptions_keep_their_traceback_in_the_log_file(qtbot, tmp_path, monkeypatch, closed_logs):
    from dataclasses import dataclass

    from scoreviz.app.workers.ticking import TickingWorker
    from scoreviz.logs import setup_logging

    @dataclass(frozen=True)
    class Explode:
        pass

    class Exploding:
        def handle(self, command):
            raise RuntimeError("kaboom")

    class Broken(TickingWorker):
        session = Exploding()

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    log_path = setup_logging(0)
    assert log_path == tmp_path / "state" / "scoreviz" / "log" / "scoreviz.log"
    worker = Broken()
    with qtbot.waitSignal(worker.message) as shown:
        worker.handle(Explode())                # called in this thread: the window's message, and the log
    assert shown.args == ["error", "Explode: kaboom"]
    text = log_path.read_text()
    assert "worker command Explode failed" in text and "Traceback" in text and "RuntimeError: kaboom" in text
