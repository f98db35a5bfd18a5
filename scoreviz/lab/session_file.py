"""Saved sessions: the data (presets, files, painted points and grids), every setting, the schedule, the view
and the trained model in ONE file, so tomorrow's lecture opens where today's preparation ended.

A session with a trained model is a scoreviz checkpoint (`core.checkpoint`) with one more key, "session", so
`scoreviz sample --checkpoint lecture.scoreviz` works on it too; without a model it is a dict of the same
shape without the weights. Either way it is written with `torch.save` as plain tensors, strings and numbers and
read with `torch.load(weights_only=True)`, which refuses anything that would run code. Every way a file can
be wrong becomes a `SessionError` naming the file, and nothing is changed before the whole file has been read.

Versions: 1 stored the Particles panel's length ("sample.steps" of the choices) as the sampler's own steps
(annealed Langevin's spread over its 10 levels); 2 stores it as the run's NFE. A version-1 file is migrated on
read (`migrate_choices`) to the NFE of the run it gave, so it samples as it did.
"""
from __future__ import annotations

import json
import os
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from scoreviz.core.checkpoint import CheckpointError, LoadedCheckpoint, load_checkpoint, save_checkpoint
from scoreviz.core.schedule.training_noise import TrainingNoise

from scoreviz.lab import frames as fr
from scoreviz.lab.data_specs import MAX_WINDOW_DIM
from scoreviz.lab.run_lengths import legacy_window_nfe

FORMAT = "scoreviz-session"
VERSION = 2
#: Older versions read_session still opens, each migrated to VERSION on read.
READABLE_VERSIONS = (1, 2)
SUFFIX = ".scoreviz"


class SessionError(ValueError):
    """A session file that cannot be used; the message says why, naming the file."""


@dataclass(frozen=True)
class SessionContents:
    spec: fr.DataSpec                # the data (version 0: the caller stamps it)
    choices: dict                    # the window's remembered choices (app.window.choices)
    view: tuple[float, float, float, float]
    sigma: float
    overrides: dict                  # the schedule's overrides of the process's data-derived parameters
    noise: TrainingNoise
    checkpoint: LoadedCheckpoint | None   # the trained model (EMA), its process and configuration
    model_state: dict | None         # the raw (non-EMA) weights, to go on training
    steps: int


def write_session(path, *, spec: fr.DataSpec, trainer, choices: dict, view, sigma: float, overrides: dict,
                  noise: TrainingNoise) -> None:
    """Write atomically (a .part file, then rename)."""
    path = Path(path)
    session = {"version": VERSION, "choices": json.dumps(choices), "view": [float(v) for v in view],
               "sigma": float(sigma), "overrides": json.dumps(overrides), "noise": noise.config(),
               "data": _spec_to_tensors(spec)}
    tmp = path.with_name(path.name + ".part")
    if trainer is not None:
        save_checkpoint(tmp, trainer=trainer, data_name=spec.name, fingerprint="", meta={"session": True})
        payload = _read(tmp)
    else:
        payload = {"format": FORMAT, "version": VERSION}
    payload["session"] = session
    torch.save(payload, tmp)
    os.replace(tmp, path)


def read_session(path, device="cpu") -> SessionContents:
    """The whole session, or a SessionError (a checkpoint made by `scoreviz train` also opens: its data and
    model, with today's settings)."""
    path = Path(path)
    if not path.is_file():
        raise SessionError(f"{path}: no such file")
    payload = _read(path)
    if not isinstance(payload, dict) or payload.get("format") not in (FORMAT, "scoreviz-checkpoint"):
        raise SessionError(f"{path}: not a scoreviz session or checkpoint")
    checkpoint = None
    if payload["format"] == "scoreviz-checkpoint":
        try:
            checkpoint = load_checkpoint(path, device)
        except CheckpointError as exc:
            raise SessionError(str(exc)) from None
    session = payload.get("session")
    try:
        if session is None:   # a plain checkpoint: its points (if stored) and its model
            return _from_checkpoint(path, checkpoint, payload)
        version = session.get("version")
        if version not in READABLE_VERSIONS:
            raise SessionError(f"{path}: session format version {version} is not supported "
                               f"(this scoreviz reads versions {', '.join(map(str, READABLE_VERSIONS))})")
        view = tuple(float(v) for v in session["view"])
        if len(view) != 4:
            raise ValueError("the view needs four numbers")
        return SessionContents(
            spec=_spec_from_tensors(session["data"]),
            choices=migrate_choices(_json_dict(session["choices"]), version), view=view,
            sigma=float(session["sigma"]), overrides=_json_dict(session["overrides"]),
            noise=TrainingNoise.from_config(session["noise"]), checkpoint=checkpoint,
            model_state=payload.get("model") if checkpoint is not None else None,
            steps=int(payload.get("meta", {}).get("steps", 0)))
    except SessionError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, RuntimeError) as exc:
        raise SessionError(f"{path}: session is damaged ({type(exc).__name__}: {str(exc)[:200]})") from None


