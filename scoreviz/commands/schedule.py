"""`scoreviz schedule`: NCSNv2's rules, the levels, the Langevin step and the warnings for a noise schedule,
without a display (core.schedule.rules; the plots through app.schedule.plots.render_png, imported lazily)."""
from __future__ import annotations

import math
import sys
from pathlib import Path

from scoreviz.cli_options import NOISE_FIELDS, SCHEDULE_PARAMETERS
from scoreviz.core.data import load_data
from scoreviz.core.schedule.training_noise import TrainingNoise
from scoreviz.core.processes import make_process
from scoreviz.core.schedule.rules import level_ratio, levels_for
from scoreviz.lab.schedule.view import schedule_frame

from scoreviz.commands.errors import UserError
from scoreviz.commands.options import given_options, schedule_overrides, training_noise

#: With --dim only: the data are taken to have unit std per axis, σ_min = 0.01 of it.
UNIT_SIGMA_MIN = 0.01


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
    # --levels is the process's ladder for ncsn and the sampler's ladder for every process, so it is no
    # process parameter to check against the process
    given = given_options(vars(args), SCHEDULE_PARAMETERS)
    given.pop("n_levels", None)
    overrides = schedule_overrides(args.process, given)
    if args.levels is not None and args.process == "ncsn":
        overrides["n_levels"] = args.levels
    noise = training_noise(given_options(vars(args), NOISE_FIELDS), TrainingNoise())
    if args.data is not None:
        dataset = load_data(args.data)
        process = make_process(args.process, dataset.train, **overrides)
        points, dim, sigma_data = dataset, dataset.dim, float(dataset.train.std()) or 1.0
    else:
        process = make_process(args.process, None, **{**_unit_scale(args.process, args.dim, overrides), **overrides})
        points, dim, sigma_data = None, args.dim, 1.0
    frame = schedule_frame(process, training_noise=noise, points=points, dim=dim, sigma_data=sigma_data,
                           steps_each=args.steps_each, levels=args.levels)
    if args.png:
        from scoreviz.app.schedule.plots import render_png  # Qt only when a picture is asked for

        try:
            render_png(frame, Path(args.png).expanduser())
        except OSError as exc:
            raise UserError(str(exc)) from None
        print(f"wrote {args.png}", file=sys.stderr)
    if args.json:
        return frame.report.to_dict()
    print("\n".join(frame.report.summary()))
    return None


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

