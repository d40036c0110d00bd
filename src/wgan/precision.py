"""Mixed precision: bf16 autocast for the matmuls where the hardware runs bf16 natively.

The penalty's norm, the losses and the optimizer state stay fp32 (see lipschitz.py and train.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import torch

NATIVE_BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")


def cpu_has_native_bf16(cpuinfo: str | None = None) -> bool:
    """True when the CPU flags (from /proc/cpuinfo, or the text given) include a bf16 matmul unit."""
    if cpuinfo is None:
        path = Path("/proc/cpuinfo")
        cpuinfo = path.read_text() if path.exists() else ""
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            flags = set(line.partition(":")[2].split())
            return any(flag in flags for flag in NATIVE_BF16_CPU_FLAGS)
    return False


def cuda_has_native_bf16(device: torch.device) -> bool:
    """Ampere (compute capability 8.0) and newer run bf16 on their tensor cores."""
    return torch.cuda.get_device_capability(device)[0] >= 8


def resolve_precision(setting: str, device: torch.device) -> str:
    """'auto' becomes 'bf16' on hardware with native bf16 matmuls and 'fp32' elsewhere."""
    if setting != "auto":
        return setting
    native = cuda_has_native_bf16(device) if device.type == "cuda" else cpu_has_native_bf16()
    return "bf16" if native else "fp32"


@contextlib.contextmanager
def autocast(device: torch.device, precision: str) -> Iterator[None]:
    """bf16 autocast when precision is 'bf16', a no-op for 'fp32'."""
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16"):
        yield


def resolve_device(setting: str) -> torch.device:
    """The device a config names; in a distributed run on GPUs, this process's GPU (LOCAL_RANK)."""
    from wgan import distributed
    from wgan.errors import UserError

    if setting == "auto":
        setting = "cuda" if torch.cuda.is_available() else "cpu"
    if setting == "cuda" and not torch.cuda.is_available():
        raise UserError("device 'cuda' was asked for but no CUDA GPU is visible; use --device cpu")
    if setting == "cuda" and distributed.world_size() > 1:
        index, count = distributed.local_rank(), torch.cuda.device_count()
        if index >= count:
            raise UserError(
                f"process {index} on this node has no GPU of its own ({count} visible); "
                f"start at most {count} processes per node (--nproc_per_node)"
            )
        return torch.device("cuda", index)
    return torch.device(setting)
