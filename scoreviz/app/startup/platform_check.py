"""Before the first window: say in words why Qt could not open one, instead of Qt's raw abort.

Run by the launcher before it imports Qt or creates the QApplication, because Qt's own failure ("could not load
the Qt platform plugin xcb", then SIGABRT) names neither the missing system libraries nor what to do. Two
checks, Linux only (Windows and macOS wheels carry their platform plugins whole):

* no display at all (no DISPLAY, no WAYLAND_DISPLAY, no QT_QPA_PLATFORM): point to offscreen runs and the CLI;
* the xcb plugin is the one Qt will load (X11 only, or QT_QPA_PLATFORM=xcb): run `ldd` on PySide6's
  `libqxcb.so` and name each library it reports "not found", with the Debian/Ubuntu and Fedora packages;
  then check that an X server answers at $DISPLAY (a stale DISPLAY makes Qt abort with a message that
  wrongly blames libxcb-cursor0).

This module imports neither PySide6 nor pyqtgraph (it finds the plugin file through the package's spec),
so it works even when importing Qt itself would fail; :func:`explain_import_error` covers that case.
"""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

__all__ = ["SYSTEM_LIBRARIES", "check_platform", "explain_import_error", "missing_libraries", "x_server_answers",
           "xcb_plugin"]

