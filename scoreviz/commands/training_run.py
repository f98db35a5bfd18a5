"""What every `scoreviz train` shares, points or images, fresh or resumed: the process (one, or one of
torchrun's), the progress bar, the CSV and TensorBoard logs, the checkpoint and the closing line.

Rules: under torchrun only rank 0 prints, logs and saves (the others train and wait); the CSV log is
`<out>.log.csv` (core.train_log), continued from the resumed checkpoint's log.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from scoreviz.core import distributed
from scoreviz.core.checkpoint import save_checkpoint
from scoreviz.core.device import resolve_device
from scoreviz.core.train_log import CsvLog, TensorBoardLog, TensorBoardMissing, log_path
from scoreviz.commands.progress import training_progress

__all__ = ["Launch", "launch", "run_and_save"]


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
        from scoreviz.commands.points import UserError

        raise UserError(f"torchrun: {exc}") from None
    return Launch(device, info)


def run_and_save(trainer, setup: Launch, args, *, steps: int | None, seconds: float | None, data_name: str,
                 fingerprint: str, meta: dict, store_data: bool = True, images: bool = False,
                 resumed_from: Path | None = None) -> dict:
    """Train `steps` more steps or for `seconds` (Trainer.train), log, save to args.out (rank 0) and report.

    `meta` goes into the checkpoint, with the run's training seconds (and images/s for images) and, under
    torchrun, {"ddp": world size, backend, whether the copies ended bit-identical}."""
    if setup.dist is not None:
        distributed.prepare(trainer, setup.dist)
    quiet = args.quiet or not setup.is_main
    logs = []
    try:
        if setup.is_main:   # TensorBoard first: if it is missing, no CSV is left behind
            if getattr(args, "tensorboard", None):
                logs.append(TensorBoardLog(args.tensorboard, trainer.level_edges))
            logs.append(CsvLog(log_path(args.out), trainer.level_edges, start_step=trainer.step_count,
                               resume_from=None if resumed_from is None else log_path(resumed_from)))
        batch = trainer.config.batch_size * setup.world_size
        bar, report = training_progress(None if steps is None else trainer.step_count + steps, quiet,
                                        batch if images else None)
        if setup.dist is not None:
            bar.set_description_str(f"{setup.world_size} processes", refresh=False)

        def callback(stats) -> None:
            report(stats)
            for log in logs:
                log(stats)

        start = time.perf_counter()
        first = trainer.step_count
        with bar:
            bar.n = first
            try:
                trainer.train(steps, callback, seconds)
            except KeyboardInterrupt:   # Ctrl-C: keep what was trained, resumable (cli exits with 130)
                if setup.is_main:
                    save_checkpoint(args.out, trainer=trainer, data_name=data_name, fingerprint=fingerprint,
                                    store_data=store_data, meta={**meta, "interrupted": True})
                    bar.close()
                    print(f"interrupted at step {trainer.step_count}: saved {args.out}; continue with "
                          f"scoreviz train --resume {args.out} --out NEW", file=sys.stderr)
                raise
            callback(trainer.stats())
        elapsed = time.perf_counter() - start
    except TensorBoardMissing as exc:
        from scoreviz.commands.points import UserError

        raise UserError(str(exc)) from None
    finally:
        for log in logs:
            log.close()
    rate = (trainer.step_count - first) * batch / max(elapsed, 1e-9)
    meta = {**{k: v for k, v in meta.items() if k != "interrupted"}, "seconds": round(trainer.seconds, 1)}
    if images:
        meta["images_per_second"] = round(rate, 1)
    if setup.dist is not None:
        meta["ddp"] = {"world_size": setup.world_size, "backend": setup.dist.backend,
                       "ranks_in_sync": distributed.in_sync(trainer)}
    if setup.is_main:
        save_checkpoint(args.out, trainer=trainer, data_name=data_name, fingerprint=fingerprint,
                        store_data=store_data, meta=meta)
        speed = f" ({rate:.0f} images/s)" if images else ""
        print(f"trained {trainer.step_count - first} steps{speed} in {elapsed:.1f} s on {setup.describe()} "
              f"(step {trainer.step_count}, loss {trainer.stats().smoothed_loss:.4f}); wrote {args.out} and "
              f"{log_path(args.out).name}", file=sys.stderr)
    if setup.dist is not None:
        if not meta["ddp"]["ranks_in_sync"] and setup.is_main:
            print("scoreviz train: warning: the processes' weights ended different", file=sys.stderr)
        distributed.shutdown()
    result = {"steps": trainer.step_count, "seconds": elapsed}
    if images:
        result["images_per_second"] = rate
    return result
