"""Training logs to look back at: a CSV next to every checkpoint, and TensorBoard scalars when it is installed.

Both are `Trainer.train` callbacks (called with a `TrainStats` every few steps). A row of the CSV
(`<checkpoint>.log.csv`) is

    step, loss, smoothed_loss, lr, seconds, loss_sigma_<σ₁>, …, loss_sigma_<σ_B>

where `loss` is the mean loss of the steps since the previous row (every step counts once, so the curve can
be read at any zoom without aliasing), `smoothed_loss` the trainer's moving average, `lr` the learning rate
of the next step, `seconds` the training time so far (a resumed run carries on counting), and one column per
log-spaced noise-level bin (named by its geometric centre σ, `%.4g`) holding the moving average of the
unweighted DSM loss there (empty: not visited yet) — TrainStats.level_losses.
"""
from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

__all__ = ["CsvLog", "TensorBoardLog", "TensorBoardMissing", "log_path", "sigma_columns"]

FIXED = ["step", "loss", "smoothed_loss", "lr", "seconds"]


def log_path(checkpoint) -> Path:
    """The CSV log of a checkpoint: `<checkpoint>.log.csv` beside it."""
    checkpoint = Path(checkpoint)
    return checkpoint.with_name(checkpoint.name + ".log.csv")


def sigma_columns(level_edges: np.ndarray) -> list[str]:
    """`loss_sigma_<σ>` per bin of (B+1,) edges, σ the bin's geometric centre."""
    centres = np.sqrt(level_edges[:-1] * level_edges[1:])
    return [f"loss_sigma_{c:.4g}" for c in centres]


def _cell(x: float) -> str:
    return "" if x is None or not math.isfinite(x) else f"{x:.6g}"


class CsvLog:
    """Rows appended to `path` as training runs (flushed each row, so a running job can be plotted).

    `resume_from`: the log of the checkpoint a resumed run starts from (None: a fresh run). Its rows up to
    `start_step` are kept — copied first when it is another file — and the new rows follow them, so one file
    holds the whole curve; rows past `start_step` (from a later, discarded continuation) are dropped.
    """

    def __init__(self, path, level_edges: np.ndarray, *, resume_from=None, start_step: int = 0):
        self.path = Path(path)
        self.header = FIXED + sigma_columns(level_edges)
        kept = self._earlier_rows(resume_from, start_step) if resume_from is not None else []
        self.last_step = start_step
        tmp = self.path.with_name(self.path.name + ".part")
        with open(tmp, "w", newline="") as f:   # written whole, then renamed: the old log survives a crash
            writer = csv.writer(f)
            writer.writerow(self.header)
            writer.writerows(kept)
        tmp.replace(self.path)
        self._file = open(self.path, "a", newline="")
        self._writer = csv.writer(self._file)

    def _earlier_rows(self, source, start_step: int) -> list[list[str]]:
        source = Path(source)
        if not source.is_file():
            return []
        with open(source, newline="") as f:
            rows = list(csv.reader(f))
        if not rows or rows[0] != self.header:   # another binning: start a new file rather than mix columns
            return []
        return [r for r in rows[1:] if r and int(r[0]) <= start_step]

    def __call__(self, stats) -> None:
        """Add a row for `stats` (a TrainStats) unless its step is already logged."""
        if stats.step <= self.last_step:
            return
        recent = stats.loss_history[-(stats.step - self.last_step):] if len(stats.loss_history) else []
        loss = float(np.mean(recent)) if len(recent) else stats.loss
        self._writer.writerow([stats.step, _cell(loss), _cell(stats.smoothed_loss), _cell(stats.lr),
                               f"{stats.seconds:.2f}", *(_cell(float(v)) for v in stats.level_losses)])
        self._file.flush()
        self.last_step = stats.step

    def close(self) -> None:
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class TensorBoardMissing(ImportError):
    """--tensorboard was asked for but the tensorboard package is not installed."""


class TensorBoardLog:
    """The same figures as TensorBoard scalars under `folder`: loss, smoothed_loss, lr, and loss_sigma/<σ>
    per noise-level bin. Needs the `tensorboard` package (`pip install 'scoreviz[tensorboard]'`)."""

    def __init__(self, folder, level_edges: np.ndarray):
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:   # torch.utils.tensorboard imports tensorboard itself
            raise TensorBoardMissing("--tensorboard needs the tensorboard package: "
                                     "pip install 'scoreviz[tensorboard]' (or pip install tensorboard)") from None
        self.writer = SummaryWriter(log_dir=str(folder))
        self.tags = [c.replace("loss_sigma_", "loss_sigma/") for c in sigma_columns(level_edges)]
        self.last_step = -1

    def __call__(self, stats) -> None:
        if stats.step <= self.last_step:
            return
        for tag, value in (("loss", stats.loss), ("smoothed_loss", stats.smoothed_loss), ("lr", stats.lr)):
            if math.isfinite(value):
                self.writer.add_scalar(tag, value, stats.step)
        for tag, value in zip(self.tags, stats.level_losses):
            if math.isfinite(value):
                self.writer.add_scalar(tag, float(value), stats.step)
        self.last_step = stats.step

    def close(self) -> None:
        self.writer.close()
