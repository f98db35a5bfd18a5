"""Training you can continue (`scoreviz train --resume`) and look back at (the CSV log, --tensorboard)."""
import csv
import sys
import types

import numpy as np
import pytest
import torch

from scoreviz.cli import main
from scoreviz.core.checkpoint import CheckpointError, load_checkpoint, resume_trainer, save_checkpoint
from scoreviz.core.data import make_preset
from scoreviz.core.recipes.points import make_trainer
from scoreviz.core.train_log import log_path, sigma_columns

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _rows(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], [[float(x) if x else np.nan for x in r] for r in rows[1:]]


def test_a_resumed_trainer_is_the_same_run_bit_for_bit(tmp_path):
    """200 steps, save, resume, 100 more == 300 steps straight: weights, EMA, losses, lr plan and RNG all carry."""
    ds = make_preset("moons")
    straight = make_trainer(ds.train, device="cpu", steps=300, batch_size=128, seed=3)
    straight.train(300)
    first = make_trainer(ds.train, device="cpu", steps=300, batch_size=128, seed=3)
    first.train(200)
    save_checkpoint(tmp_path / "a.ckpt", trainer=first, data_name=ds.name, fingerprint=ds.fingerprint())
    ckpt = load_checkpoint(tmp_path / "a.ckpt", for_training=True)
    resumed = resume_trainer(ckpt, ds.train)
    assert resumed.step_count == 200 and resumed.planned_steps == 300
    resumed.train(100)
    assert resumed.step_count == 300
    assert np.array_equal(resumed.stats().loss_history, straight.stats().loss_history)
    for a, b in zip(resumed.ema.parameters(), straight.ema.parameters()):
        assert torch.equal(a, b)
    assert resumed.optimizer.state_dict()["state"][0]["step"] == straight.optimizer.state_dict()["state"][0]["step"]


def test_cli_resume_continues_the_step_count_and_the_loss_curve(tmp_path, capsys):
    a, b = tmp_path / "a.ckpt", tmp_path / "b.ckpt"
    assert main(["train", "--data", "8gaussians", "--out", str(a), "--steps", "300", "--quiet"]) == 0
    assert main(["train", "--resume", str(a), "--out", str(b), "--steps", "100", "--quiet"]) == 0
    loaded = load_checkpoint(b)
    assert loaded.meta["steps"] == 400 and loaded.meta["resumed_from"] == str(a)
    assert loaded.meta["data_spec"] == "8gaussians" and loaded.fingerprint == load_checkpoint(a).fingerprint
    header, first = _rows(log_path(a))
    header_b, rows = _rows(log_path(b))
    assert header_b == header and rows[:len(first)] == first   # b's log starts with a's whole curve
    steps = [r[0] for r in rows]
    assert steps == sorted(steps) and steps[-1] == 400 and steps[len(first)] > 300
    loss = header.index("loss")
    untrained, before, after = first[0][loss], np.mean([r[loss] for r in first[-3:]]), rows[len(first)][loss]
    # the resumed run's first logged loss follows on from where the first run ended, not from an untrained model
    assert abs(after - before) < 0.25 * (untrained - before), (untrained, before, after)
    seconds = header.index("seconds")
    assert rows[len(first)][seconds] >= first[-1][seconds]   # the training clock carries on
    assert "step 400" in capsys.readouterr().err


def test_csv_log_has_a_header_rows_and_sigma_columns(tmp_path):
    ckpt = tmp_path / "m.ckpt"
    assert main(["train", "--data", "moons", "--out", str(ckpt), "--steps", "60", "--quiet"]) == 0
    header, rows = _rows(tmp_path / "m.ckpt.log.csv")
    trainer_edges = make_trainer(make_preset("moons").train, device="cpu").level_edges
    assert header == ["step", "loss", "smoothed_loss", "lr", "seconds", *sigma_columns(trainer_edges)]
    assert len(header) == 5 + 32 and header[5].startswith("loss_sigma_")
    assert [r[0] for r in rows] == [25, 50, 60]             # every 25 steps and the last
    assert all(np.isfinite(r[1]) and r[3] > 0 for r in rows)
    assert np.isfinite(np.array(rows[-1][5:])).sum() > 10   # losses per σ bin (empty: a bin not drawn yet)
    # resuming onto the same file appends to it
    assert main(["train", "--resume", str(ckpt), "--out", str(ckpt), "--steps", "40", "--quiet"]) == 0
    _, again = _rows(tmp_path / "m.ckpt.log.csv")
    assert again[:3] == rows and [r[0] for r in again[3:]] == [85, 100]


