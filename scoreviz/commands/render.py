"""`scoreviz render`: a clip of particles following a sampler over the score field, without a window.

The run is the window's (lab.particles: the same sampler lengths, seed and score), its frames are chosen from
the sampler's steps by lab.recording (deterministic: the same options give the same file), and each is drawn
by the app's offscreen canvas (app.recording.canvas_clip, the app's own Scene2D, so the clip looks like the window) and
written as MP4 (H.264) or GIF. Qt is imported only here, lazily, on the offscreen platform.
"""
from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import torch

from scoreviz.core.data import load_data
from scoreviz.core.device import resolve_device
from scoreviz.core.guidance import exact_score, model_score
from scoreviz.core.processes import make_process
from scoreviz.core.samplers import ScoreFunction
from scoreviz.lab import frames as fr
from scoreviz.lab.captions import caption
from scoreviz.lab.field import GRID_RANGE, LiveField
from scoreviz.lab.particles import Particles
from scoreviz.lab.run_lengths import legacy_window_nfe
from scoreviz.lab.recording import clip_frames

from scoreviz.commands.errors import UserError, positive
from scoreviz.commands.points import open_checkpoint, reference_dataset

DEFAULT_SIZES = {".mp4": (1280, 720), ".gif": (640, 360)}
DEFAULT_NFE = 500            # network evaluations, as the window's Particles panel (the table's help says it)
DEFAULT_SIGMA = 0.5          # the field's σ, as the window's (moved into the process's range if outside)
#: Arrows across by default: one per ~40 px (32 at 1280 px, as the window's), 12 … 48.
ARROW_SPACING_PX, GRID_DEFAULT_RANGE = 40, (12, 48)
VIEW_MARGIN = 0.12           # the data's extent widened by this much, as the window's "fit data"


def parse_size(text: str | None, suffix: str) -> tuple[int, int]:
    """"WxH" → (W, H), each 16 … 7680; None → the format's default."""
    if text is None:
        return DEFAULT_SIZES[suffix]
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise UserError(f"--size must be WIDTHxHEIGHT, e.g. 1280x720 (got {text!r})") from None
    if not (16 <= w <= 7680 and 16 <= h <= 7680):
        raise UserError(f"--size must be between 16x16 and 7680x7680 (got {text})")
    return w, h


def default_grid(width: int) -> int:
    """Arrows across a frame `width` pixels wide when --grid is not given."""
    return int(min(max(round(width / ARROW_SPACING_PX), GRID_DEFAULT_RANGE[0]), GRID_DEFAULT_RANGE[1]))


def _check(args) -> tuple[str, tuple[int, int]]:
    suffix = Path(args.out).suffix.lower()
    if suffix not in DEFAULT_SIZES:
        raise UserError(f"--out must end in .mp4 or .gif (got {args.out})")
    if not Path(args.out).expanduser().resolve().parent.is_dir():
        raise UserError(f"--out: the folder of {args.out} does not exist")
    for name in ("n", "fps", "nfe", "steps"):
        positive(name, getattr(args, name))
    if args.nfe is not None and args.steps is not None:
        raise UserError("give --nfe or the older --steps, not both")
    if args.seconds is not None and not (args.seconds > 0 and math.isfinite(args.seconds)):
        raise UserError(f"--seconds must be positive (got {args.seconds})")
    if args.sigma is not None and not (args.sigma > 0 and math.isfinite(args.sigma)):
        raise UserError(f"--sigma must be positive (got {args.sigma})")
    if args.grid is not None and not GRID_RANGE[0] <= args.grid <= GRID_RANGE[1]:
        raise UserError(f"--grid must be between {GRID_RANGE[0]} and {GRID_RANGE[1]} (got {args.grid})")
    if args.checkpoint is None and args.score == "learned":
        raise UserError("--score learned needs --checkpoint (with --data the score is the exact one)")
    return suffix, parse_size(args.size, suffix)


def run_nfe(args) -> int:
    """The run's NFE budget: --nfe, or the older --steps (the window's old length) converted to the NFE of the
    same run, else DEFAULT_NFE."""
    if args.steps is not None:
        return legacy_window_nfe(args.sampler, args.steps)
    return DEFAULT_NFE if args.nfe is None else args.nfe


