"""Training on several processes with PyTorch DDP, as started by torchrun:

    torchrun --nproc_per_node 2 -m scriptio.cli train DATA ... --device cuda

torchrun sets RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT; `from_env` joins the
process group from them (NCCL on CUDA, each process on GPU LOCAL_RANK; gloo on the CPU). Every
process draws the same global batch and reads its share of it (the task's `shard`); DDP averages
the gradients and the engine weights each share by its items, so that a step is the step one
process would take on the whole batch. What steers a run (elapsed time, the learning-rate scale,
when to evaluate, when to stop) is decided on rank 0 and broadcast, so that every process takes
the same steps; only rank 0 evaluates, saves and reports.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import torch
from torch import nn

# How long a process waits for the others (NCCL's default is 10 minutes).
WAIT_MINUTES = 60


@dataclass
class Distributed:
    """This process's place in a run: rank `rank` of `world` (one process: rank 0 of 1)."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0
    device: str = "cpu"
    owned: bool = False   # this process group was started here (and is closed here)

    @property
    def enabled(self) -> bool:
        return self.world > 1

    @property
    def main(self) -> bool:
        return self.rank == 0

    def prepare(self, network: nn.Module) -> nn.Module:
        """On GPUs, batch norm over the whole global batch (SyncBatchNorm), as one process would
        compute it; gloo cannot synchronize it, so on the CPU each process normalizes its share.
        The root module and every parameter stay the same objects."""
        if self.enabled and torch.device(self.device).type == "cuda":
            return nn.SyncBatchNorm.convert_sync_batchnorm(network)
        return network

    def wrap(self, network: nn.Module) -> nn.Module:
        """The module to run forward and backward through: DDP around `network` (which keeps
        its own parameter names, so checkpoints and model files are those of one process)."""
        if not self.enabled:
            return network
        from torch.nn.parallel import DistributedDataParallel

        cuda = torch.device(self.device).type == "cuda"
        return DistributedDataParallel(network, device_ids=[self.local_rank] if cuda else None)

    def _tensor(self, values: list[float]) -> torch.Tensor:
        device = self.device if torch.device(self.device).type == "cuda" else "cpu"  # NCCL needs GPU tensors
        return torch.tensor(values, dtype=torch.float64, device=device)

    def sum(self, values: list[float]) -> list[float]:
        """Each value summed over every process."""
        if not self.enabled:
            return list(values)
        import torch.distributed as dist

        tensor = self._tensor(values)
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
        return tensor.tolist()

    def broadcast(self, values: list[float]) -> list[float]:
        """Rank 0's values, on every process."""
        if not self.enabled:
            return list(values)
        import torch.distributed as dist

        tensor = self._tensor(values)
        dist.broadcast(tensor, src=0)
        return tensor.tolist()

    def gather(self, value: Any) -> list[Any]:
        """Every process's `value` (picklable), in rank order, on every process."""
        if not self.enabled:
            return [value]
        import torch.distributed as dist

        values: list[Any] = [None] * self.world
        dist.all_gather_object(values, value)
        return values

    def close(self) -> None:
        if self.owned:
            import torch.distributed as dist

            dist.destroy_process_group()
            self.owned = False


def from_env(device: str = "cpu") -> Distributed:
    """Join the process group torchrun describes in the environment (one process: nothing to
    join). On CUDA each process takes GPU LOCAL_RANK and NCCL; elsewhere gloo."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Distributed(device=device)
    import torch.distributed as dist

    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    if torch.device(device).type == "cuda":
        device, backend = f"cuda:{local_rank}", "nccl"
        torch.cuda.set_device(local_rank)
    else:
        backend = "gloo"
    owned = not dist.is_initialized()
    if owned:  # the others wait while rank 0 evaluates: allow for a long dev set
        dist.init_process_group(backend, timeout=timedelta(minutes=WAIT_MINUTES))
    return Distributed(rank, world, local_rank, device, owned)


def launched_by_torchrun() -> bool:
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def is_main_process() -> bool:
    """Rank 0 (or no torchrun at all): the process that prints results."""
    return int(os.environ.get("RANK", "0")) == 0
