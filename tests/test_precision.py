"""Which precision `auto` picks: bf16 where the CPU or GPU runs bf16 matmuls natively."""

from __future__ import annotations

import pytest
import torch

from wgan import precision
from wgan.precision import cpu_has_native_bf16, cuda_has_native_bf16, resolve_precision

# Flags lines as /proc/cpuinfo prints them (shortened): a Zen 4 EPYC, a Sapphire Rapids Xeon
# (AMX), and an older Xeon with AVX-512 but no bf16 unit.
ZEN4 = "processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f avx512_bf16 avx512_vnni\n"
SAPPHIRE_RAPIDS = "flags\t\t: fpu avx512f amx_bf16 amx_tile amx_int8\n"
SKYLAKE = "flags\t\t: fpu sse2 avx2 avx512f avx512bw avx512_vnni\n"


@pytest.mark.parametrize(
    ("cpuinfo", "native"),
    [(ZEN4, True), (SAPPHIRE_RAPIDS, True), (SKYLAKE, False), ("", False),
     ("model name\t: no flags line\n", False),
     ("flags\t\t: avx512_bf16x\n", False)],  # a flag that merely starts alike
)  # fmt: skip
def test_cpu_bf16_detection_reads_the_flags(cpuinfo: str, native: bool) -> None:
    assert cpu_has_native_bf16(cpuinfo) is native


def test_cpu_detection_reads_this_machines_flags() -> None:
    try:
        flags = open("/proc/cpuinfo").read()
    except OSError:
        pytest.skip("no /proc/cpuinfo here")
    expected = any(f in flags.split() for f in ("avx512_bf16", "amx_bf16"))
    assert cpu_has_native_bf16() is expected


@pytest.mark.parametrize(("major", "native"), [(7, False), (8, True), (9, True)])
def test_cuda_bf16_from_compute_capability_8(
    monkeypatch: pytest.MonkeyPatch, major: int, native: bool
) -> None:
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (major, 0))
    assert cuda_has_native_bf16(torch.device("cuda", 0)) is native


@pytest.mark.parametrize("native", [True, False])
def test_auto_follows_the_hardware_and_explicit_settings_stay(
    monkeypatch: pytest.MonkeyPatch, native: bool
) -> None:
    monkeypatch.setattr(precision, "cpu_has_native_bf16", lambda: native)
    monkeypatch.setattr(precision, "cuda_has_native_bf16", lambda device: native)
    for device in (torch.device("cpu"), torch.device("cuda", 0)):
        assert resolve_precision("auto", device) == ("bf16" if native else "fp32")
        assert resolve_precision("fp32", device) == "fp32"
        assert resolve_precision("bf16", device) == "bf16"


def test_bf16_autocast_runs_matmuls_in_bf16_only_when_asked() -> None:
    x, w = torch.randn(4, 8), torch.randn(8, 3)
    with precision.autocast(torch.device("cpu"), "bf16"):
        assert (x @ w).dtype == torch.bfloat16
    with precision.autocast(torch.device("cpu"), "fp32"):
        assert (x @ w).dtype == torch.float32
