"""What every `scoreviz train` shares, points or images, fresh or resumed: the process (one, or one of
torchrun's), the progress bar, the CSV and TensorBoard logs, the checkpoint and the closing line.

Rules: under torchrun only rank 0 prints, logs and saves (the others train and wait); the CSV log is
`<out>.log.csv` (core.train_log), continued from the resumed checkpoint's log. Reads the TrainPlan (out, quiet,
tensorboard), never the command line.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from scoreviz.core import distributed
from scoreviz.core.checkpoint import save_checkpoint
from scoreviz.core.device import resolve_device
from scoreviz.core.train_log import CsvLog, TensorBoardLog, TensorBoardMissing, log_path

from scoreviz.commands.errors import UserError
from scoreviz.commands.plan import TrainPlan
from scoreviz.commands.progress import training_progress

__all__ = ["Launch", "RunSpec", "launch", "run_and_save"]


@dataclass(frozen=True)
class Launch:
    """Where this process trains: its device and, under torchrun, its place among the others."""

    device: torch.device
    dist: distributed.DistInfo | None = None

    @property
    def is_main(self) -> bool:
        return self.dist is None or self.dist.is_main

    @property
    def world_size(self) -> int:
        return 1 if self.dist is None else self.dist.world_size

    def describe(self) -> str:
        if self.dist is None:
            return self.device.type
        return f"{self.world_size} × {self.device.type} (DDP, {self.dist.backend})"


def launch(device_name: str) -> Launch:
    """The device for --device; under torchrun (WORLD_SIZE > 1) also join the process group."""
    device = resolve_device(device_name)
    try:
        info = distributed.from_env()
        if info is None:
            return Launch(device)
        info, device = distributed.init(info, device)
    except ValueError as exc:   # more processes than GPUs, MPS, a broken environment: the user's to fix
        raise UserError(f"torchrun: {exc}") from None
    return Launch(device, info)


@dataclass(frozen=True)
class RunSpec:
    """One run's length and what its checkpoint records. `steps` more steps and/or `seconds` (both: the first
    reached); `meta` goes into the checkpoint; `store_data`: keep the training points in it (not images: they
    are named by their spec); `images`: report images/s; `resumed_from`: the checkpoint whose CSV log goes on."""

    steps: int | None
    seconds: float | None
    data_name: str
    fingerprint: str
    meta: dict = field(default_factory=dict)
    store_data: bool = True
    images: bool = False
    resumed_from: Path | None = None

    def save(self, trainer, out: str, meta: dict) -> None:
        save_checkpoint(out, trainer=trainer, data_name=self.data_name, fingerprint=self.fingerprint,
                        store_data=self.store_data, meta=meta)


def _open_logs(trainer, setup: Launch, plan: TrainPlan, run: RunSpec) -> list:
    """Rank 0's logs: TensorBoard first (if it is missing, no CSV is left behind), then the CSV."""
    if not setup.is_main:
        return []
    logs = []
    try:
        if plan.tensorboard:
            logs.append(TensorBoardLog(plan.tensorboard, trainer.level_edges))
        logs.append(CsvLog(log_path(plan.out), trainer.level_edges, start_step=trainer.step_count,
                           resume_from=None if run.resumed_from is None else log_path(run.resumed_from)))
    except BaseException as exc:
        for log in logs:
            log.close()
        if isinstance(exc, TensorBoardMissing):
            raise UserError(str(exc)) from None
        raise
    return logs


def _train(trainer, setup: Launch, plan: TrainPlan, run: RunSpec, logs: list, batch: int) -> float:
    """Train with the progress bar and the logs; returns the seconds it took. Ctrl-C saves what was trained
    (resumable) on rank 0 and passes the interrupt on (cli exits with 130)."""
    quiet = plan.quiet or not setup.is_main
    bar, report = training_progress(None if run.steps is None else trainer.step_count + run.steps, quiet,
                                    batch if run.images else None)
    if setup.dist is not None:
        bar.set_description_str(f"{setup.world_size} processes", refresh=False)

    def callback(stats) -> None:
        report(stats)
        for log in logs:
            log(stats)

    start = time.perf_counter()
    with bar:
        bar.n = trainer.step_count
        try:
            trainer.train(run.steps, callback, run.seconds)
        except KeyboardInterrupt:
            if setup.is_main:
                run.save(trainer, plan.out, {**run.meta, "interrupted": True})
                bar.close()
                print(f"interrupted at step {trainer.step_count}: saved {plan.out}; continue with "
                      f"scoreviz train --resume {plan.out} --out NEW", file=sys.stderr)
            raise
        callback(trainer.stats())
    return time.perf_counter() - start


def _final_meta(trainer, setup: Launch, run: RunSpec, rate: float) -> dict:
    """The checkpoint's meta: the run's, without a past interruption, with the training seconds, images/s for
    images and, under torchrun, {"ddp": world size, backend, whether the copies ended bit-identical}."""
    meta = {**{k: v for k, v in run.meta.items() if k != "interrupted"}, "seconds": round(trainer.seconds, 1)}
    if run.images:
        meta["images_per_second"] = round(rate, 1)
    if setup.dist is not None:
        meta["ddp"] = {"world_size": setup.world_size, "backend": setup.dist.backend,
                       "ranks_in_sync": distributed.in_sync(trainer)}
    return meta


def _finish_ddp(setup: Launch, meta: dict) -> None:
    if setup.dist is None:
        return
    if not meta["ddp"]["ranks_in_sync"] and setup.is_main:
        print("scoreviz train: warning: the processes' weights ended different", file=sys.stderr)
    distributed.shutdown()


def run_and_save(trainer, setup: Launch, plan: TrainPlan, run: RunSpec) -> dict:
    """Train `run`'s length (Trainer.train), log, save to plan.out (rank 0) and report; returns the steps, the
    seconds and, for images, images/s."""
    if setup.dist is not None:
        distributed.prepare(trainer, setup.dist)
    first = trainer.step_count
    batch = trainer.config.batch_size * setup.world_size
    logs = _open_logs(trainer, setup, plan, run)
    try:
        elapsed = _train(trainer, setup, plan, run, logs, batch)
    finally:
        for log in logs:
            log.close()
    rate = (trainer.step_count - first) * batch / max(elapsed, 1e-9)
    meta = _final_meta(trainer, setup, run, rate)
    if setup.is_main:
        run.save(trainer, plan.out, meta)
        speed = f" ({rate:.0f} images/s)" if run.images else ""
        print(f"trained {trainer.step_count - first} steps{speed} in {elapsed:.1f} s on {setup.describe()} "
              f"(step {trainer.step_count}, loss {trainer.stats().smoothed_loss:.4f}); wrote {plan.out} and "
              f"{log_path(plan.out).name}", file=sys.stderr)
    _finish_ddp(setup, meta)
    result = {"steps": trainer.step_count, "seconds": elapsed}
    if run.images:
        result["images_per_second"] = rate
    return result
