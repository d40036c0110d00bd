"""Data sources for training and evaluation, behind one small interface.

A source gives training batches drawn with the run's generator (so a seed and a checkpoint fix
the data order), a held-out real set for evaluation, and a second real set of the same size for
the noise floor of any sample-based distance.

`batch(n, generator, rows=...)` draws the random numbers of all n samples, on every process of a
distributed run alike, and returns only the rows asked for: each process takes its own slice of
one global batch, which is the batch a single process would draw.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import torch
from torch import Tensor

from wgan.config import Config
from wgan.data.points import load_points
from wgan.data.toy import Modes, ToyDistribution
from wgan.errors import UserError

# Fixed offsets keep the evaluation sets apart from the training stream and from each other.
_HOLDOUT_STREAM = 1_000_003
_REFERENCE_STREAM = 2_000_003
ALL_ROWS = slice(None)


class DataSource(Protocol):
    sample_shape: tuple[int, ...]
    modes: Modes | None
    n_train: int | None  # None for an exact sampler

    def batch(self, n: int, generator: torch.Generator, rows: slice = ALL_ROWS) -> Tensor: ...
    def holdout(self, n: int) -> Tensor: ...
    def reference(self, n: int) -> Tensor: ...
    def state_dict(self) -> dict[str, Any]: ...
    def load_state_dict(self, state: dict[str, Any]) -> None: ...


class ToySource:
    """An exact sampler: every batch is fresh, the evaluation sets are fixed by the seed."""

    def __init__(self, name: str, *, seed: int, device: torch.device) -> None:
        self.distribution = ToyDistribution(name)
        self.sample_shape: tuple[int, ...] = (self.distribution.dim,)
        self.modes = self.distribution.modes
        self.n_train: int | None = None
        self.seed = seed
        self.device = device

    def batch(self, n: int, generator: torch.Generator, rows: slice = ALL_ROWS) -> Tensor:
        return self.distribution.sample(n, generator)[rows]

    def _fixed(self, n: int, stream: int) -> Tensor:
        generator = torch.Generator(device=self.device).manual_seed(self.seed + stream)
        return self.distribution.sample(n, generator)

    def holdout(self, n: int) -> Tensor:
        return self._fixed(n, _HOLDOUT_STREAM)

    def reference(self, n: int) -> Tensor:
        return self._fixed(n, _REFERENCE_STREAM)

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass


class TensorSource:
    """A finite data set held on the device, split into training and held-out parts.

    Training batches walk through a fresh random permutation each epoch; the position in it is
    part of the checkpoint, so a resumed run sees the same batches as an uninterrupted one.
    """

    def __init__(
        self, data: Tensor, *, holdout_fraction: float, seed: int, modes: Modes | None = None
    ) -> None:
        n = len(data)
        n_holdout = max(1, round(n * holdout_fraction))
        if n - n_holdout < 2:
            raise UserError(
                f"the data holds {n} samples; at least 3 are needed to train and evaluate"
            )
        order = torch.randperm(n, generator=torch.Generator().manual_seed(seed + _HOLDOUT_STREAM))
        order = order.to(data.device)
        self.train_data = data[order[n_holdout:]]
        self.holdout_data = data[order[:n_holdout]]
        self.sample_shape = tuple(data.shape[1:])
        self.modes = modes
        self.n_train: int | None = len(self.train_data)
        self._perm: Tensor | None = None
        self._pos = 0

    def batch(self, n: int, generator: torch.Generator, rows: slice = ALL_ROWS) -> Tensor:
        size = len(self.train_data)
        if self._perm is None or self._pos + n > size:
            self._perm = torch.randperm(size, generator=generator, device=generator.device)
            self._pos = 0
        index = self._perm[self._pos : self._pos + n][rows]
        self._pos += n
        return self.train_data[index.to(self.train_data.device)]

    def holdout(self, n: int) -> Tensor:
        return self.holdout_data[:n]

    def reference(self, n: int) -> Tensor:
        # Real training samples, independent of the held-out ones: the noise floor of a distance.
        return self.train_data[: min(n, len(self.holdout_data))]

    def state_dict(self) -> dict[str, Any]:
        return {"perm": self._perm, "pos": self._pos}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._perm = state.get("perm")
        self._pos = int(state.get("pos", 0))


def build_source(config: Config, device: torch.device) -> DataSource:
    """The data source a config names, on `device`; bad files raise UserError."""
    data = config.data
    if data.name == "points":
        assert data.path is not None  # checked by Config
        points = torch.from_numpy(load_points(data.path).astype(np.float32)).to(device)
        return TensorSource(points, holdout_fraction=data.holdout_fraction, seed=config.seed)
    return ToySource(data.name, seed=config.seed, device=device)
