"""Deterministic clips of a sampler run (Qt-free): which sampler steps become video frames, and the frames.

The rule: a clip is rendered from the sampler's steps, never from wall-clock screen grabs, so the same seed and
settings give the same frames on a fast or a slow machine. Three pieces:

* `plan_clip(total, fps, seconds)` maps the video frames to the steps 0 … total of one run (`ClipPlan`).
* `RunRecorder` is attached to `lab.particles.Particles` (its `observer`): it sees every step of the run, in
  order, and sends a `ClipFrame` (a `ParticleFrame` and how many video frames it is shown for) for exactly the
  planned steps through the session's `emit`, however the run is paced, then an end marker. The window's
  worker runs it through the session command `record` (lab.session); `clip_frames` runs it headless.
* `clip_frames(...)` plays a whole run without a session or a window, for `scoreviz render` and tests.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Iterator

from scoreviz.lab import frames as fr

FPS = 30
#: Without a length asked for, a run shows every step, up to this many seconds (longer runs skip steps evenly).
MAX_SECONDS = 10.0
#: The last frame stays this long (the samples at rest before a clip loops or a slide moves on).
HOLD_SECONDS = 1.0


@dataclass(frozen=True)
class ClipPlan:
    """Video frames of one run: step `steps[i]` (0 = the start, before the first step) is shown for
    `repeats[i]` frames; `steps` increases strictly and ends at the run's last step."""

    steps: tuple[int, ...]
    repeats: tuple[int, ...]
    fps: int
    hold_frames: int = 0      # of the last step's repeats, the ones that hold it at rest

    @property
    def frames(self) -> int:
        return sum(self.repeats)

    @property
    def seconds(self) -> float:
        return self.frames / self.fps

    def repeat_of(self, step: int) -> int:
        """Video frames for `step` (0 when it is not in the plan)."""
        try:
            return self.repeats[self.steps.index(step)]
        except ValueError:
            return 0


