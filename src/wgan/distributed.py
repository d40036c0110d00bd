"""Several processes, one run: `torchrun` launch detection and the few collectives training needs.

Data parallelism as in DistributedDataParallel (each process holds the whole model, takes its own
rows of the batch, and gradients are averaged before every optimizer step), done with one explicit
all-reduce per step instead of DDP's autograd hooks. The gradient penalty differentiates the
critic twice (`torch.autograd.grad(create_graph=True)`, then `backward`); DDP's hooks are not made
for that (pytorch/pytorch#47562, #63812, #63929). Here each process computes its whole loss with
the plain modules; the mean over equal shards of per-shard means is the mean over the global
batch, so the averaged gradient is the gradient of the single-process loss.

Outside `torchrun` (no WORLD_SIZE > 1 in the environment) every helper is a no-op for one process.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import torch
import torch.distributed as dist
from torch import Tensor, nn

from wgan.errors import UserError

# Rank 0 evaluates while the others wait in their next collective; an evaluation with FID on a
# large held-out set can take minutes, longer than the default 10-minute collective timeout.
_TIMEOUT = timedelta(minutes=30)
_MESSAGE_BYTES = 1024  # room for one rank's error message in `all_or_none`


def launched() -> bool:
    """True when `torchrun` (or another launcher) started this process as one of several."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def restarted() -> bool:
    """True in a worker that torchrun restarted after a failure (`--max-restarts`): the run it
    was given is to be continued, not started again."""
    return int(os.environ.get("TORCHELASTIC_RESTART_COUNT", "0")) > 0


def world_size() -> int:
    return dist.get_world_size() if dist.is_initialized() else 1


def rank() -> int:
    """This process's rank: from the process group, or from torchrun's RANK before it is joined."""
    if dist.is_initialized():
        return dist.get_rank()
    return int(os.environ.get("RANK", "0")) if launched() else 0


def is_main() -> bool:
    """Rank 0, the one process that writes files and prints (the only one when not distributed)."""
    return rank() == 0


def local_rank() -> int:
    """This process's index on its node: the GPU it uses."""
    return int(os.environ.get("LOCAL_RANK", "0")) if dist.is_initialized() else 0


@contextmanager
def session() -> Iterator[None]:
    """Join the process group `torchrun` set up (gloo for CPU tensors, nccl for CUDA tensors) for
    the duration of the block; nothing to do for a single process or an existing group."""
    if not launched() or dist.is_initialized():
        yield
        return
    backend = "gloo"
    if torch.cuda.is_available():
        backend = "cpu:gloo,cuda:nccl"  # small control messages stay on the CPU
        index = int(os.environ.get("LOCAL_RANK", "0"))
        if index < torch.cuda.device_count():
            torch.cuda.set_device(index)
    # The store of torchrun's rendezvous, with a prefix of its own for each attempt: workers that
    # torchrun restarts may be handed the store of the failed attempt, whose keys still hold the
    # dead workers' addresses (a restarted rank then connects to a dead peer and fails or hangs).
    store, rank_, size = next(dist.rendezvous("env://", timeout=_TIMEOUT))
    attempt = os.environ.get("TORCHELASTIC_RESTART_COUNT", "0")
    store = dist.PrefixStore(f"wgan/attempt-{attempt}", store)
    dist.init_process_group(backend, store=store, rank=rank_, world_size=size, timeout=_TIMEOUT)
    try:
        yield
        dist.barrier()  # no process tears its connections down while another still reads them
    finally:
        dist.destroy_process_group()


def batch_rows(batch_size: int, rank: int, world_size: int) -> slice:
    """This rank's contiguous rows of a global batch; the batch must split evenly.

    Equal shards make the mean of the per-shard means the global mean, on which the exactness of
    gradient averaging rests.
    """
    if batch_size % world_size:
        raise UserError(
            f"batch_size {batch_size} does not split evenly over {world_size} processes; "
            f"use a multiple of {world_size} (batch_size is the global batch)"
        )
    size = batch_size // world_size
    return slice(rank * size, (rank + 1) * size)


def average_gradients_before_step(optimizer: torch.optim.Optimizer) -> None:
    """Average the gradients of `optimizer`'s parameters over all ranks before each of its steps.

    One all-reduce of the flattened gradients per step. Parameters without a gradient (the same
    on every rank, as every rank runs the same graph) are left alone, as the optimizer skips them.
    """

    def average(opt: torch.optim.Optimizer, args: object, kwargs: object) -> None:
        grads = [
            p.grad for group in opt.param_groups for p in group["params"] if p.grad is not None
        ]
        if not grads:
            return
        flat = torch.cat([g.reshape(-1) for g in grads])
        dist.all_reduce(flat)
        flat /= dist.get_world_size()
        offset = 0
        for grad in grads:
            grad.copy_(flat[offset : offset + grad.numel()].view_as(grad))
            offset += grad.numel()

    optimizer.register_step_pre_hook(average)


