"""`torchrun --nproc-per-node 2 -m scoreviz train …`: data-parallel training on two CPU processes over gloo."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from scoreviz.core import distributed
from scoreviz.core.checkpoint import load_checkpoint
from scoreviz.core.recipes.points import draw_samples

TORCHRUN = Path(sys.executable).with_name("torchrun")


def _torchrun(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """Two processes on this machine; --standalone picks a free port (other jobs may use torchrun's 29500)."""
    if not torch.distributed.is_available() or not torch.distributed.is_gloo_available():
        pytest.skip("this PyTorch build has no gloo backend")
    launcher = [str(TORCHRUN)] if TORCHRUN.is_file() else [sys.executable, "-m", "torch.distributed.run"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([*launcher, "--standalone", "--nproc-per-node", "2", "-m", "scoreviz", *args],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=180)


def test_the_torchrun_environment_is_read():
    assert distributed.from_env({}) is None
    assert distributed.from_env({"WORLD_SIZE": "1", "RANK": "0"}) is None
    info = distributed.from_env({"WORLD_SIZE": "4", "RANK": "3", "LOCAL_RANK": "1"})
    assert (info.rank, info.world_size, info.local_rank, info.is_main) == (3, 4, 1, False)
    with pytest.raises(ValueError, match="RANK=4"):
        distributed.from_env({"WORLD_SIZE": "4", "RANK": "4"})


def test_shards_are_disjoint_and_cover_the_data():
    from scoreviz.core.data import make_preset
    from scoreviz.core.recipes.points import make_trainer

    seen = []
    for rank in range(3):
        trainer = make_trainer(make_preset("moons", n_train=100).train, device="cpu", batch_size=400, seed=rank)
        trainer.shard(rank, 3)
        x, _ = trainer._batch()
        rows = {tuple(r) for r in trainer.data[rank::3].tolist()}
        assert {tuple(r) for r in x.tolist()} <= rows   # only its own shard
        seen.append(rows)
    assert not (seen[0] & seen[1]) and sum(map(len, seen)) == 100


def test_two_processes_on_gloo_train_one_checkpoint(tmp_path):
    result = _torchrun(["train", "--data", "moons", "--steps", "20", "--out", "X", "--quiet"], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr.count("trained 20 steps") == 1 and "2 × cpu (DDP, gloo)" in result.stderr   # rank 0 only
    ckpt = load_checkpoint(tmp_path / "X")   # loads like any other checkpoint (the unwrapped module's state)
    assert ckpt.meta["steps"] == 20 and ckpt.meta["data_spec"] == "moons"
    assert ckpt.meta["ddp"] == {"world_size": 2, "backend": "gloo", "ranks_in_sync": True}   # EMA identical
    assert sorted(p.name for p in tmp_path.iterdir()) == ["X", "X.log.csv"]   # one checkpoint, one log
    assert np.isfinite(draw_samples(ckpt.model, ckpt.process, 50, "em", 10).numpy()).all()
    # and a torchrun run resumes (the step count and the log carry on)
    result = _torchrun(["train", "--resume", "X", "--steps", "10", "--out", "Y", "--quiet"], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert load_checkpoint(tmp_path / "Y").meta["steps"] == 30
    assert (tmp_path / "Y.log.csv").read_text().count("\n") == 1 + 1 + 1   # header, step 20, step 30


def test_an_image_model_trains_data_parallel(tmp_path):
    """The conditional U-Net (labels, label dropout, the autoguidance copy) under DDP."""
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", x=rng.integers(0, 256, (64, 28, 28), dtype=np.uint8), y=np.arange(64) % 4)
    result = _torchrun(["train", "--data", "d.npz", "--steps", "6", "--model", "tiny", "--out", "I", "--quiet",
                        "--batch", "8", "--device", "cpu"], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    ckpt = load_checkpoint(tmp_path / "I")
    assert ckpt.meta["kind"] == "images" and ckpt.meta["steps"] == 6 and ckpt.meta["ddp"]["ranks_in_sync"]
    assert ckpt.net_config.num_classes == 4 and ckpt.guide is not None
