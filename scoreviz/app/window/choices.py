"""The window's choices as one flat dict ("train.process", "sample.n", "view.theme", ...): what Settings
remembers between runs and what the launcher's options set."""
from __future__ import annotations

from scoreviz.lab import data_specs

from scoreviz.app.canvas.sigma_bar import STEPS


def collect(window) -> dict:
    """Every remembered choice of the window, by key."""
    return {"preset": window.data_panel.preset.currentData() or data_specs.DEFAULT_PRESET,
            **{f"train.{k}": v for k, v in window.training_panel.options().items()},
            **{f"sample.{k}": v for k, v in window.sampling_panel.options().items()},
            "sample.speed": window.sampling_panel.steps_per_second,
            "sample.trails": window.sampling_panel.trails.isChecked(),
            **{f"view.{k}": v for k, v in window.view_panel.options().items()},
            "data.radius": window.data_panel.radius.value(), "data.strength": window.data_panel.strength.value(),
            "sigma_fraction": window.sigma_bar.slider.value() / STEPS}


def apply(window, c: dict) -> None:
    """Set the panels from a dict of choices (any subset); a damaged value is ignored, never fatal."""
    def group(prefix):
        return {k[len(prefix):]: v for k, v in c.items() if k.startswith(prefix)}

    try:
        window.training_panel.set_options(group("train."))
        window.sampling_panel.set_options(group("sample."))
        if "sample.speed" in c:
            window.sampling_panel.set_speed(float(c["sample.speed"]))
        if "sample.trails" in c:
            window.sampling_panel.trails.setChecked(bool(c["sample.trails"]))
        view = group("view.")
        if view.get("theme") and view["theme"] != window.theme.name:
            window.set_theme(view["theme"])
        window.view_panel.set_options(view)
        if "data.radius" in c:
            window.data_panel.radius.setValue(int(c["data.radius"]))
        if "data.strength" in c:
            window.data_panel.strength.setValue(int(c["data.strength"]))
        if "sigma_fraction" in c:
            window.sigma_bar.set_fraction(float(c["sigma_fraction"]))
    except (TypeError, ValueError):
        pass
