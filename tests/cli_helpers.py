"""The command line's train → sample → eval round trip, shared by the 2-D and the higher-dimensional tests."""
from __future__ import annotations

import json

import numpy as np

from scoreviz.cli import main


def round_trip(tmp_path, capsys, data: str, train_steps: int, n: int) -> tuple[np.ndarray, dict]:
    """Train on `data`, draw n samples and evaluate them; returns (samples (n, D), the eval report)."""
    ckpt, out = tmp_path / "model.ckpt", tmp_path / "samples.npy"
    assert main(["train", "--data", data, "--out", str(ckpt), "--steps", str(train_steps), "--quiet"]) == 0
    assert main(["sample", "--checkpoint", str(ckpt), "--n", str(n), "--out", str(out), "--steps", "20"]) == 0
    samples = np.load(out)
    capsys.readouterr()
    assert main(["eval", "--checkpoint", str(ckpt), "--n", str(n), "--steps", "20", "--json"]) == 0
    return samples, json.loads(capsys.readouterr().out)