def test_an_old_checkpoint_without_optimizer_state_says_so(tmp_path, capsys):
    ds = make_preset("moons")
    trainer = make_trainer(ds.train, device="cpu", steps=20)
    trainer.train(20)
    path = tmp_path / "old.ckpt"
    save_checkpoint(path, trainer=trainer, data_name=ds.name, fingerprint=ds.fingerprint())
    payload = torch.load(path, weights_only=True)
    torch.save({k: v for k, v in payload.items() if k not in ("training", "train_config")}, path)
    assert load_checkpoint(path).meta["steps"] == 20        # still samples and evaluates
    with pytest.raises(CheckpointError, match="no optimizer state"):
        load_checkpoint(path, for_training=True)
    capsys.readouterr()
    assert main(["train", "--resume", str(path), "--out", str(tmp_path / "n.ckpt"), "--steps", "5"]) == 2
    err = capsys.readouterr().err.strip()
    assert "no optimizer state" in err and "old.ckpt" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("extra,message", [
    (["--data", "rings"], "is not the data"),
    (["--sigma-max", "3"], "keeps the checkpoint's model"),
    (["--model", "large"], "keeps the checkpoint's model"),
    (["--process", "vp"], "was trained with ve"),
    ([], "finished its planned 30 steps"),
])
def test_resume_refuses_other_data_and_other_models(tmp_path, capsys, extra, message):
    a = tmp_path / "a.ckpt"
    assert main(["train", "--data", "moons", "--out", str(a), "--steps", "30", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["train", "--resume", str(a), "--out", str(tmp_path / "b.ckpt"), "--quiet", *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert not (tmp_path / "b.ckpt").exists()


def test_ctrl_c_saves_a_checkpoint_that_resumes_to_the_plan(tmp_path, monkeypatch):
    from scoreviz.core import train_log

    real = train_log.CsvLog.__call__

    def interrupt_at_50(self, stats):
        real(self, stats)
        if stats.step == 50:
            raise KeyboardInterrupt

    monkeypatch.setattr(train_log.CsvLog, "__call__", interrupt_at_50)
    ckpt = tmp_path / "i.ckpt"
    assert main(["train", "--data", "moons", "--out", str(ckpt), "--steps", "100", "--quiet"]) == 130
    monkeypatch.undo()
    saved = load_checkpoint(ckpt)
    assert saved.meta["steps"] == 50 and saved.meta["interrupted"] is True
    assert main(["train", "--resume", str(ckpt), "--out", str(ckpt), "--quiet"]) == 0   # the rest of the plan
    done = load_checkpoint(ckpt)
    assert done.meta["steps"] == 100 and "interrupted" not in done.meta
    assert [r[0] for r in _rows(log_path(ckpt))[1]] == [25, 50, 75, 100]


def test_tensorboard_is_optional_and_clear_when_missing(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)   # as if the package were not installed
    out = tmp_path / "t.ckpt"
    assert main(["train", "--data", "moons", "--out", str(out), "--steps", "5", "--quiet",
                 "--tensorboard", str(tmp_path / "tb")]) == 2
    err = capsys.readouterr().err.strip()
    assert "pip install 'scoreviz[tensorboard]'" in err and len(err.splitlines()) == 1
    assert not out.exists() and not log_path(out).exists()
    written = []

    class FakeWriter:   # torch.utils.tensorboard.SummaryWriter's interface, recording what it is given
        def __init__(self, log_dir):
            written.append(("dir", log_dir))

        def add_scalar(self, tag, value, step):
            written.append((tag, step))

        def close(self):
            written.append(("closed", None))

    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", types.SimpleNamespace(SummaryWriter=FakeWriter))
    assert main(["train", "--data", "moons", "--out", str(out), "--steps", "30", "--quiet",
                 "--tensorboard", str(tmp_path / "tb")]) == 0
    tags = {tag for tag, _ in written}
    assert written[0] == ("dir", str(tmp_path / "tb")) and written[-1] == ("closed", None)
    assert {"loss", "smoothed_loss", "lr"} <= tags and any(t.startswith("loss_sigma/") for t in tags)
    assert {step for tag, step in written if tag == "loss"} == {25, 30}
