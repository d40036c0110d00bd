"""wgan: Wasserstein GANs, checked against exact optimal-transport distances.

The public surface: `Config`, `load_config`, `train`, `load_run`, `Run`; the distances live in
`wgan.distances` and the losses in `wgan.losses`. Names are imported on first use, so that
`wgan --version` does not load PyTorch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Config", "Run", "load_config", "load_run", "train"]

if TYPE_CHECKING:
    from wgan.api import Run, load_run, train
    from wgan.config import Config, load_config


def __getattr__(name: str) -> Any:
    if name in ("Run", "load_run", "train"):
        from wgan import api

        return getattr(api, name)
    if name in ("Config", "load_config"):
        from wgan import config

        return getattr(config, name)
    raise AttributeError(f"module 'wgan' has no attribute {name!r}")
