"""Reports as JSON: the one rule both schedule reports follow (`rules.ScheduleReport`, `snr.SNRReport`)."""
from __future__ import annotations

import math
from dataclasses import asdict


def json_ready(report) -> dict:
    """A dataclass as a dict `json.dumps` takes and any reader parses: lists for tuples, None for a non-finite
    float (JSON has no NaN or infinity; zero terminal SNR makes log-SNR −∞)."""
    out = asdict(report)
    for key, value in out.items():
        if isinstance(value, float) and not math.isfinite(value):
            out[key] = None
        elif isinstance(value, tuple):
            out[key] = list(value)
    return out
