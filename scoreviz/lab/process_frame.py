"""The noise process as the σ slider and the schedule plots see it: a `ProcessFrame` of plain arrays."""
from __future__ import annotations

import math

import numpy as np
import torch

from scoreviz.core.processes import NCSNLadder, NoiseProcess

from scoreviz.lab.frames import ProcessFrame

#: Points of the σ(t) curve the slider interpolates on.
CURVE_POINTS = 256


def process_frame(process: NoiseProcess, *, device: str, data_version: int = -1,
                  sigma: float = math.nan) -> ProcessFrame:
    """σ̃(t) on CURVE_POINTS times from t_min to t_max, NCSN's ladder if it has one, the σ range, and the σ in use."""
    times = torch.linspace(process.t_min, process.t_max, CURVE_POINTS)
    levels = process.noise_level(times).double().numpy()
    ladder = process.sigmas.numpy() if isinstance(process, NCSNLadder) else np.zeros(0)
    lo, hi = process.noise_range()
    return ProcessFrame(name=process.name, noise_min=lo, noise_max=hi, times=times.double().numpy(), levels=levels,
                        ladder=ladder, is_sde=process.name != "ncsn", device=device, data_version=data_version,
                        sigma=float(sigma))
