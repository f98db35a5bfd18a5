"""Data-parallel training under `torchrun`: one process per GPU (NCCL) or per CPU worker (gloo).

`torchrun --nproc-per-node N -m scoreviz train …` starts N copies of the command with RANK, WORLD_SIZE and
LOCAL_RANK (and MASTER_ADDR/PORT) in their environment. Each copy builds the same Trainer (same seed, same full
data, so the same σ_data, process and initial weights), then `prepare` makes it data-parallel:

* the backbone runs inside `DistributedDataParallel`, which averages the gradients of every process during
  backward, so after each optimiser step all copies hold the same weights (gradients, clipping, Adam moments
  and learning rate are identical). The DDP wrapper is a *view*: `trainer.forward_model` is a Denoiser around
  `DDP(backbone)` sharing its parameters, and `trainer.model` stays the plain module whose state the
  checkpoint saves — the result loads like any other checkpoint.
* the EMA (and the autoguidance copy) are updated from those synced weights by the same rule, so they stay
  identical too; `in_sync` checks it at the end.
* each process draws its batches from its own shard of the data (items rank, rank + W, …; Trainer.shard) with
  its own random stream, so one optimiser step sees W × batch_size different items.
* a time budget is read off the slowest process's clock (Trainer.sync_elapsed): every process stops at the same
  step and plans the same learning-rate schedule (processes that disagreed on either would deadlock or drift).

Only rank 0 prints, writes the checkpoint and the logs (`is_main`).
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from scoreviz.core.model import Denoiser

__all__ = ["DistInfo", "from_env", "in_sync", "init", "prepare", "shutdown"]


@dataclass(frozen=True)
class DistInfo:
    rank: int
    world_size: int
    local_rank: int
    backend: str = ""          # "nccl" or "gloo" once initialised

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def from_env(environ=os.environ) -> DistInfo | None:
    """The torchrun environment (RANK, WORLD_SIZE, LOCAL_RANK), or None outside torchrun / with one process."""
    try:
        world = int(environ.get("WORLD_SIZE", "1"))
        rank, local = int(environ.get("RANK", "0")), int(environ.get("LOCAL_RANK", environ.get("RANK", "0")))
    except ValueError:
        raise ValueError("RANK, WORLD_SIZE and LOCAL_RANK must be integers (they are set by torchrun)") from None
    if world <= 1:
        return None
    if not 0 <= rank < world:
        raise ValueError(f"RANK={rank} is not in [0, WORLD_SIZE={world})")
    return DistInfo(rank, world, local)


def init(info: DistInfo, device: torch.device) -> tuple[DistInfo, torch.device]:
    """Join the process group: NCCL with one GPU per process (cuda:LOCAL_RANK) when `device` is CUDA, gloo on
    the CPU. Returns the info with its backend and the device this process trains on."""
    if device.type == "cuda":
        if info.local_rank >= torch.cuda.device_count():
            raise ValueError(f"LOCAL_RANK {info.local_rank} has no GPU ({torch.cuda.device_count()} found): start "
                             f"at most that many processes per node")
        device = torch.device("cuda", info.local_rank)
        torch.cuda.set_device(device)
        backend = "nccl"
    elif device.type == "cpu":
        backend = "gloo"
    else:
        raise ValueError(f"distributed training runs on CUDA (NCCL) or the CPU (gloo), not on {device.type}")
    if not dist.is_available():
        raise ValueError("this build of PyTorch has no torch.distributed")
    if not dist.is_initialized():
        dist.init_process_group(backend, rank=info.rank, world_size=info.world_size)
    return DistInfo(info.rank, info.world_size, info.local_rank, backend), device


def prepare(trainer, info: DistInfo) -> None:
    """Make `trainer` one of `info.world_size` data-parallel copies (module docstring)."""
    from torch.nn.parallel import DistributedDataParallel as DDP

    model = trainer.model
    # DDP broadcasts rank 0's weights when it wraps them; the EMA and guides are the same from the same seed
    # or checkpoint, and are broadcast as well so that a copy can never start out of step.
    ddp = DDP(model.backbone, device_ids=[trainer.device.index] if trainer.device.type == "cuda" else None)
    trainer.forward_model = Denoiser(ddp, model.sigma_data)
    for net in (trainer.ema, trainer.guide, trainer._guide_candidate):
        if net is not None:
            for tensor in net.state_dict().values():
                dist.broadcast(tensor, src=0)
    if info.rank > 0:   # its own noise and batches; rank 0 keeps the stream a single process would have
        trainer.generator.manual_seed((trainer.config.seed * 1_000_003 + trainer.step_count) * 7919 + info.rank)
    trainer.shard(info.rank, info.world_size)
    trainer.sync_elapsed = _slowest_clock(trainer.device)


def _slowest_clock(device: torch.device):
    def sync(elapsed: float) -> float:
        t = torch.tensor([elapsed], dtype=torch.float64, device=device)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return float(t.item())
    return sync


@torch.no_grad()
def in_sync(trainer) -> bool:
    """True when every process holds bit-identical EMA weights (a sum and a sum of squares per tensor, in
    float64, gathered from all processes: any differing weight changes them)."""
    sums = torch.stack([torch.stack([p.double().sum(), p.double().square().sum()])
                        for p in trainer.ema.state_dict().values()]).flatten()
    gathered = [torch.empty_like(sums) for _ in range(dist.get_world_size())]
    dist.all_gather(gathered, sums)
    return all(torch.equal(g, gathered[0]) for g in gathered)


def shutdown() -> None:
    """Leave the process group (after a barrier, so no process exits while another still needs it)."""
    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
