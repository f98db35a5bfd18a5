"""The 2-D lab session's File → Save / Open session commands (a mixin of `session.LabSession`): write the data,
schedule, model and the window's choices to one file, or replace the whole session by one (`session_file`)."""
from __future__ import annotations

from dataclasses import replace

from scoreviz.lab import frames as fr
from scoreviz.lab.data_specs import dataset_from_spec
from scoreviz.lab.session_file import SessionError, read_session, write_session


class SavedSessions:
    def save_session(self, request: dict) -> None:
        """Write the data, the schedule, the model and the window's choices and view ({"path", "choices", "view"})."""
        if self.spec is None:
            self.say("warning", "Nothing to save yet: the canvas is empty.")
            return
        write_session(request["path"], spec=self.spec, trainer=self.training.trainer, choices=request["choices"],
                      view=request.get("view", self.field.view), sigma=self.field.sigma,
                      overrides=self.schedule_control.overrides, noise=self.schedule_control.noise)
        model = "with the model" if self.training.trainer is not None else "no model trained yet"
        self.say("info", f"Saved the session to {request['path']} ({model}).")

    def open_session(self, request: dict) -> None:
        """Replace everything by a saved session or a checkpoint ({"path", "version"}); a bad file changes nothing."""
        try:
            contents = read_session(request["path"], self.training.device)
        except SessionError as exc:
            self.say("error", f"{exc}. Nothing was changed.")
            return
        spec = replace(contents.spec, version=int(request["version"]), reset=True)
        self.training.configure({k[len("train."):]: v for k, v in contents.choices.items() if k.startswith("train.")})
        self.training.reset()
        self.spec, self.dataset, self._pending_spec = spec, dataset_from_spec(spec), None
        self.field.set_data(self.dataset, spec.version)
        self.field.set_view(contents.view)
        self.field.set_sigma(contents.sigma)
        self.particles.reset()
        ckpt = contents.checkpoint
        self.training.process_name = name = ckpt.process.name if ckpt is not None else self.training.process_name
        self.schedule_control.adopt(name, contents.overrides, contents.noise)
        self.training.noise = contents.noise
        if ckpt is not None:
            self.process = ckpt.process
            self.field.clamp_sigma(*self.process.noise_range())
            self.emit(self._process_frame())
            self.training.restore(self.dataset, self.process, ckpt.net_config, contents.model_state,
                                  ckpt.model.state_dict(), contents.steps)
        else:
            self._make_process()
        self._field_dirty = self._training_dirty = self._particles_dirty = self._schedule_dirty = True
        self.emit(fr.SessionOpened(spec=spec, choices=contents.choices, view=self.field.view, sigma=self.field.sigma,
                                   path=str(request["path"]), has_model=ckpt is not None))
        model = f"a model trained {contents.steps:,} steps" if ckpt is not None else "no model"
        self.say("info", f"Opened {request['path']}: {spec.name}, {len(spec.train):,} points, {model}.")