def mean_over_ranks_(values: Tensor) -> Tensor:
    """Replace `values` in place by their mean over all ranks (unchanged for one process)."""
    if world_size() > 1:
        dist.all_reduce(values)
        values /= world_size()
    return values


class _MeanOverRanks(torch.autograd.Function):
    """Forward: the mean of a tensor over all ranks. Backward: the gradient as it is, because
    `average_gradients_before_step` averages the parameters' gradients over the ranks later."""

    @staticmethod
    def forward(ctx: Any, values: Tensor) -> Tensor:
        return mean_over_ranks_(values.detach().clone())

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad


def batch_mean(values: Tensor) -> Tensor:
    r"""The mean over the global batch (1, ...) of per-sample values (m, ...) of this rank's rows.

    For a loss that is a function of batch means rather than a mean of per-sample terms (feature
    matching), so that every rank computes the global batch's loss. Differentiable: with
    :math:`\bar v = \frac1K \sum_k \bar v_k` the same on every rank, rank k's gradient
    :math:`\partial L / \partial \bar v \cdot \partial \bar v_k / \partial \theta`, averaged
    over the ranks before the step, is :math:`\partial L / \partial \theta`. Equal shards make
    the mean of the ranks' means the global mean. For one process: `values.mean(0, keepdim=True)`.
    """
    mean = values.mean(0, keepdim=True)
    return _MeanOverRanks.apply(mean) if world_size() > 1 else mean


def max_over_ranks(value: int) -> int:
    """The largest of every rank's `value` (e.g. a stop request: 0 for none, else the signal)."""
    if world_size() == 1:
        return value
    flag = torch.tensor([value], dtype=torch.int64)  # a CPU tensor: gloo, no GPU sync
    dist.all_reduce(flag, op=dist.ReduceOp.MAX)
    return int(flag.item())


def broadcast_int(value: int) -> int:
    """Rank 0's `value` on every rank (e.g. a decision taken by rank 0's clock)."""
    if world_size() == 1:
        return value
    flag = torch.tensor([value], dtype=torch.int64)
    dist.broadcast(flag, src=0)
    return int(flag.item())


def gather_ints(value: int) -> list[int]:
    """Every rank's `value`, in rank order."""
    if world_size() == 1:
        return [value]
    mine = torch.tensor([value], dtype=torch.int64)
    every = [torch.zeros_like(mine) for _ in range(world_size())]
    dist.all_gather(every, mine)
    return [int(t.item()) for t in every]


@contextmanager
def all_or_none() -> Iterator[None]:
    """Run the block on every rank; if it raised a UserError on any rank, raise one on every rank.

    Without this a rank that fails on its input (a data file missing on one node) would leave the
    others waiting in their first collective. Every rank raises the first failing rank's message,
    so rank 0, the only one that prints, tells the user.
    """
    if world_size() == 1:
        yield
        return
    error: UserError | None = None
    try:
        yield
    except UserError as err:
        error = err
    mine = torch.zeros(_MESSAGE_BYTES + 1, dtype=torch.uint8)
    if error is not None:
        text = str(error).encode()[:_MESSAGE_BYTES]
        mine[0] = 1
        mine[1 : 1 + len(text)] = torch.frombuffer(bytearray(text), dtype=torch.uint8)
    every = [torch.zeros_like(mine) for _ in range(world_size())]
    dist.all_gather(every, mine)
    for index, message in enumerate(every):
        if message[0]:
            if index == rank() and error is not None:
                raise error
            words = bytes(message[1:].tolist()).rstrip(b"\0").decode(errors="replace")
            raise UserError(words if index == 0 else f"rank {index}: {words}")


def sync_batchnorm(model: nn.Module, device: torch.device) -> nn.Module:
    """`model` with its BatchNorm layers computing statistics over the global batch.

    A BatchNorm layer normalises with the statistics of the batch it sees; a rank sees only its
    shard, so for the single-process numbers the layers become SyncBatchNorm, which reduces the
    statistics (and, in backward, their gradient terms) over all ranks. The running statistics
    are then updated from the global batch, the same on every rank and as in one process.
    PyTorch runs SyncBatchNorm on GPUs only.
    """
    has_batchnorm = any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())
    if world_size() == 1 or not has_batchnorm:
        return model
    if device.type != "cuda":
        raise UserError(
            "this model has BatchNorm layers, which several processes can only share on GPUs "
            "(SyncBatchNorm); train it in one CPU process or on GPUs"
        )
    return nn.SyncBatchNorm.convert_sync_batchnorm(model)
