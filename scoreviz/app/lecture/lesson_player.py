"""Plays a lesson (`lab.lesson`) in the window: each scene sets the data, process, schedule (its parameters, a
published one and its fixes, with the Schedule tab in front), σ, field, trajectories, sampler and particles
through the window's own actions and commands, trains first where the scene needs a learned score (and says
so), then plays. PageDown / PageUp (what presentation clickers send) and → / ← step through the scenes."""
from __future__ import annotations

from typing import Protocol

import numpy as np

from scoreviz.lab import commands as cmd
from scoreviz.lab.lesson import Lesson, LessonError, Scene, load_lesson

from scoreviz.app.qt import QtCore


class LessonStage(Protocol):
    """What a lesson drives (the main window satisfies it): its public actions, the training read-outs'
    `train_shown(frame)` signal, and the image page (`image_mode`, built by `set_mode("images")`)."""

    train_shown: QtCore.SignalInstance
    image_mode: object

    def send(self, command: cmd.LabCommand) -> None: ...
    def set_mode(self, mode: str) -> None: ...
    def show_message(self, level: str, text: str) -> None: ...
    def reset_particles(self) -> None: ...
    def set_training(self, on: bool) -> None: ...
    def release_particles(self, origin=None) -> None: ...
    def load_preset(self, name: str) -> bool: ...
    def load_data_file(self, path: str) -> bool: ...
    def set_points(self, points: np.ndarray) -> None: ...
    def choose_process(self, name: str) -> None: ...
    def choose_field(self, kind: str) -> None: ...
    def choose_sampler(self, options: dict) -> None: ...
    def set_sigma(self, sigma: float) -> None: ...
    def show_trajectories(self, on: bool) -> None: ...
    def show_schedule_lab(self) -> None: ...
    def show_controls(self) -> None: ...