def plan_clip(total: int, fps: int = FPS, seconds: float | None = None, hold: float = HOLD_SECONDS) -> ClipPlan:
    """The frames of a run of `total` steps at `fps`.

    `seconds` None: one frame per step, or evenly spread steps when that would last over MAX_SECONDS, then
    `hold` seconds on the last step. `seconds` given: the clip lasts round(seconds·fps) frames (at least 2),
    `hold` included (at most a fifth of it); a run with fewer steps than frames shows some steps twice.
    Video frame i of m shows step round(i·total/(m − 1)) (integer arithmetic: the same plan everywhere).
    """
    if total < 1 or fps < 1:
        raise ValueError(f"a clip needs at least one step and 1 fps (got {total} steps, {fps} fps)")
    if seconds is None:
        hold_frames = int(round(hold * fps))
        motion = min(total + 1, max(2, int(MAX_SECONDS * fps)))
    else:
        if not (seconds > 0 and math.isfinite(seconds)):
            raise ValueError(f"the clip's length must be positive (got {seconds} s)")
        length = max(2, int(round(seconds * fps)))
        hold_frames = min(int(round(hold * fps)), length // 5)
        motion = max(2, length - hold_frames)
    span = motion - 1
    shown = [(i * total + span // 2) // span for i in range(motion)]
    steps: list[int] = []
    repeats: list[int] = []
    for s in shown:
        if steps and steps[-1] == s:
            repeats[-1] += 1
        else:
            steps.append(s)
            repeats.append(1)
    repeats[-1] += hold_frames
    return ClipPlan(steps=tuple(steps), repeats=tuple(repeats), fps=fps, hold_frames=hold_frames)


@dataclass(frozen=True)
class ClipFrame:
    """One captured step of a recording, or (`end`) the marker after its last frame."""

    clip: int                              # the recording these belong to (the window ignores other clips')
    index: int                             # 0, 1, … in the order sent
    particles: fr.ParticleFrame | None     # None for the end marker
    repeat: int = 1                        # video frames this step is shown for (the plan's, + the hold)
    end: bool = False
    reason: str = ""                       # end: "finished" | "stopped" | "reset" | "replaced" | "diverged"


class RunRecorder:
    """Attached as `Particles.observer`: turns the planned steps of a run into ClipFrames sent with `emit`.

    `once`: the next run (from its release to its end) is the clip, then the end marker; otherwise every run
    (and the rest of the one going on, `join`) until `stop()`. `sigma()` gives the σ the frames are read at
    (the field's; Langevin runs there). A step counts when the sampler yields it: pacing, pauses and the
    worker's frame rate never change which steps are sent.
    """

    def __init__(self, emit: Callable[[object], None], sigma: Callable[[], float], *, clip: int = 0,
                 fps: int = FPS, seconds: float | None = None, once: bool = True, hold: float = HOLD_SECONDS):
        self.emit, self.sigma = emit, sigma
        self.clip, self.fps, self.seconds, self.once, self.hold = int(clip), int(fps), seconds, bool(once), hold
        plan_clip(1, self.fps, seconds, hold)     # bad options fail here, in the command, not mid-run
        self.sent = 0
        self.done = False
        self._in_run = False
        self._runs = 0
        self._base = 0                    # the step the run was joined at
        self._plan: ClipPlan | None = None
        self._start_frame: fr.ParticleFrame | None = None   # step 0 waits for the plan (its repeat count)
        self._n = 0                       # steps seen in this run
        self._last_sent_n = -1

    # --- Particles' hooks ------------------------------------------------------------------------------------
    def released(self, particles) -> None:
        """A new run starts (its step 0 is the prior sample)."""
        if self.done:
            return
        if self._in_run:
            self._close_run(particles, "replaced", capture=False)
            if self.done:
                return
        self._open_run(particles, base=0)

    def join(self, particles) -> None:
        """Continuous recording started while a run is going on: the rest of it, from its current step."""
        if not self.done and particles.active and not self._in_run:
            self._open_run(particles, base=particles.step.index if particles.step is not None else 0)

    def stepped(self, particles) -> None:
        """The run moved one step (called for every step, finite ones only)."""
        if self.done or not self._in_run:
            return
        self._n += 1
        if self._plan is None:
            self._plan = plan_clip(max(1, particles.step.total - self._base), self.fps, self.seconds, self.hold)
            self._send(self._start_frame, self._plan.repeat_of(0), 0)
            self._start_frame = None
        if particles.step.index < particles.step.total:   # the last step waits for `ended` (finished = True)
            repeat = self._plan.repeat_of(self._n)
            if repeat:
                self._send(particles.frame(self.sigma()), repeat, self._n)

    def ended(self, particles, reason: str = "finished") -> None:
        """The run ended (its last step, a diverged step, or a reset)."""
        if not self.done and self._in_run:
            self._close_run(particles, reason, capture=True)

    # --- control ---------------------------------------------------------------------------------------------
    def stop(self) -> None:
        """End the recording now: the end marker follows the frames already sent."""
        if not self.done:
            self._finish("stopped")

    # --- internals -------------------------------------------------------------------------------------------
    def _open_run(self, particles, base: int) -> None:
        self._in_run, self._base, self._n, self._plan, self._last_sent_n = True, base, 0, None, -1
        self._start_frame = particles.frame(self.sigma())
        self._runs += 1

    def _close_run(self, particles, reason: str, capture: bool) -> None:
        self._in_run = False
        if self._start_frame is not None:        # ended before its first step: the start alone
            self._send(self._start_frame, 1, 0)
            self._start_frame = None
        if capture and particles.x is not None:
            plan = self._plan
            if plan is not None and self._n == plan.steps[-1] and self._last_sent_n != self._n:
                repeat = plan.repeats[-1]          # the planned last step: its hold is in the plan
            else:                                  # ended early (or already sent): this state, then the hold
                hold = plan.hold_frames if plan is not None else int(round(self.hold * self.fps))
                repeat = (plan.repeat_of(self._n) if self._last_sent_n != self._n and plan else 0) + hold
            self._send(particles.frame(self.sigma()), repeat, self._n)
        if self.once:
            self._finish(reason)

    def _send(self, frame: fr.ParticleFrame, repeat: int, n: int) -> None:
        self.emit(ClipFrame(clip=self.clip, index=self.sent, particles=frame, repeat=max(1, int(repeat))))
        self.sent += 1
        self._last_sent_n = n

    def _finish(self, reason: str) -> None:
        self.done = True
        self.emit(ClipFrame(clip=self.clip, index=self.sent, particles=None, repeat=0, end=True, reason=reason))


def clip_frames(particles, sigma: float, *, fps: int = FPS, seconds: float | None = None,
                hold: float = HOLD_SECONDS, clip: int = 0) -> Iterator[ClipFrame]:
    """The ClipFrames of the run `particles` (a `Particles`) holds, released but not yet stepped, played to
    its end without a window: what the window's recording of the same run sends, end marker included."""
    out: list[ClipFrame] = []
    recorder = RunRecorder(out.append, lambda: sigma, clip=clip, fps=fps, seconds=seconds, once=True, hold=hold)
    previous, particles.observer = particles.observer, recorder
    try:
        recorder.released(particles)
        while not recorder.done:
            error = particles.advance(64)
            yield from out
            out.clear()
            if error and not recorder.done:
                recorder.ended(particles, "diverged")
            elif not particles.active and not recorder.done:
                recorder.ended(particles, "finished")
        yield from out
    finally:
        particles.observer = previous