def _read(path: Path):
    try:
        with warnings.catch_warnings():   # torch warns about foreign pickles; the error below says it better
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:   # a foreign or damaged file can fail the unpickler in any way
        reason = "truncated or corrupt" if isinstance(exc, (EOFError, zipfile.BadZipFile)) or "zip" in str(exc).lower() \
            else "not a scoreviz session (or one that would run code, which is refused)"
        raise SessionError(f"{path}: cannot read it: {reason}") from None


def _from_checkpoint(path: Path, checkpoint: LoadedCheckpoint, payload: dict) -> SessionContents:
    points = checkpoint.data
    if points.ndim != 2 or points.shape[0] == 0 or points.shape[1] > MAX_WINDOW_DIM:
        raise SessionError(f"{path}: this checkpoint holds no points to show (image models open in the image mode)")
    pts = points.float().numpy()
    spec = fr.DataSpec(version=0, name=checkpoint.data_name or "checkpoint data", train=pts, heldout=pts)
    lo, hi = spec.bounds(0.12)
    view = (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])) if spec.dim >= 2 else \
        (float(lo[0]), float(hi[0]), -1.0, 1.0)
    return SessionContents(spec=spec, choices={"train.process": checkpoint.process.name}, view=view,
                           sigma=float(np.sqrt(np.prod(checkpoint.process.noise_range()))), overrides={},
                           noise=checkpoint.noise, checkpoint=checkpoint, model_state=payload.get("model"),
                           steps=int(checkpoint.meta.get("steps", 0)))


def migrate_choices(choices: dict, version: int) -> dict:
    """The window's choices of a session file of `version`, as VERSION stores them: version 1's "sample.steps"
    (the sampler's own steps, for the "sample.sampler" chosen) becomes the NFE of the same run. Without a known
    sampler the length is left as it was (the panel keeps its own sampler, so no conversion is right)."""
    out = dict(choices)
    sampler, steps = out.get("sample.sampler"), out.get("sample.steps")
    if version < 2 and isinstance(steps, int) and steps > 0 and sampler is not None:
        try:
            out["sample.steps"] = legacy_window_nfe(str(sampler), steps)
        except ValueError:   # a sampler this scoreviz does not know: the panel ignores it anyway
            pass
    return out


def _json_dict(text) -> dict:
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError("expected a JSON object")
    return value


def _spec_to_tensors(spec: fr.DataSpec) -> dict:
    out = {"name": spec.name, "train": torch.from_numpy(np.array(spec.train)),
           "heldout": torch.from_numpy(np.array(spec.heldout))}
    if spec.mixture is not None:
        m = spec.mixture
        out["mixture"] = {k: torch.from_numpy(np.array(getattr(m, k))) for k in ("weights", "means", "covs")}
    if spec.grid is not None:
        out["grid"] = {"values": torch.from_numpy(np.array(spec.grid.values)), "bounds": list(spec.grid.bounds)}
    return out


def _spec_from_tensors(d: dict) -> fr.DataSpec:
    mixture = grid = None
    if "mixture" in d:
        mixture = fr.MixtureSpec(**{k: d["mixture"][k].numpy() for k in ("weights", "means", "covs")})
    if "grid" in d:
        grid = fr.GridSpec(values=d["grid"]["values"].numpy(), bounds=tuple(float(v) for v in d["grid"]["bounds"]))
    train = d["train"].float().numpy()
    if train.ndim != 2 or train.shape[0] == 0 or train.shape[1] > MAX_WINDOW_DIM:
        raise ValueError(f"the session's data are {tuple(train.shape)}: the window shows points up to "
                         f"{MAX_WINDOW_DIM}-D")
    return fr.DataSpec(version=0, name=str(d["name"]), train=train, heldout=d["heldout"].float().numpy(),
                       mixture=mixture, grid=grid)
