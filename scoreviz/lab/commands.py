"""What the window can ask of the 2-D lab: one frozen dataclass per command, handled by `session.LabSession.handle`.

A command is a value, not a name and a dict: a misspelt field fails where the command is made (TypeError from the
dataclass), and a command the session has no handler for is a TypeError in `handle`, which the worker reports in
the window. `SetSigma` and `Train` are shared with the image lab (`lab.images.commands`). Every class here
subclasses `LabCommand`, so `LAB_COMMANDS` lists them all and a test checks that the session handles each one.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from scoreviz.lab.frames import DataSpec, ParticleRequest


@dataclass(frozen=True)
class Command:
    """Base of every command a session takes (2-D and image lab)."""


@dataclass(frozen=True)
class LabCommand(Command):
    """Base of the 2-D lab's commands."""


# --- shared with the image lab -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SetSigma(LabCommand):
    """Ask for this noise level; the session clamps it to its process's range and reports the σ it uses."""
    sigma: float


@dataclass(frozen=True)
class Train(LabCommand):
    """Train (True) or pause (False)."""
    on: bool


# --- data, training ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SetData(LabCommand):
    """New or edited data (applied at the next tick, so a burst of brush strokes costs one rebuild)."""
    spec: DataSpec


@dataclass(frozen=True)
class Configure(LabCommand):
    """Training settings; a field left None keeps its value. Names are keys of `names` (PROCESSES, LOSSES,
    POINT_MODEL_SIZES, DEVICES)."""
    process: str | None = None
    loss: str | None = None
    model_size: str | None = None
    device: str | None = None
    batch_size: int | None = None
    lr: float | None = None
    seed: int | None = None


@dataclass(frozen=True)
class ResetTraining(LabCommand):
    """A fresh model (the settings stay)."""


# --- the field ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SetView(LabCommand):
    """The canvas's view (xmin, xmax, ymin, ymax): the field is computed over it."""
    rect: tuple[float, float, float, float]


@dataclass(frozen=True)
class FieldOptions(LabCommand):
    """What the field shows; None keeps the value. kind: a key of names.FIELD_KINDS; grid_n: arrows per row."""
    kind: str | None = None
    grid_n: int | None = None
    heat: bool | None = None


@dataclass(frozen=True)
class SetSlice(LabCommand):
    """D ≥ 3: draw the field on the plane through `point` (D values) spanned by coordinates `axes`."""
    axes: tuple[int, int]
    point: tuple[float, ...]


# --- particles ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Release(LabCommand):
    """Release particles (the sampler, count, origin and score in `request`)."""
    request: ParticleRequest


@dataclass(frozen=True)
class SamplerPlay(LabCommand):
    on: bool


@dataclass(frozen=True)
class SamplerStep(LabCommand):
    """One sampler step (and pause)."""


@dataclass(frozen=True)
class SamplerReset(LabCommand):
    """Drop the particles."""


@dataclass(frozen=True)
class SetSpeed(LabCommand):
    """Sampler steps per second (0: as fast as the budget allows)."""
    steps_per_second: float


@dataclass(frozen=True)
class SetFrameRate(LabCommand):
    """Particle frames per second (None: the session's default)."""
    fps: float | None


@dataclass(frozen=True)
class Record(LabCommand):
    """Send lab.recording.ClipFrames of the particles (RunRecorder's options), replacing a recorder running."""
    clip: int
    fps: int = 30
    seconds: float | None = None
    once: bool = True


@dataclass(frozen=True)
class StopRecording(LabCommand):
    """Stop the recorder: the end marker follows the frames already sent."""


# --- the schedule lab (lab.schedule.commands) ----------------------------------------------------------------------
# A command that changes the process says so in an info notice, unless `announce` is False: a caller that speaks for
# itself (a lesson's caption) would otherwise be covered by it. Warnings are said either way.
@dataclass(frozen=True)
class SetSchedule(LabCommand):
    """New schedule parameters (core.processes.schedule_parameters' names; None values are dropped, e.g. ρ None:
    uniform t) and/or training noise (core.schedule.training_noise.TrainingNoise's fields): a new process and model.
    None keeps the current one."""
    process: Mapping[str, float | None] | None = None
    noise: Mapping[str, object] | None = None
    announce: bool = True


@dataclass(frozen=True)
class ResetSchedule(LabCommand):
    """Back to the data's default schedule."""
    announce: bool = True


@dataclass(frozen=True)
class ShowSchedule(LabCommand):
    """Whether the schedule read-out is on screen (it is computed only then)."""
    visible: bool


@dataclass(frozen=True)
class PinSchedule(LabCommand):
    """Keep the current schedule (and model) as A."""


@dataclass(frozen=True)
class CompareSchedules(LabCommand):
    """Sample A and B with this sampler, count and seed, each run `nfe` network evaluations long (None: the
    sampler's recipe length)."""
    sampler: str
    n: int
    seed: int = 0
    nfe: int | None = None


# --- real schedules: the gallery, diffusers configs and Lin et al.'s fixes (lab.schedule.real) -----------------
@dataclass(frozen=True)
class UseGallerySchedule(LabCommand):
    """Make a published schedule (a key of names.SCHEDULE_PRESETS) the lab's process as it is: a new model."""
    name: str
    announce: bool = True


@dataclass(frozen=True)
class ImportSchedule(LabCommand):
    """Make the schedule of a diffusers ``scheduler_config.json`` at `path` the lab's process (a bad file changes
    nothing and is said in one line)."""
    path: str


@dataclass(frozen=True)
class FixSchedule(LabCommand):
    """Lin et al. 2024's fixes on the discrete β schedule in use: rescaling to zero terminal SNR, and diffusers'
    timestep spacing (a key of names.TIMESTEP_SPACINGS; None: the lab's uniform t). A new process and model;
    the schedule before the fixes is pinned as A."""
    rescale_zero_snr: bool
    timestep_spacing: str | None = None
    announce: bool = True


# --- saved sessions (lab.session_saving) ---------------------------------------------------------------------------
@dataclass(frozen=True)
class SaveSession(LabCommand):
    """Write the data, schedule, model and the window's choices and view (None: the field's view) to `path`."""
    path: str
    choices: Mapping[str, object]
    view: tuple[float, float, float, float] | None = None


@dataclass(frozen=True)
class OpenSession(LabCommand):
    """Replace everything by a saved session or checkpoint; its data get this version."""
    path: str
    version: int


# --- the density view (lab.live_density) ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ShowDensity(LabCommand):
    """Whether the Density view is on screen: the model's log-density map and the held-out NLL (lab.density_view)
    cost ODE solves, so they are computed only while it is."""
    on: bool


# --- quality against NFE (lab.schedule.nfe) -------------------------------------------------------------------------
@dataclass(frozen=True)
class SweepNFE(LabCommand):
    """Sample with each of `samplers` at each NFE budget, `n` particles from one prior draw (`seed`), under the
    schedule in use (B) and, when pinned, A: with the exact score, and the trained model's too when `learned`.
    Runs one sampler × budget a tick; a new sweep replaces one still running."""
    samplers: tuple[str, ...]
    budgets: tuple[int, ...]
    learned: bool = False
    n: int = 2000
    seed: int = 0


def subclasses_of(base: type) -> tuple[type, ...]:
    """Every class below `base` (the commands of one lab)."""
    found, todo = [], [base]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.append(sub)
            todo.append(sub)
    return tuple(found)


#: Every command of the 2-D lab (the session's dispatch table must hold each one).
LAB_COMMANDS: tuple[type[LabCommand], ...] = subclasses_of(LabCommand)
