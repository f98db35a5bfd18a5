"""Reading a diffusers ``scheduler_config.json`` (or a k-diffusion / EDM σ range) into a noise process, without
diffusers.

Keys read (diffusers' defaults where absent, those of DDPMScheduler):

    beta_schedule ("linear"), beta_start (1e-4), beta_end (0.02), num_train_timesteps (1000), trained_betas,
    prediction_type ("epsilon"), timestep_spacing ("leading"), steps_offset (0), rescale_betas_zero_snr (false)
    sigma_min, sigma_max, rho (7)   EDM / k-diffusion: with no β schedule, a VE process over [σ_min, σ_max]
    _class_name                     FlowMatch…Scheduler: the flow process (its ``shift`` only reparametrises
                                    the sampler's times and is reported, not applied)

Every other key is listed in ``ignored`` and otherwise left alone (samplers' options such as clip_sample or
set_alpha_to_one). A file that is not JSON, not an object, has a value of the wrong type or range, or names a
beta_schedule this module does not compute is one :class:`SchedulerConfigError` naming the file.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from scoreviz import names
from scoreviz.core.discrete_process import DiscreteVP
from scoreviz.core.flow_process import FlowProcess
from scoreviz.core.process_base import NoiseProcess
from scoreviz.core.processes import VESDE
from scoreviz.core.schedule.discrete import BETA_SCHEDULES, TIMESTEP_SPACINGS

__all__ = ["PREDICTION_TYPES", "SchedulerConfig", "SchedulerConfigError", "read_scheduler_config",
           "scheduler_config_from_dict"]

#: diffusers' prediction_type values (flow schedulers predict the velocity).
PREDICTION_TYPES = tuple(names.PREDICTION_TYPES)
_METADATA = ("_class_name", "_diffusers_version")
_NUMBERS = {"beta_start": 1e-4, "beta_end": 0.02, "sigma_min": None, "sigma_max": None, "rho": 7.0,
            "shift": 1.0}
_READ = set(_NUMBERS) | {"beta_schedule", "num_train_timesteps", "trained_betas", "prediction_type",
                         "timestep_spacing", "steps_offset", "rescale_betas_zero_snr", *_METADATA}


class SchedulerConfigError(ValueError):
    """A scheduler config that cannot be read; the message names the file and says why, in one line."""


@dataclass(frozen=True)
class SchedulerConfig:
    """What a scheduler config says, checked. ``kind``: "discrete" (β's), "edm" (σ range) or "flow"."""

    kind: str
    beta_schedule: str = "linear"
    beta_start: float = 1e-4
    beta_end: float = 0.02
    num_train_timesteps: int = 1000
    trained_betas: tuple[float, ...] | None = None
    prediction_type: str = "epsilon"
    timestep_spacing: str = "leading"
    steps_offset: int = 0
    rescale_betas_zero_snr: bool = False
    sigma_min: float | None = None
    sigma_max: float | None = None
    rho: float = 7.0
    shift: float = 1.0
    class_name: str | None = None
    ignored: tuple[str, ...] = field(default=())   # keys present but not read (sorted)
    source: str = ""

    def process(self, *, rescale_zero_snr: bool | None = None, timestep_spacing: str | None = None) -> NoiseProcess:
        """The noise process; `rescale_zero_snr` / `timestep_spacing` override the file's (None: the file's)."""
        if self.kind == "edm":
            return VESDE(sigma_min=self.sigma_min, sigma_max=self.sigma_max, rho=self.rho)
        if self.kind == "flow":
            return FlowProcess()
        rescale = self.rescale_betas_zero_snr if rescale_zero_snr is None else rescale_zero_snr
        trained = self.trained_betas is not None
        return DiscreteVP(beta_schedule="trained" if trained else self.beta_schedule, beta_start=self.beta_start,
                          beta_end=self.beta_end, num_train_timesteps=self.num_train_timesteps,
                          trained_betas=self.trained_betas, rescale_zero_snr=bool(rescale),
                          timestep_spacing=timestep_spacing or self.timestep_spacing)


def read_scheduler_config(path) -> SchedulerConfig:
    """The config in the JSON file at `path` (SchedulerConfigError for anything wrong with it)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SchedulerConfigError(f"{path}: cannot read the scheduler config ({exc.__class__.__name__})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SchedulerConfigError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: "
                                   f"{exc.msg})") from None
    return scheduler_config_from_dict(data, source=str(path))


def scheduler_config_from_dict(data, source: str = "scheduler config") -> SchedulerConfig:
    """The config of a parsed JSON object `data` (SchedulerConfigError naming `source` if it is wrong)."""
    try:
        return _parse(data, source)
    except (TypeError, ValueError) as exc:
        raise SchedulerConfigError(f"{source}: {exc}") from None


def _parse(data, source: str) -> SchedulerConfig:
    if not isinstance(data, dict):
        raise TypeError(f"a scheduler config is a JSON object, not {type(data).__name__}")
    values = {k: _number(data, k, default) for k, default in _NUMBERS.items()}
    class_name = _choice(data, "_class_name", None, None)
    common = dict(
        num_train_timesteps=_integer(data, "num_train_timesteps", 1000, 2),
        prediction_type=_choice(data, "prediction_type", "epsilon", PREDICTION_TYPES),
        timestep_spacing=_choice(data, "timestep_spacing", "leading", TIMESTEP_SPACINGS),
        steps_offset=_integer(data, "steps_offset", 0, 0),
        rescale_betas_zero_snr=_flag(data, "rescale_betas_zero_snr"),
        class_name=class_name, ignored=tuple(sorted(set(data) - _READ)), source=source, **values)
    trained = data.get("trained_betas")
    if class_name is not None and class_name.startswith("FlowMatch"):
        return SchedulerConfig("flow", **{**common, "prediction_type": "flow"})
    if trained is None and "beta_schedule" not in data and values["sigma_max"] is not None:
        if values["sigma_min"] is None or not 0 < values["sigma_min"] < values["sigma_max"]:
            raise ValueError(f"an EDM σ range needs 0 < sigma_min < sigma_max (got {values['sigma_min']}, "
                             f"{values['sigma_max']})")
        return SchedulerConfig("edm", **common)
    schedule = _choice(data, "beta_schedule", "linear", None)
    if trained is not None:
        if not (isinstance(trained, list) and len(trained) >= 2 and all(_is_number(b) for b in trained)):
            raise TypeError("trained_betas must be a list of at least 2 numbers")
        return SchedulerConfig("discrete", trained_betas=tuple(float(b) for b in trained),
                               **{**common, "num_train_timesteps": len(trained)})
    if schedule not in BETA_SCHEDULES:
        raise ValueError(f"unsupported beta_schedule {schedule!r}; this reader computes "
                         f"{', '.join(BETA_SCHEDULES)} (or trained_betas)")
    if not 0 < values["beta_start"] <= values["beta_end"] < 1:
        raise ValueError(f"need 0 < beta_start ≤ beta_end < 1 (got {values['beta_start']}, {values['beta_end']})")
    return SchedulerConfig("discrete", beta_schedule=schedule, **common)


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _number(data: dict, key: str, default):
    v = data.get(key)
    if v is None:
        return default
    if not _is_number(v):
        raise TypeError(f"{key} must be a number (got {v!r})")
    return float(v)


def _integer(data: dict, key: str, default: int, least: int) -> int:
    v = data.get(key, default)
    if not (_is_number(v) and float(v).is_integer() and v >= least):
        raise TypeError(f"{key} must be an integer ≥ {least} (got {v!r})")
    return int(v)


def _flag(data: dict, key: str) -> bool:
    v = data.get(key, False)
    if not isinstance(v, bool):
        raise TypeError(f"{key} must be true or false (got {v!r})")
    return v


def _choice(data: dict, key: str, default, choices):
    v = data.get(key, default)
    if v is None:
        return default
    if not isinstance(v, str) or (choices is not None and v not in choices):
        allowed = f"one of {', '.join(choices)}" if choices else "a string"
        raise ValueError(f"{key} must be {allowed} (got {v!r})")
    return v
