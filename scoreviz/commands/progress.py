"""The command line's training progress bar (tqdm on stderr) and the `Trainer.train` callback that moves it."""
from __future__ import annotations

import sys


def training_progress(total: int | None, quiet: bool, batch_size: int | None = None):
    """(bar, report): use the bar as a context manager and pass `report` as the callback; with `batch_size`
    the bar also shows images/s."""
    from tqdm import tqdm

    bar = tqdm(total=total, unit="step", disable=quiet, file=sys.stderr, dynamic_ncols=True, mininterval=0.2)

    def report(stats) -> None:
        bar.n = stats.step
        extra = {"img_s": f"{stats.steps_per_second * batch_size:.0f}"} if batch_size else {}
        bar.set_postfix(loss=f"{stats.smoothed_loss:.4f}", **extra, refresh=False)
        bar.refresh()

    return bar, report