def _source(args, device):
    """(dataset, process, the score the particles follow, the learned score for the field or None)."""
    if args.checkpoint is not None:
        ckpt = open_checkpoint(args.checkpoint, args.device)
        if ckpt.meta.get("kind") == "images":
            raise UserError(f"{args.checkpoint} is an image model: render draws 2-D points")
        dataset = reference_dataset(ckpt)
        process = ckpt.process
        model = ckpt.model

        def learned(pts, sigma):
            with torch.inference_mode():
                return model.score(pts.to(device), sigma).double().cpu()
    else:
        dataset = load_data(args.data, seed=args.seed)
        process = make_process(args.process, dataset.train)
        model = learned = None
    if dataset.dim != 2:
        raise UserError(f"render draws 2-D data ({dataset.name} is {dataset.dim}-D)")
    if (args.score or ("learned" if model is not None else "exact")) == "learned":
        score = ScoreFunction(model_score(model), process)
    else:
        score = ScoreFunction(exact_score(dataset), process)
    return dataset, process, score, learned


def render(args) -> dict:
    """Write the clip; returns its figures (frames, seconds of video, wall time, speed)."""
    suffix, size = _check(args)
    device = resolve_device(args.device)
    threads = torch.get_num_threads()
    if device.type == "cpu":
        # a few thousand particles are too small a batch for two torch threads: they only contend with each
        # other and with ffmpeg, which encodes on the other core (a mixture's score: 2 ms on one thread, ~40 ms
        # on two threads of a busy 2-core machine)
        torch.set_num_threads(1)
    try:
        return _render(args, suffix, size, device)
    finally:
        torch.set_num_threads(threads)


def _render(args, suffix: str, size: tuple[int, int], device) -> dict:
    start = time.perf_counter()
    dataset, process, score, learned = _source(args, device)
    from scoreviz.app.recording.canvas_clip import CanvasRenderer, ClipWriter, offscreen_application   # Qt only now
    from scoreviz.app.lecture.presentation import NORMAL_STYLE, PRESENTATION_STYLE, presentation_theme
    from scoreviz.app.theme import THEMES

    offscreen_application()
    theme = THEMES[args.theme]
    style = NORMAL_STYLE
    if args.presentation:
        theme, style = presentation_theme(theme), PRESENTATION_STYLE
    field = LiveField()
    field.set_data(dataset, 0)
    field.set_process(process)
    lo, hi = dataset.bounds(VIEW_MARGIN)
    renderer = CanvasRenderer(theme, size, style)
    try:
        writer = ClipWriter(args.out, args.fps)
        view = renderer.set_content(view=(lo[0], hi[0], lo[1], hi[1]), points=dataset.train.numpy(),
                                    trails=not args.no_trails, trajectories=args.trajectories)
        field.set_view(view)
        field.set_options({"kind": args.field or ("learned" if learned is not None else "exact"),
                           "grid_n": args.grid or default_grid(size[0])})
        field.set_sigma(DEFAULT_SIGMA if args.sigma is None else args.sigma)
        if args.sigma is None:
            field.clamp_sigma(*process.noise_range())
        field_frame = field.frame(learned or (lambda pts, s: None))
        renderer.set_field(field_frame)
        particles = Particles()
        request = fr.ParticleRequest(name=args.sampler, n=args.n, steps=run_nfe(args), seed=args.seed,
                                     source=args.score or ("learned" if learned is not None else "exact"))
        train = dataset.train
        particles.release(request, score, dim=2, sigma=field.sigma, device=device, mixture=dataset.mixture,
                          data_std=float(train.std()) if train.shape[0] > 1 else 1.0)
        reason = ""
        for clip in clip_frames(particles, field.sigma, fps=args.fps, seconds=args.seconds):
            if clip.end:
                reason = clip.reason
                break
            text = "" if args.no_caption else caption(clip.particles, field_frame)
            writer.add(renderer.render(clip.particles, text), clip.repeat)
        frames = writer.close()
    except OSError as exc:
        raise UserError(f"could not write {args.out}: {exc}") from None
    finally:
        renderer.close()
    wall = time.perf_counter() - start
    seconds = frames / args.fps
    if reason == "diverged":
        print("scoreviz render: warning: the particles diverged; the clip ends at their last finite step",
              file=sys.stderr)
    print(f"wrote {args.out}: {frames} frames, {seconds:.1f} s of video at {args.fps} fps, {size[0]}×{size[1]}, "
          f"{args.sampler} with {particles.nfe} network evaluations, in {wall:.1f} s "
          f"({seconds / wall:.2f} s of video per second)", file=sys.stderr)
    return {"out": str(args.out), "frames": frames, "video_seconds": seconds, "wall_seconds": wall,
            "speed": seconds / wall, "sampler": args.sampler, "nfe": particles.nfe}
