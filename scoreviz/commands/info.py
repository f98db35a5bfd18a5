"""`scoreviz info`: versions, devices, and every folder scoreviz reads or writes, in the order it looks.

What a user needs to answer "which torch, which GPU, where did my MNIST go, where is the log?" and what a bug
report needs, in one screen (or as JSON with --json).
"""
from __future__ import annotations

from scoreviz.cli_options import DOWNLOADABLE
from scoreviz.core.device import available_devices, resolve_device
from scoreviz.core.environment import environment_rows, format_rows
from scoreviz.datasets.idx import find_idx_pairs
from scoreviz.datasets.locate import DATA_ENV_VAR, candidate_dirs, default_download_dir
from scoreviz.logs import log_file
from scoreviz.paths import cache_dir, classifier_cache_dir, settings_file

def gather() -> dict:
    """Everything `scoreviz info` shows, as plain data."""
    data = {}
    for shown, name in DOWNLOADABLE.items():
        download_dir = default_download_dir(name)
        data[shown] = [{"folder": str(folder), "found": bool(find_idx_pairs(folder)),
                        "downloads_go_here": folder == download_dir} for folder in candidate_dirs(name)]
    return {
        "versions": dict(environment_rows()),
        "devices": {"available": available_devices(), "auto": str(resolve_device("auto"))},
        "data": data,
        "folders": {"cache": str(cache_dir()), "classifier weights": str(classifier_cache_dir()),
                    "log file": str(log_file()), "window settings": settings_file()},
    }


def _text(report: dict) -> str:
    lines = [format_rows(list(report["versions"].items())), ""]
    devices = report["devices"]
    lines.append(f"devices: {', '.join(devices['available'])} (auto picks {devices['auto']})")
    lines.append("")
    lines.append(f"data, looked for in this order (✓ found; --data mnist:DIR or ${DATA_ENV_VAR} add a folder):")
    for shown, folders in report["data"].items():
        lines.append(f"  {shown}:")
        for f in folders:
            mark = "✓" if f["found"] else "·"
            note = "   ← scoreviz download puts it here" if f["downloads_go_here"] else ""
            lines.append(f"    {mark} {f['folder']}{note}")
    lines.append("")
    lines.append(format_rows(list(report["folders"].items())))
    return "\n".join(lines)


def info(args) -> dict | None:
    """Print the report (text, or returned as a dict for --json)."""
    report = gather()
    if getattr(args, "json", False):
        return report
    print(_text(report))
    return None
