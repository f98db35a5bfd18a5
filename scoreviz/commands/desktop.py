"""`scoreviz install-desktop`: put scoreviz in this user's application menu (freedesktop.org desktops).

Writes `scoreviz.desktop` into `$XDG_DATA_HOME/applications` and the icon into the hicolor theme
(`icons/hicolor/256x256/apps/scoreviz.png`, `icons/hicolor/scalable/apps/scoreviz.svg`), with
XDG_DATA_HOME defaulting to `~/.local/share` as the XDG Base Directory spec says. The entry's Exec line is
the absolute path of this installation's `scoreviz-app` (a virtual environment is not on the menu's PATH).
Nothing outside the user's folder is touched; no root needed.
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from scoreviz.paths import resource_path

from scoreviz.commands.errors import UserError

ICON_NAME = "scoreviz"


def data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def targets() -> dict[str, Path]:
    """resource file name → where it is installed."""
    icons = data_home() / "icons" / "hicolor"
    return {"scoreviz.desktop": data_home() / "applications" / "scoreviz.desktop",
            "scoreviz.png": icons / "256x256" / "apps" / f"{ICON_NAME}.png",
            "scoreviz.svg": icons / "scalable" / "apps" / f"{ICON_NAME}.svg"}


def launcher_command() -> str:
    """The Exec value: this environment's scoreviz-app, else this Python with -m scoreviz.app."""
    here = Path(sys.executable).parent / ("scoreviz-app.exe" if os.name == "nt" else "scoreviz-app")
    found = str(here) if here.is_file() else shutil.which("scoreviz-app")
    parts = [found] if found else [sys.executable, "-m", "scoreviz.app"]
    # Desktop Entry spec: arguments with spaces are double-quoted
    return " ".join(f'"{p}"' if " " in p else p for p in parts)


def desktop_entry() -> str:
    lines = resource_path("scoreviz.desktop").read_text(encoding="utf-8").splitlines()
    return "\n".join(f"Exec={launcher_command()}" if ln.startswith("Exec=") else ln for ln in lines) + "\n"


def install_desktop(args) -> None:
    if sys.platform == "darwin" or os.name == "nt":
        raise UserError("install-desktop is for Linux (freedesktop.org) desktops; elsewhere start scoreviz-app")
    places = targets()
    if args.uninstall:
        for path in places.values():
            if path.is_file():
                path.unlink()
                print(f"removed {path}")
        return
    for name, path in places.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if name.endswith(".desktop"):
            path.write_text(desktop_entry(), encoding="utf-8")
        else:
            shutil.copyfile(resource_path(name), path)
        print(f"wrote {path}")
    print("scoreviz is in the application menu (some desktops show it after logging in again).")