class LessonPlayer(QtCore.QObject):
    scene_shown = QtCore.Signal(int)      # the index of the scene now on screen

    def __init__(self, window: LessonStage, parent: QtCore.QObject | None = None):
        super().__init__(parent)
        self.window = window
        self.lesson: Lesson | None = None
        self.index = -1
        self._waiting_for: int | None = None     # train steps the scene waits for before it plays
        self._sample_when_open: str | None = None   # the image scene's model: sample once it is open
        self._scheduled = False                      # the scene on screen changed the schedule
        self._tracing = False                        # … turned trajectories on
        self._schedule_tab = False                   # … brought the Schedule tab to the front
        window.train_shown.connect(self._on_train)

    @property
    def active(self) -> bool:
        return self.lesson is not None

    @property
    def scene(self) -> Scene | None:
        return self.lesson.scenes[self.index] if self.lesson is not None and 0 <= self.index < len(self.lesson.scenes) \
            else None

    def open(self, name_or_path: str) -> bool:
        """Start a lesson at its first scene; a broken file is one message naming its line, and nothing changes."""
        try:
            lesson = load_lesson(name_or_path)
        except LessonError as exc:
            self.window.show_message("error", str(exc))
            return False
        self.lesson, self.index = lesson, -1
        self.go(0)
        return True

    def stop(self) -> None:
        self.lesson, self.index, self._waiting_for = None, -1, None
        self.window.show_message("info", "Lesson ended.")

    def next(self) -> None:
        if self.lesson is not None:
            self.go(min(self.index + 1, len(self.lesson.scenes) - 1))

    def previous(self) -> None:
        if self.lesson is not None:
            self.go(max(self.index - 1, 0))

    def go(self, index: int) -> None:
        if self.lesson is None or index == self.index:
            return
        self.index = index
        scene = self.lesson.scenes[index]
        self._waiting_for = None
        self._apply(scene)
        self.scene_shown.emit(index)

    # --- one scene -------------------------------------------------------------------------------------------
    def _apply(self, scene: Scene) -> None:
        w = self.window
        w.set_mode(scene.mode)
        if scene.mode == "images":
            self._say(scene)
            if scene.checkpoint:      # a model shipped with the lesson: digits seconds after the scene starts
                self._sample_when_open = scene.checkpoint
                w.image_mode.frameApplied.connect(self._on_image_frame, QtCore.Qt.ConnectionType.UniqueConnection)
                w.image_mode.open_checkpoint(scene.checkpoint)
            return
        w.reset_particles()
        w.set_training(False)
        if not self._load_data(scene):
            return
        if scene.process:
            w.choose_process(scene.process)
        self._set_schedule(scene)
        if scene.sigma is not None:
            w.set_sigma(scene.sigma)
        if scene.field:
            w.choose_field(scene.field)
        if scene.trajectories is not None or self._tracing:   # a scene that says nothing: none (see lab.lesson)
            w.show_trajectories(bool(scene.trajectories))
        self._tracing = bool(scene.trajectories)
        if scene.sampler:
            w.choose_sampler({"sampler": scene.sampler, "source": scene.score, "n": scene.particles,
                              **({"steps": scene.nfe} if scene.nfe else {})})
        needs_model = scene.train_steps > 0 or (scene.score == "learned" and scene.play == "release")
        if needs_model:
            self._waiting_for = max(scene.train_steps, 1)
            w.set_training(True)
            self._say(scene, f"training {self._waiting_for:,} steps first… ")
            return
        self._say(scene)
        self._play(scene)

    def _set_schedule(self, scene: Scene) -> None:
        """The scene's schedule: a published one (and its fixes, which act on it, so after it), or parameters of
        the process; a scene that says nothing after one that did goes back to the data's defaults. Commands run
        in order, so the σ and the release that follow see the new process."""
        commands = []
        if scene.schedule_preset:
            commands.append(cmd.UseGallerySchedule(scene.schedule_preset, announce=False))
        elif scene.schedule:
            commands.append(cmd.SetSchedule(process=dict(scene.schedule), announce=False))
        elif self._scheduled:
            commands.append(cmd.ResetSchedule(announce=False))
        if scene.fix is not None:
            commands.append(cmd.FixSchedule(**scene.fix, announce=False))
        w = self.window
        for command in commands:         # unannounced: the scene's caption stays in the banner
            w.send(command)
        self._scheduled = bool(scene.schedule or scene.schedule_preset or scene.fix)
        # a published schedule is read on the Schedule tab (its log-SNR report); the other scenes on the controls
        if scene.schedule_preset:
            w.show_schedule_lab()
        elif self._schedule_tab:
            w.show_controls()
        self._schedule_tab = bool(scene.schedule_preset)

    def _say(self, scene: Scene, before: str = "") -> None:
        """The scene's caption in the banner, after its number and title."""
        self.window.show_message("info", f"{self.index + 1}/{len(self.lesson.scenes)} · {scene.title}: {before}"
                                         f"{scene.caption}")

    def _load_data(self, scene: Scene) -> bool:
        w = self.window
        if scene.points is not None:
            w.set_points(np.array(scene.points, dtype=np.float32))
            return True
        if scene.data is None:
            return True
        if scene.data.endswith((".npy", ".csv", ".png")):
            return w.load_data_file(scene.data)
        return w.load_preset(scene.data)

    def _play(self, scene: Scene) -> None:
        if scene.play == "release":
            self.window.release_particles()
        elif scene.play == "train":
            self.window.set_training(True)

    @QtCore.Slot(str)
    def _on_image_frame(self, kind: str) -> None:
        """The image page shows the scene's model (its ModelInfo names the file): sample from it."""
        info = self.window.image_mode.model_info
        if kind == "ModelInfo" and self._sample_when_open and info is not None and info.source == self._sample_when_open:
            self._sample_when_open = None
            self.window.image_mode.sample()

    @QtCore.Slot(object)
    def _on_train(self, frame) -> None:
        """A scene that trains first plays once the model has its steps."""
        scene = self.scene
        if self._waiting_for is None or scene is None or frame.step < self._waiting_for:
            return
        self._waiting_for = None
        if scene.play != "train":
            self.window.set_training(False)
        self._say(scene)
        self._play(scene)
