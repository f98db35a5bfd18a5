"""Lessons: a small TOML file of scenes that walks a room through score-based models, one key press a scene.

    title = "Generative modelling by estimating gradients of the data distribution"

    [[scene]]
    title = "The score of a mixture"
    caption = "The score ∇ₓ log p(x) points to where the data are, without the normalising constant."
    data = "8gaussians"          # a preset, a .npy/.csv/.png file (relative to the lesson), or
    # points = [[0.0, 1.0], ...] # points stored in the lesson
    process = "ve"               # names.PROCESSES
    schedule = { sigma_max = 1.0 }   # the process's parameters (core.processes.schedule_parameters)
    sigma = 0.3                  # the σ slider
    field = "exact"              # names.FIELD_KINDS
    score = "exact"              # what particles follow: names.SCORE_SOURCES
    train_steps = 0              # train this many steps on entry (a learned score needs some)
    sampler = "langevin"         # core.sampler_registry.SAMPLERS
    particles = 2000
    nfe = 500                    # the run's network evaluations, as the Particles panel's
    play = "release"             # "none" | "release" (particles from the prior) | "train" (keep training)
    mode = "2d"                  # or "images": the image mode
    checkpoint = "digits.pt"     # images: a model trained by `scoreviz train`, sampled at once
    trajectories = true          # whole paths of a dozen particles (the View panel's box); left out: as it is
    schedule_preset = "sd"       # a published schedule (names.SCHEDULE_PRESETS), its own process: no process
    fix = { rescale_zero_snr = true, timestep_spacing = "trailing" }   # Lin et al. 2024's fixes (a discrete β
                                 # schedule: needs schedule_preset or process = "discrete"; spacing:
                                 # names.TIMESTEP_SPACINGS, left out: the lab's uniform t)

A scene that sets the schedule (schedule, schedule_preset, fix) or turns trajectories on changes the lab beyond
itself: the scene after it, if it says nothing of them, goes back to the data's schedule and no trajectories. A
scene with a published schedule brings the Schedule tab to the front, where its log-SNR report is.

Lessons written before runs were measured in NFE give `steps` instead of `nfe`: the old Particles panel's
length (the sampler's own steps, annealed Langevin's over its 10 levels), read as the NFE of the same run
(lab.run_lengths.legacy_window_nfe), so an old lesson plays as it did.

Read with the standard library's TOML parser: a lesson never runs code. Every mistake becomes a `LessonError`
naming the file and the line (the parser's line for syntax, the scene's `[[scene]]` line for a bad value).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:   # Python 3.10
    import tomli as tomllib

from scoreviz.core.sampler_registry import SAMPLERS
from scoreviz.names import FIELD_KINDS, PROCESSES, SCHEDULE_PRESETS, SCORE_SOURCES, TIMESTEP_SPACINGS

from scoreviz.lab.run_lengths import legacy_window_nfe

PLAYS = ("none", "release", "train")
MODES = ("2d", "images")
#: Built-in lessons, by name (`python main.py --lesson intro`, Help → Lessons).
BUILT_IN = Path(__file__).resolve().parent.parent / "resources" / "lessons"
MAX_PARTICLES = 20_000
MAX_TRAIN_STEPS = 100_000
MAX_NFE = 200_000
#: The key older lessons gave a run's length in (the Particles panel's steps before they were NFE).
LEGACY_LENGTH = "steps"
#: The keys of a scene's `fix` table (lab.commands.FixSchedule's fields).
FIX_KEYS = ("rescale_zero_snr", "timestep_spacing")


class LessonError(ValueError):
    """A lesson that cannot be used; the message names the file and the line."""


@dataclass(frozen=True)
class Scene:
    title: str
    caption: str = ""
    data: str | None = None                  # a preset name or a file path (absolute once loaded)
    points: tuple[tuple[float, ...], ...] | None = None
    process: str | None = None
    schedule: dict = field(default_factory=dict)
    sigma: float | None = None
    field: str | None = None
    score: str = "exact"
    train_steps: int = 0
    sampler: str | None = None
    particles: int = 2000
    nfe: int | None = None                   # the run's network evaluations (older lessons: `steps`, converted)
    play: str = "none"
    mode: str = "2d"
    checkpoint: str | None = None            # images: a model to sample from (a path relative to the lesson)
    trajectories: bool | None = None         # None: the View panel's box as it is
    schedule_preset: str | None = None       # a key of names.SCHEDULE_PRESETS
    fix: dict | None = None                  # FixSchedule's fields: {rescale_zero_snr: bool, timestep_spacing}
    line: int = 0                            # where the scene starts in its file


@dataclass(frozen=True)
class Lesson:
    title: str
    scenes: tuple[Scene, ...]
    path: str


def built_in_lessons() -> list[str]:
    return sorted(p.stem for p in BUILT_IN.glob("*.toml"))


def find_lesson(name_or_path: str) -> Path:
    """A built-in lesson by name, or a path."""
    candidate = BUILT_IN / f"{name_or_path}.toml"
    if candidate.is_file():
        return candidate
    path = Path(name_or_path).expanduser()
    if not path.is_file():
        known = ", ".join(built_in_lessons()) or "none"
        raise LessonError(f"{name_or_path}: no such lesson file (built-in lessons: {known})")
    return path


def load_lesson(name_or_path: str) -> Lesson:
    path = find_lesson(name_or_path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LessonError(f"{path}: cannot read it ({exc})") from None
    return parse_lesson(text, path)


def parse_lesson(text: str, path: Path | str = "<lesson>") -> Lesson:
    path = Path(path)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LessonError(f"{path}: {exc}") from None   # the parser's message says "(at line L, column C)"
    lines = _scene_lines(text)
    raw = doc.get("scene")
    if not isinstance(raw, list) or not raw:
        raise LessonError(f"{path}: a lesson needs at least one [[scene]] table")
    scenes = []
    for k, table in enumerate(raw):
        line = lines[k] if k < len(lines) else 0
        try:
            scenes.append(_scene(table, path.parent, line))
        except (TypeError, ValueError) as exc:
            raise LessonError(f"{path}, line {line} (scene {k + 1}): {exc}") from None
    return Lesson(title=str(doc.get("title", path.stem)), scenes=tuple(scenes), path=str(path))


def _scene_lines(text: str) -> list[int]:
    return [i + 1 for i, line in enumerate(text.splitlines()) if re.match(r"\s*\[\[\s*scene\s*\]\]", line)]


def _scene(t: dict, folder: Path, line: int) -> Scene:
    unknown = set(t) - {f for f in Scene.__dataclass_fields__ if f != "line"} - {LEGACY_LENGTH}
    if unknown:
        raise ValueError(f"unknown key(s) {', '.join(sorted(unknown))}")
    if "title" not in t:
        raise ValueError("a scene needs a title")
    data, points = t.get("data"), t.get("points")
    if data is not None and points is not None:
        raise ValueError("give data or points, not both")
    if data is not None:
        data = str(data)
        if data.endswith((".npy", ".csv", ".png")) and not Path(data).is_absolute():
            data = str((folder / data).resolve())
    checkpoint = t.get("checkpoint")
    if checkpoint is not None:
        checkpoint = str((folder / str(checkpoint)).resolve())
        if not Path(checkpoint).is_file():
            raise ValueError(f"checkpoint {t['checkpoint']!r} is not there ({checkpoint})")
    if points is not None:
        points = tuple(tuple(float(v) for v in p) for p in points)
        if not points or len({len(p) for p in points}) != 1 or len(points[0]) not in (1, 2):
            raise ValueError("points must be a non-empty list of 1-D or 2-D points, all the same length")
    _choice(t, "process", PROCESSES)
    _choice(t, "field", FIELD_KINDS)
    _choice(t, "score", SCORE_SOURCES)
    _choice(t, "sampler", SAMPLERS)
    _choice(t, "play", PLAYS)
    _choice(t, "mode", MODES)
    sigma = t.get("sigma")
    if sigma is not None and not (isinstance(sigma, (int, float)) and math.isfinite(sigma) and sigma > 0):
        raise ValueError(f"sigma must be a positive number (got {sigma!r})")
    schedule = t.get("schedule", {})
    if not isinstance(schedule, dict):
        raise ValueError("schedule must be a table, e.g. schedule = { sigma_max = 1.0 }")
    _choice(t, "schedule_preset", SCHEDULE_PRESETS)
    trajectories = t.get("trajectories")
    if trajectories is not None and not isinstance(trajectories, bool):
        raise ValueError(f"trajectories must be true or false (got {trajectories!r})")
    _schedule_exclusive(t)
    fix = _fix(t)
    n = _int(t, "particles", 2000, 1, MAX_PARTICLES)
    train_steps = _int(t, "train_steps", 0, 0, MAX_TRAIN_STEPS)
    nfe = _nfe(t)
    return Scene(title=str(t["title"]), caption=str(t.get("caption", "")), data=data, points=points,
                 process=t.get("process"), schedule=dict(schedule), sigma=None if sigma is None else float(sigma),
                 field=t.get("field"), score=t.get("score", "exact"), train_steps=train_steps,
                 sampler=t.get("sampler"), particles=n, nfe=nfe, play=t.get("play", "none"),
                 mode=t.get("mode", "2d"), checkpoint=checkpoint, trajectories=trajectories,
                 schedule_preset=t.get("schedule_preset"), fix=fix, line=line)


def _schedule_exclusive(t: dict) -> None:
    """A published schedule is a whole process: a scene gives it, or a process and its parameters, not both."""
    if "schedule_preset" in t:
        both = [k for k in ("process", "schedule") if k in t]
        if both:
            raise ValueError(f"schedule_preset brings its own process: leave out {' and '.join(both)}")


def _fix(t: dict) -> dict | None:
    """The scene's `fix` table, checked; it acts on a discrete β schedule, so the scene must make one itself
    (a scene plays the same whichever scene came before it)."""
    fix = t.get("fix")
    if fix is None:
        return None
    if not isinstance(fix, dict):
        raise ValueError('fix must be a table, e.g. fix = { rescale_zero_snr = true, timestep_spacing = "trailing" }')
    unknown = set(fix) - set(FIX_KEYS)
    if unknown:
        raise ValueError(f"fix: unknown key(s) {', '.join(sorted(unknown))} (known: {', '.join(FIX_KEYS)})")
    rescale = fix.get("rescale_zero_snr", False)
    if not isinstance(rescale, bool):
        raise ValueError(f"fix: rescale_zero_snr must be true or false (got {rescale!r})")
    spacing = fix.get("timestep_spacing")
    if spacing is not None and spacing not in TIMESTEP_SPACINGS:
        raise ValueError(f"fix: timestep_spacing = {spacing!r} is not one of {', '.join(TIMESTEP_SPACINGS)}")
    if "schedule_preset" not in t and t.get("process") != "discrete":
        raise ValueError('fix acts on a discrete β schedule: give schedule_preset (e.g. "sd") or '
                         'process = "discrete" in the same scene')
    return {"rescale_zero_snr": rescale, "timestep_spacing": spacing}


def _nfe(t: dict) -> int | None:
    """The scene's NFE: `nfe`, or an older lesson's `steps` converted to the NFE of the run it gave."""
    if LEGACY_LENGTH not in t:
        return _int(t, "nfe", None, 1, MAX_NFE)
    if "nfe" in t:
        raise ValueError(f"give nfe or the older {LEGACY_LENGTH}, not both")
    steps = _int(t, LEGACY_LENGTH, None, 1, MAX_NFE)
    return min(MAX_NFE, legacy_window_nfe(t.get("sampler", "langevin"), steps))


def _choice(t: dict, key: str, table) -> None:
    if key in t and t[key] not in table:
        raise ValueError(f"{key} = {t[key]!r} is not one of {', '.join(table)}")


def _int(t: dict, key: str, default, lo: int, hi: int):
    value = t.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValueError(f"{key} must be a whole number from {lo} to {hi} (got {value!r})")
    return value
