"""`scoreviz schedule`: NCSNv2's rules, the log-SNR report, the levels, the Langevin step and the warnings for a
noise schedule — the user's, a published one (--preset) or a diffusers config (--from) with Lin et al.'s fixes —
without a display (core.schedule.rules and .snr; the plots through app.schedule.plots.render_png, imported
lazily)."""
from __future__ import annotations

import math
import sys
from pathlib import Path

from scoreviz.cli_options import NOISE_FIELDS, SCHEDULE_PARAMETERS
from scoreviz.core.data import load_data
from scoreviz.core.schedule.training_noise import TrainingNoise
from scoreviz.core.processes import make_process
from scoreviz.core.schedule.diffusers_config import read_scheduler_config
from scoreviz.core.schedule.gallery import GALLERY, gallery_process
from scoreviz.core.schedule.rules import level_ratio, levels_for
from scoreviz.core.schedule.snr import merged_report, snr_report, with_fixes
from scoreviz.lab.schedule.view import schedule_frame

from scoreviz.commands.errors import UserError
from scoreviz.commands.options import given_options, schedule_overrides, training_noise

#: With --dim only: the data are taken to have unit std per axis, σ_min = 0.01 of it.
UNIT_SIGMA_MIN = 0.01
#: --from without --dim or --data: CIFAR-10's D (the report's NCSNv2 part depends on D; a note says so).
DEFAULT_CONFIG_DIM = 3072


def schedule(args) -> dict | None:
    """Print the analysis (or return it as a dict for --json) and write --png if asked."""
    if args.steps_each < 1:
        raise UserError(f"--steps-each must be at least 1 (got {args.steps_each})")
    if args.levels is not None and args.levels < 2:
        raise UserError(f"--levels must be at least 2 (got {args.levels})")
    if args.dim is not None and args.dim < 1:
        raise UserError(f"--dim must be positive (got {args.dim})")
    if args.png and not Path(args.png).expanduser().resolve().parent.is_dir():
        raise UserError(f"--png: the folder of {args.png} does not exist")
    if args.sampling_steps < 1:
        raise UserError(f"--sampling-steps must be at least 1 (got {args.sampling_steps})")
    real = args.preset is not None or args.from_config is not None
    if not real and args.data is None and args.dim is None:
        raise UserError("give --data or --dim (or a published schedule: --preset or --from)")
    noise = training_noise(given_options(vars(args), NOISE_FIELDS), TrainingNoise())
    process, before, prediction, dim, notes = _real_process(args) if real else (None, None, None, args.dim, [])
    points, sigma_data = None, 1.0
    if args.data is not None:
        dataset = load_data(args.data)
        points, dim, sigma_data = dataset, dataset.dim, float(dataset.train.std()) or 1.0
        process = process or _own_process(args, dataset)
    process = process or _own_process(args)
    prediction = prediction or args.prediction_type or _default_prediction(process)
    frame = schedule_frame(process, training_noise=noise, points=points, dim=dim, sigma_data=sigma_data,
                           steps_each=args.steps_each, levels=args.levels)
    if args.png:
        from scoreviz.app.schedule.plots import render_png  # Qt only when a picture is asked for

        try:
            render_png(frame, Path(args.png).expanduser())
        except OSError as exc:
            raise UserError(str(exc)) from None
        print(f"wrote {args.png}", file=sys.stderr)
    report = snr_report(process, prediction_type=prediction, sampling_steps=args.sampling_steps)
    out = merged_report(frame.report, report, notes=notes)
    if args.json:
        return {**out, "before": None if before is None else before.to_dict()}
    lines = [line for line in frame.report.summary() + report.summary() if not line.startswith(("note: ", "warning: "))]
    if before is not None:
        lines.append(f"before the fixes: terminal SNR {before.terminal_snr:.3g} → {report.terminal_snr:.3g}, σ̃ at "
                     f"the last step {before.sigma_max_equivalent:.4g} → {report.sigma_max_equivalent:.4g}")
    print("\n".join(lines + [f"note: {n}" for n in out["notes"]] + [f"warning: {w}" for w in out["warnings"]]))
    return None


def _default_prediction(process) -> str:
    return "flow" if process.name == "flow" else "epsilon"


def _own_process(args, dataset=None):
    """The process of --process and its parameters (the data's defaults with --data)."""
    name = args.process or "ve"
    # --levels is the process's ladder for ncsn and the sampler's ladder for every process, so it is no
    # process parameter to check against the process
    given = given_options(vars(args), SCHEDULE_PARAMETERS)
    given.pop("n_levels", None)
    overrides = schedule_overrides(name, given)
    if args.levels is not None and name == "ncsn":
        overrides["n_levels"] = args.levels
    if dataset is not None:
        return make_process(name, dataset.train, **overrides)
    return make_process(name, None, **{**_unit_scale(name, args.dim, overrides), **overrides})


def _real_process(args):
    """(process, its report before the fixes or None, prediction type, D, notes) for --preset / --from."""
    if args.process is not None or given_options(vars(args), SCHEDULE_PARAMETERS):
        raise UserError("--process and the schedule's parameters (--sigma-min … --rho) do not apply with "
                        "--preset or --from: the schedule is the published one")
    notes = []
    if args.preset is not None:
        original, dim = gallery_process(args.preset), GALLERY[args.preset].dim
        prediction = _default_prediction(original)
        notes.append(f"{args.preset}: {GALLERY[args.preset].source}")
        spacing, rescale = args.timestep_spacing, args.rescale_zero_snr
    else:
        config = read_scheduler_config(Path(args.from_config).expanduser())
        if config.ignored:
            notes.append(f"ignored keys of {args.from_config}: {', '.join(config.ignored)}")
        original, dim, prediction = config.process(), DEFAULT_CONFIG_DIM, config.prediction_type
        spacing, rescale = args.timestep_spacing, args.rescale_zero_snr and not config.rescale_betas_zero_snr
        if args.dim is None and args.data is None:
            notes.append(f"D = {DEFAULT_CONFIG_DIM} assumed for NCSNv2's rules (give --dim)")
    try:
        process = with_fixes(original, rescale_zero_snr=rescale, timestep_spacing=spacing)
    except ValueError as exc:
        raise UserError(f"--rescale-zero-snr / --timestep-spacing: {exc}") from None
    fixed = process is not original
    before = snr_report(original, prediction_type=prediction, sampling_steps=args.sampling_steps) if fixed else None
    if rescale and args.prediction_type is None:
        prediction = "v_prediction"   # the rescaled schedule is trained with v (Lin et al. 2024, §3.2)
    return process, before, args.prediction_type or prediction, args.dim or dim, notes


def _unit_scale(name: str, dim: int, overrides: dict) -> dict:
    """Defaults for data of unit std per axis in `dim` dimensions, where the data are not at hand: VE / NCSN
    σ_max = max(10, √(2D)) (two such points lie about √(2D) apart: technique 1's scale), σ_min = 0.01; NCSN's
    ladder at technique 2's ratio for D ≥ 5 (else neighbours 1.5 apart). VP, sub-VP and cosine: their own."""
    if name not in ("ve", "ncsn"):
        return {}
    hi = overrides.get("sigma_max", max(10.0, math.sqrt(2.0 * dim)))
    lo = overrides.get("sigma_min", UNIT_SIGMA_MIN)
    params = {"sigma_max": hi, "sigma_min": lo}
    if name == "ncsn" and 0 < lo < hi:
        gamma = level_ratio(dim)
        params["n_levels"] = levels_for(hi, lo, gamma if gamma is not None else 1.5)
    return params