#: shared library → (Debian/Ubuntu package, Fedora package). The first three are what a fresh Debian or
#: Ubuntu desktop lacks (measured: without them Qt aborts with "could not load the Qt platform plugin xcb"); the
#: rest is what PySide6's xcb plugin and QtGui link against.
SYSTEM_LIBRARIES: dict[str, tuple[str, str]] = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb-xinerama.so.0": ("libxcb-xinerama0", "libxcb"),
    "libxcb-xinput.so.0": ("libxcb-xinput0", "libxcb"),
    "libxcb-glx.so.0": ("libxcb-glx0", "libxcb"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libSM.so.6": ("libsm6", "libSM"),
    "libICE.so.6": ("libice6", "libICE"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libOpenGL.so.0": ("libopengl0", "libglvnd-opengl"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libgthread-2.0.so.0": ("libglib2.0-0", "glib2"),
}

_NOT_FOUND = re.compile(r"^\s*(\S+)\s*=>\s*not found", re.MULTILINE)
_CANNOT_OPEN = re.compile(r"(\S+\.so[.\d]*): cannot open shared object file")

NO_DISPLAY_MESSAGE = """\
scoreviz: no display found (neither DISPLAY nor WAYLAND_DISPLAY is set), so the window cannot open.
  To draw the window into a PNG without a display, use Qt's offscreen platform:
      QT_QPA_PLATFORM=offscreen python main.py --preset moons --screenshot out.png
      (or: QT_QPA_PLATFORM=offscreen scoreviz-app --screenshot out.png)
  Everything else works without a display from the command line: scoreviz --help
  (train, sample, eval, schedule, download, info)."""


def xcb_plugin() -> Path | None:
    """PySide6's `plugins/platforms/libqxcb.so`, found from the package's folder without importing it."""
    try:
        spec = importlib.util.find_spec("PySide6")
    except (ImportError, ValueError):
        return None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        for candidate in (Path(folder) / "Qt" / "plugins" / "platforms" / "libqxcb.so",
                          Path(folder) / "plugins" / "platforms" / "libqxcb.so"):
            if candidate.is_file():
                return candidate
    return None


def missing_libraries(ldd_output: str) -> list[str]:
    """The library names `ldd` reports "not found", in order, without duplicates."""
    return list(dict.fromkeys(_NOT_FOUND.findall(ldd_output)))


def _run_ldd(path: Path) -> str:
    ldd = shutil.which("ldd")
    if ldd is None:
        return ""
    try:
        return subprocess.run([ldd, str(path)], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return ""   # cannot tell: let Qt try (its message is then the last word)


def install_advice(libraries: list[str]) -> str:
    """The lines naming `libraries` and the apt-get / dnf commands that install them."""
    debian = list(dict.fromkeys(SYSTEM_LIBRARIES[n][0] for n in libraries if n in SYSTEM_LIBRARIES))
    fedora = list(dict.fromkeys(SYSTEM_LIBRARIES[n][1] for n in libraries if n in SYSTEM_LIBRARIES))
    unknown = [n for n in libraries if n not in SYSTEM_LIBRARIES]
    lines = ["  missing: " + ", ".join(libraries)]
    if debian:
        lines += ["  On Debian / Ubuntu:", "      sudo apt-get install " + " ".join(debian),
                  "  On Fedora:", "      sudo dnf install " + " ".join(fedora)]
    for name in unknown:
        lines.append(f"  {name}: find its package with `apt-file search {name}` or `dnf provides '*/{name}'`")
    return "\n".join(lines)


def _xcb_message(libraries: list[str], plugin: Path) -> str:
    return (f"scoreviz: the window cannot open: Qt's X11 platform plugin needs system libraries this machine "
            f"lacks.\n{install_advice(libraries)}\n"
            f"  (checked with: ldd {plugin} | grep 'not found')\n"
            "  Without a window, QT_QPA_PLATFORM=offscreen and --screenshot, or the scoreviz command line, "
            "still work.")


_DISPLAY = re.compile(r"^(?P<host>[^:]*):(?P<number>\d+)(?:\.\d+)?$")


def x_server_answers(display: str, timeout: float = 2.0) -> bool | None:
    """Whether an X server accepts a connection at `display` (":0", "localhost:10.0", "unix:1"); None when the
    value is not one we can try (Qt then has the last word). Only connects: nothing is sent."""
    found = _DISPLAY.match(display.strip())
    if not found:
        return None
    host, number = found["host"], int(found["number"])
    if host in ("", "unix"):
        path = f"/tmp/.X11-unix/X{number}"
        addresses = [(socket.AF_UNIX, path), (socket.AF_UNIX, "\0" + path)]    # file, then Linux abstract
    else:
        addresses = [(socket.AF_INET, (host, 6000 + number))]
    for family, address in addresses:
        try:
            with socket.socket(family, socket.SOCK_STREAM) as conn:
                conn.settimeout(timeout)
                conn.connect(address)
                return True
        except OSError:
            continue
    return False


def _no_x_server_message(display: str) -> str:
    return (f"scoreviz: DISPLAY is {display!r}, but no X server answers there, so the window cannot open.\n"
            "  Check DISPLAY (a terminal left over from another session keeps an old one; `ssh -X` sets it),\n"
            "  or run without a display: QT_QPA_PLATFORM=offscreen scoreviz-app --screenshot out.png, "
            "or the command line: scoreviz --help.")


def _uses_xcb(env) -> bool:
    """True when Qt will load the xcb plugin: QT_QPA_PLATFORM names it first, or it is unset and X11 is the
    only display (with WAYLAND_DISPLAY set Qt tries Wayland first, and we should not block a working one)."""
    chosen = env.get("QT_QPA_PLATFORM", "").strip()
    if chosen:
        return chosen.split(";")[0].split(":")[0] == "xcb"
    return bool(env.get("DISPLAY")) and not env.get("WAYLAND_DISPLAY")


def check_platform(env=None, platform: str | None = None, ldd=_run_ldd,
                   x_server=x_server_answers) -> str | None:
    """None when Qt can be expected to open a window (or we cannot tell), else the message to print.

    Args:
        env: the environment (default: ``os.environ``).
        platform: ``sys.platform`` (tests pass "linux" or "darwin").
        ldd: ``ldd(path) -> output``; tests pass canned output.
        x_server: ``x_server(display) -> bool | None``, whether an X server answers there.
    """
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if not platform.startswith("linux"):
        return None
    if not (env.get("QT_QPA_PLATFORM") or env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        return NO_DISPLAY_MESSAGE
    if _uses_xcb(env):
        plugin = xcb_plugin()
        if plugin is not None:
            missing = missing_libraries(ldd(plugin))
            if missing:
                return _xcb_message(missing, plugin)
        display = env.get("DISPLAY", "")
        if display and x_server(display) is False:      # Qt would say "could not connect" and abort
            return _no_x_server_message(display)
    return None


def explain_import_error(exc: ImportError) -> str:
    """The message for a PySide6 import that failed on a missing system library (libEGL, libGL, …)."""
    found = _CANNOT_OPEN.findall(str(exc))
    if not found:
        return (f"scoreviz: cannot import Qt (PySide6): {exc}\n"
                "  Reinstall it with: python -m pip install --force-reinstall PySide6-Essentials")
    return (f"scoreviz: cannot import Qt (PySide6): a system library is missing.\n{install_advice(found)}")
