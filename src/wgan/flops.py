"""FLOPs of the matmuls and convolutions a piece of code runs, backward passes of any order included.

`count_flops(fn)` runs `fn` once under a dispatch mode that sees every aten operator, also those
autograd runs for `backward()` and for `torch.autograd.grad(create_graph=True)` (the gradient
penalty's double backward), and adds up torch's own FLOP formulas (`torch.utils.flop_counter`:
2 m n k for an (m, k) x (k, n) product, the same per output element for convolutions and their
gradients). Elementwise operations, norms and optimizer updates are not counted: these are the
FLOPs the hardware's matmul peak is about.

torch's `FlopCounterMode` is not used: its module tracker installs backward hooks that
`torch.autograd.grad` refuses on a leaf input ("A leaf node was passed to
_will_engine_execute_node"), which is how the penalty takes its gradient.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import flop_registry


class _CountFlops(TorchDispatchMode):
    def __init__(self) -> None:
        super().__init__()
        self.by_operator: Counter[str] = Counter()

    def __torch_dispatch__(
        self, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: Any = None
    ) -> Any:
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        packet = func._overloadpacket
        if packet in flop_registry:
            self.by_operator[str(packet)] += flop_registry[packet](*args, **kwargs, out_val=out)
        return out


def count_flops(fn: Callable[[], Any]) -> tuple[int, dict[str, int]]:
    """(total FLOPs, FLOPs by aten operator) of the matmuls and convolutions `fn()` runs."""
    with _CountFlops() as mode:
        fn()
    return sum(mode.by_operator.values()), dict(mode.by_operator)
