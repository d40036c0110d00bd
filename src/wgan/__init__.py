"""wgan: Wasserstein GANs, checked against exact optimal-transport distances.

The public surface is `__all__`: `Config` (from a preset, a YAML file or keywords), `train`,
`load_run`, `Run`, `load_config`, `UserError`, and the subpackages `distances`, `losses` and
`lipschitz`; docs/api.md lists it with the other documented modules. Everything else may change
between releases. Names are imported on first use, so that `wgan --version` does not load PyTorch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = [
    "Config",
    "Run",
    "UserError",
    "distances",
    "lipschitz",
    "load_config",
    "load_run",
    "losses",
    "train",
]

if TYPE_CHECKING:
    from wgan import distances, lipschitz, losses
    from wgan.api import Run, load_run, train
    from wgan.config import Config, load_config
    from wgan.errors import UserError

_HOMES = {
    "Run": "wgan.api",
    "load_run": "wgan.api",
    "train": "wgan.api",
    "Config": "wgan.config",
    "load_config": "wgan.config",
    "UserError": "wgan.errors",
}
_SUBPACKAGES = ("distances", "lipschitz", "losses")


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    if name in _SUBPACKAGES:
        return importlib.import_module(f"wgan.{name}")
    raise AttributeError(f"module 'wgan' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
