"""File → Save / Open session inside the 2-D session: write the data, schedule, model and the window's choices to
one file, or replace the whole session by one (`session_file` reads and writes the file).

`SavedSessions` is owned by `session.LabSession` and reaches it only through `SavingHost`.
"""
from __future__ import annotations

from dataclasses import fields, replace
from typing import Callable, Protocol

from scoreviz.lab import commands as cmd
from scoreviz.lab import frames as fr
from scoreviz.lab.data_specs import dataset_from_spec
from scoreviz.lab.field import LiveField
from scoreviz.lab.live_training import LiveTraining
from scoreviz.lab.particles import Particles
from scoreviz.lab.schedule.control import ScheduleControl
from scoreviz.lab.session_file import SessionError, read_session, write_session

#: The window's choices under "train." that are training settings (a file from another version may hold others).
_SETTINGS = {f.name for f in fields(cmd.Configure)}


class SavingHost(Protocol):
    """What saving and opening need of the session."""

    spec: fr.DataSpec | None
    dataset: object            # a core.data dataset, or None on the empty canvas
    training: LiveTraining
    field: LiveField
    particles: Particles
    schedule_control: ScheduleControl

    def adopt_data(self, spec: fr.DataSpec, dataset) -> None:
        """Use these data from now on (data waiting to be applied are dropped)."""

    def use_process(self, process=None) -> None:
        """Use this process (None: make one under the schedule now set) and report it with the σ in use."""

    def mark_stale(self) -> None:
        """Every read-out (field, training, particles, schedule) is to be sent again."""


def saved_settings(choices: dict) -> cmd.Configure:
    """The training settings among a saved session's choices ("train.process", ...)."""
    return cmd.Configure(**{k[len("train."):]: v for k, v in choices.items()
                            if k.startswith("train.") and k[len("train."):] in _SETTINGS})


class SavedSessions:
    def __init__(self, lab: SavingHost, emit: Callable[[object], None], say: Callable[[str, str], None]):
        self.lab, self.emit, self.say = lab, emit, say

    def handlers(self) -> dict[type, Callable]:
        return {cmd.SaveSession: self.save, cmd.OpenSession: self.open}

    def save(self, request: cmd.SaveSession) -> None:
        """Write the data, the schedule, the model and the window's choices and view."""
        lab = self.lab
        if lab.spec is None:
            self.say("warning", "Nothing to save yet: the canvas is empty.")
            return
        control = lab.schedule_control
        write_session(request.path, spec=lab.spec, trainer=lab.training.trainer, choices=dict(request.choices),
                      view=request.view if request.view is not None else lab.field.view, sigma=lab.field.sigma,
                      overrides=control.overrides, noise=control.noise)
        model = "with the model" if lab.training.trainer is not None else "no model trained yet"
        self.say("info", f"Saved the session to {request.path} ({model}).")

    def open(self, request: cmd.OpenSession) -> None:
        """Replace everything by a saved session or a checkpoint; a bad file changes nothing."""
        lab, training = self.lab, self.lab.training
        try:
            contents = read_session(request.path, training.device)
        except SessionError as exc:
            self.say("error", f"{exc}. Nothing was changed.")
            return
        spec = replace(contents.spec, version=int(request.version), reset=True)
        training.configure(saved_settings(contents.choices))
        training.reset()
        lab.adopt_data(spec, dataset_from_spec(spec))
        lab.field.set_view(contents.view)
        lab.field.set_sigma(contents.sigma)
        lab.particles.reset()
        ckpt = contents.checkpoint
        training.process_name = name = ckpt.process.name if ckpt is not None else training.process_name
        lab.schedule_control.adopt(name, contents.overrides, contents.noise)
        training.noise = contents.noise
        lab.use_process(ckpt.process if ckpt is not None else None)
        if ckpt is not None:
            training.restore(lab.dataset, ckpt.process, ckpt.net_config, contents.model_state,
                             ckpt.model.state_dict(), contents.steps)
        lab.mark_stale()
        self.emit(fr.SessionOpened(spec=spec, choices=contents.choices, view=lab.field.view, sigma=lab.field.sigma,
                                   path=str(request.path), has_model=ckpt is not None))
        model = f"a model trained {contents.steps:,} steps" if ckpt is not None else "no model"
        self.say("info", f"Opened {request.path}: {spec.name}, {len(spec.train):,} points, {model}.")
