"""Data-parallel training under ``torchrun``: everything the engine does differently when several processes
train one run, in one place.

The same command trains data-parallel (DistributedDataParallel, nccl on GPUs, gloo on CPUs): the global batch
stays ``batch_size`` and each rank takes its share of every batch; stop and divergence are decided together
(every rank leaves the loop at the same step); epoch metrics are summed over the ranks; only rank 0 writes
the run store. In a single process (``WORLD_SIZE`` unset or 1) every helper is a no-op or the identity.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn


@dataclass(frozen=True)
class Ranks:
    """This process's place among the ``world`` processes training one run."""

    rank: int = 0
    world: int = 1
    device: torch.device = torch.device("cpu")

    @property
    def main(self) -> bool:
        """Rank 0: the one process that writes the run store and reports progress."""
        return self.rank == 0

    @property
    def parallel(self) -> bool:
        return self.world > 1

    def label(self) -> str:
        """The device as provenance records it: ``cuda:0``, or ``cuda:0 x4`` under torchrun."""
        return str(self.device) + (f" x{self.world}" if self.parallel else "")

    def shard(self, batch: torch.Tensor, batch_size: int) -> torch.Tensor:
        """This rank's ``batch_size / world`` of the indices of a global batch (a sampler without a DataLoader:
        every rank draws the same permutation)."""
        local = batch_size // self.world
        return batch[self.rank * local:(self.rank + 1) * local]

    def wrap(self, model: nn.Module) -> nn.Module:
        """The model the training steps call: DistributedDataParallel over ``model``, or ``model`` itself."""
        if not self.parallel:
            return model
        from torch.nn.parallel import DistributedDataParallel

        return DistributedDataParallel(model, device_ids=[self.device.index] if self.device.type == "cuda" else None)

    def any(self, *flags: bool) -> tuple[bool, ...]:
        """Each flag, true on every rank when it is true on any (so that all ranks stop at the same step)."""
        if not self.parallel:
            return flags
        import torch.distributed as dist

        t = torch.tensor([float(f) for f in flags], device=self.device)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return tuple(bool(v) for v in t)

    def sum(self, t: torch.Tensor) -> torch.Tensor:
        """``t`` summed over the ranks, in place (counts and loss sums of the whole batch)."""
        if self.parallel:
            import torch.distributed as dist

            dist.all_reduce(t)
        return t

    def sync_buffers(self, model: nn.Module) -> None:
        """Rank 0's buffers on every rank.

        BatchNorm statistics come from each rank's share of the batch (as in the paper's multi-GPU training);
        DDP syncs them from rank 0 before every forward pass, and so do we after the last one, so every rank
        evaluates and ends with the same model."""
        if self.parallel:
            import torch.distributed as dist

            for buf in model.buffers():
                dist.broadcast(buf, 0)

    def gather(self, obj: Any) -> list[Any]:
        """Every rank's ``obj``, in rank order."""
        if not self.parallel:
            return [obj]
        import torch.distributed as dist

        out = [None] * self.world
        dist.all_gather_object(out, obj)
        return out

    def close(self) -> None:
        if self.parallel:
            import torch.distributed as dist

            if dist.is_initialized():
                dist.destroy_process_group()


def setup(device: torch.device, batch_size: int) -> Ranks:
    """This process's ``Ranks`` from torchrun's environment; under torchrun the process group is joined and
    each rank takes its own GPU (``LOCAL_RANK``)."""
    rank, world = int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1:
        import torch.distributed as dist

        if device.type == "cuda":
            device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
            torch.cuda.set_device(device)
        if not dist.is_initialized():
            dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    if batch_size % world:
        raise ValueError(f"batch size {batch_size} does not split evenly over {world} processes")
    return Ranks(rank, world, device)
