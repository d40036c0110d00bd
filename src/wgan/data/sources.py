"""Data sources for training and evaluation, behind one small interface.

A source gives training batches drawn with the run's generator (so a seed and a checkpoint fix
the data order), a held-out real set for evaluation, and a second real set of the same size for
the noise floor of any sample-based distance.

`batch(n, generator, rows=...)` draws the random numbers of all n samples, on every process of a
distributed run alike, and returns only the rows asked for: each process takes its own slice of
one global batch, which is the batch a single process would draw.

Labelled data (the toy mixtures, whose label is the mode; scikit-learn's digits; MNIST and CIFAR-10
with their labels; a points .csv with a `label` column) also gives `labelled_batch`, the same
draws with each sample's class, and the classes of the held-out set. `TransformedSource` applies
a fixed map (`data.transform`) to every sample, the second domain of a CycleGAN demo;
`StackedSource` stacks grey images as the channels of one sample (`data.stack`, Stacked MNIST).
"""

from __future__ import annotations

import hashlib
from typing import Any, Protocol

import numpy as np
import torch
from torch import Tensor

from wgan.config import IMAGE_DATASETS, Config, DataConfig
from wgan.data.images import ImageArray, ImageData, load_digits, load_image_data, to_unit_range
from wgan.data.points import read_points
from wgan.data.scaling import Standardizer
from wgan.data.toy import Modes, ToyDistribution
from wgan.data.transforms import transform_modes, transform_samples
from wgan.errors import UserError

# Fixed offsets keep the evaluation sets apart from the training stream and from each other.
_HOLDOUT_STREAM = 1_000_003
_REFERENCE_STREAM = 2_000_003
_IMAGE_SPLIT_SEED = 0  # image splits do not follow the run's seed: runs on one data set compare
# Training images are converted once and kept on the device when their float32 copy fits in this
# many bytes (CIFAR-10: 614 MB); larger sets are converted batch by batch on the CPU.
RESIDENT_IMAGE_BYTES = 1 << 30
_CONVERT_CHUNK = 4096  # images converted at a time when making the resident copy
ALL_ROWS = slice(None)


class DataSource(Protocol):
    sample_shape: tuple[int, ...]
    modes: Modes | None
    n_train: int | None  # None for an exact sampler
    n_classes: int | None  # classes 0..K-1 of the labels; None for unlabelled data
    # Training batches are in standardised units (`batch`, `labelled_batch`), the evaluation sets
    # (`holdout`, `reference`) in the data's; None where both are the data's.
    scaler: Standardizer | None

    def batch(self, n: int, generator: torch.Generator, rows: slice = ALL_ROWS) -> Tensor: ...
    def labelled_batch(
        self, n: int, generator: torch.Generator, rows: slice = ALL_ROWS
    ) -> tuple[Tensor, Tensor]: ...
    def class_frequencies(self) -> Tensor: ...
    def holdout(self, n: int) -> Tensor: ...
    def holdout_labels(self, n: int) -> Tensor | None: ...
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
        self.n_classes: int | None = None if self.modes is None else len(self.modes.centres)
        self.scaler: Standardizer | None = None  # the toys are at unit scale already
        self.seed = seed
        self.device = device

    def batch(self, n: int, generator: torch.Generator, rows: slice = ALL_ROWS) -> Tensor:
        return self.distribution.sample(n, generator)[rows]

    def labelled_batch(
        self, n: int, generator: torch.Generator, rows: slice = ALL_ROWS
    ) -> tuple[Tensor, Tensor]:
        points, labels = self.distribution.sample_labelled(n, generator)
        return points[rows], _require(labels)[rows]

    def class_frequencies(self) -> Tensor:
        k = _require(self.n_classes)
        return torch.full((k,), 1.0 / k, device=self.device)

    def _fixed(self, n: int, stream: int) -> tuple[Tensor, Tensor | None]:
        generator = torch.Generator(device=self.device).manual_seed(self.seed + stream)
        return self.distribution.sample_labelled(n, generator)

    def holdout(self, n: int) -> Tensor:
        return self._fixed(n, _HOLDOUT_STREAM)[0]

    def holdout_labels(self, n: int) -> Tensor | None:
        return self._fixed(n, _HOLDOUT_STREAM)[1]

    def reference(self, n: int) -> Tensor:
        return self._fixed(n, _REFERENCE_STREAM)[0]

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass


class EpochOrder:
    """Batches of indices into a finite set: a fresh random permutation each epoch.

    The permutation and the position in it are part of the checkpoint, so a resumed run draws
    the same batches as an uninterrupted one.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._perm: Tensor | None = None
        self._pos = 0

    def next(self, n: int, generator: torch.Generator, rows: slice = ALL_ROWS) -> Tensor:
        """The indices of the next n samples (on the generator's device), then `rows` of them."""
        if self._perm is None or self._pos + n > self.size:
            self._perm = torch.randperm(self.size, generator=generator, device=generator.device)
            self._pos = 0
        index = self._perm[self._pos : self._pos + n][rows]
        self._pos += n
        return index

    def state_dict(self) -> dict[str, Any]:
        return {"perm": self._perm, "pos": self._pos}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._perm = state.get("perm")
        self._pos = int(state.get("pos", 0))


class TensorSource:
    """A finite data set held on the device, split into training and held-out parts.

    Training batches walk through a fresh random permutation each epoch; the position in it is
    part of the checkpoint, so a resumed run sees the same batches as an uninterrupted one. With
    `standardize` they are standardised by the training split's statistics (`scaler`).
    """

    def __init__(
        self,
        data: Tensor,
        *,
        holdout_fraction: float,
        seed: int,
        modes: Modes | None = None,
        labels: Tensor | None = None,
        standardize: bool = False,
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
        self.train_labels = None if labels is None else labels[order[n_holdout:]]
        self.held_labels = None if labels is None else labels[order[:n_holdout]]
        self.sample_shape = tuple(data.shape[1:])
        self.modes = modes
        self.n_train: int | None = len(self.train_data)
        self.n_classes: int | None = None if labels is None else int(labels.max()) + 1
        self.order = EpochOrder(len(self.train_data))
        self.scaler: Standardizer | None = Standardizer(self.train_data) if standardize else None
        # What batches are drawn from: the training split, standardised once when asked.
        self.train_view = (
            self.train_data if self.scaler is None else self.scaler.to_standard(self.train_data)
        )

    def batch(self, n: int, generator: torch.Generator, rows: slice = ALL_ROWS) -> Tensor:
        index = self.order.next(n, generator, rows)
        return self.train_view[index.to(self.train_data.device)]

    def labelled_batch(
        self, n: int, generator: torch.Generator, rows: slice = ALL_ROWS
    ) -> tuple[Tensor, Tensor]:
        return self.labelled_items(self.order.next(n, generator, rows))

    def labelled_items(self, index: Tensor) -> tuple[Tensor, Tensor]:
        """The training samples at `index` and their labels."""
        index = index.to(self.train_data.device)
        return self.train_view[index], _require(self.train_labels)[index]

    def training_labels(self) -> Tensor:
        return _require(self.train_labels)

    def class_frequencies(self) -> Tensor:
        return _frequencies(_require(self.train_labels), _require(self.n_classes))

    def holdout(self, n: int) -> Tensor:
        return self.holdout_data[:n]

    def holdout_labels(self, n: int) -> Tensor | None:
        return None if self.held_labels is None else self.held_labels[:n]

    def reference(self, n: int) -> Tensor:
        # Real training samples, independent of the held-out ones: the noise floor of a distance.
        return self.train_data[: min(n, len(self.holdout_data))]

    def state_dict(self) -> dict[str, Any]:
        return self.order.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.order.load_state_dict(state)


class ImageSplit:
    """Some of the images of an ImageArray (by index), drawn as float tensors in [-1, 1]."""

    def __init__(
        self, images: ImageArray, index: np.ndarray, *, channels: int, resolution: int
    ) -> None:
        self.images = images
        self.index = index
        self.channels = channels
        self.resolution = resolution
        self.labels = None if images.labels is None else images.labels[index]

    def __len__(self) -> int:
        return len(self.index)

    def take(self, positions: np.ndarray) -> Tensor:
        """Images at `positions` of this split: float32 (m, C, R, R) on the CPU."""
        return to_unit_range(
            self.images,
            self.index[positions],
            channels=self.channels,
            resolution=self.resolution,
        )

    def first(self, n: int) -> Tensor:
        return self.take(np.arange(min(n, len(self))))

    def fingerprint(self) -> str:
        """A hash of the stored pixels and labels of this split (keys the classifier cache)."""
        digest = hashlib.sha256()
        digest.update(repr((self.channels, self.resolution, self.images.pixels.dtype.str)).encode())
        for start in range(0, len(self.index), 4096):
            rows = self.images.pixels[self.index[start : start + 4096]]
            digest.update(np.ascontiguousarray(rows).tobytes())
        if self.labels is not None:
            digest.update(np.ascontiguousarray(self.labels).tobytes())
        return digest.hexdigest()[:24]


class ImageSource:
    """Images at the config's resolution and channels, split into training and held-out parts.

    The held-out part is the format's own test split where it has one (MNIST t10k, CIFAR-10
    test_batch), else a `holdout_fraction` of the images chosen by a fixed seed, the same for
    every run on the data, so that metrics of different runs compare. Training images whose
    float32 copy fits in `RESIDENT_IMAGE_BYTES` are converted once and kept on the device, so a
    batch is an index into it (no copy from the host, no wait for the GPU); larger sets keep
    their stored type and each batch is converted on the CPU and moved to the device. Either
    way a batch holds the same numbers. Training batches walk through a fresh random
    permutation each epoch, resumable like TensorSource.
    """

    def __init__(
        self,
        data: ImageData,
        *,
        resolution: int | None,
        channels: int | None,
        holdout_fraction: float,
        device: torch.device,
    ) -> None:
        stored_c, h, w = data.train.shape
        channels = channels or stored_c
        resolution = resolution or min(h, w)
        if data.test is not None:
            train, held = data.train, data.test
            train_index, held_index = np.arange(len(train)), np.arange(len(held))
        else:
            n = len(data.train)
            n_holdout = max(1, round(n * holdout_fraction))
            if n - n_holdout < 2:
                raise UserError(
                    f"{data.description} holds {n} images; at least 3 are needed to train "
                    "and evaluate"
                )
            order = np.random.default_rng(_IMAGE_SPLIT_SEED).permutation(n)
            train = held = data.train
            train_index, held_index = np.sort(order[n_holdout:]), np.sort(order[:n_holdout])
        if len(held_index) < 4:
            raise UserError(
                f"{data.description}: the held-out split holds {len(held_index)} images; "
                "evaluation needs at least 4 (more images or a larger data.holdout_fraction)"
            )
        self.train = ImageSplit(train, train_index, channels=channels, resolution=resolution)
        self.held = ImageSplit(held, held_index, channels=channels, resolution=resolution)
        self.description = data.description
        self.device = device
        self.sample_shape: tuple[int, ...] = (channels, resolution, resolution)
        self.modes: Modes | None = None
        self.n_train: int | None = len(self.train)
        self.n_classes: int | None = None
        self.scaler: Standardizer | None = None
        if self.train.labels is not None:
            held_max = -1 if self.held.labels is None else int(self.held.labels.max(initial=-1))
            self.n_classes = max(int(self.train.labels.max()), held_max) + 1
        self.order = EpochOrder(len(self.train))
        self.resident: Tensor | None = None  # (n_train, C, R, R) float32 on the device
        if len(self.train) * 4 * int(np.prod(self.sample_shape)) <= RESIDENT_IMAGE_BYTES:
            chunks = [
                self.train.take(np.arange(start, min(start + _CONVERT_CHUNK, len(self.train))))
                for start in range(0, len(self.train), _CONVERT_CHUNK)
            ]
            self.resident = torch.cat(chunks).to(device)

    def batch(self, n: int, generator: torch.Generator, rows: slice = ALL_ROWS) -> Tensor:
        return self.training_images(self.order.next(n, generator, rows))

    def training_images(self, index: Tensor) -> Tensor:
        """The training images at `index`, from the resident copy or converted now."""
        if self.resident is not None:
            return self.resident[index]
        return self.train.take(index.cpu().numpy()).to(self.device, non_blocking=True)

    def labelled_batch(
        self, n: int, generator: torch.Generator, rows: slice = ALL_ROWS
    ) -> tuple[Tensor, Tensor]:
        return self.labelled_items(self.order.next(n, generator, rows))

    def labelled_items(self, index: Tensor) -> tuple[Tensor, Tensor]:
        """The training images at `index` and their labels."""
        labels = _require(self.train.labels)[index.cpu().numpy()]
        return self.training_images(index), torch.from_numpy(labels).to(self.device)

    def training_labels(self) -> Tensor:
        return torch.from_numpy(_require(self.train.labels)).to(self.device)

    def class_frequencies(self) -> Tensor:
        return _frequencies(self.training_labels(), _require(self.n_classes))

    def holdout(self, n: int) -> Tensor:
        return self.held.first(n).to(self.device)

    def holdout_labels(self, n: int) -> Tensor | None:
        if self.held.labels is None:
            return None
        return torch.from_numpy(self.held.labels[: min(n, len(self.held))]).to(self.device)

    def reference(self, n: int) -> Tensor:
        # Training images, independent of the held-out ones: the noise floor of a metric.
        return self.train.first(min(n, len(self.held))).to(self.device)

    def state_dict(self) -> dict[str, Any]:
        return self.order.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.order.load_state_dict(state)


class StackedSource:
    """Samples of `depth` grey images drawn independently and uniformly at random, one per channel:
    Stacked MNIST (Metz et al. 2017; VEEGAN; PacGAN), whose modes are the triples of digits.

    `digits` is an ImageSource of one channel. Training batches are fresh draws (indices into the
    training digits, with replacement) from the run's generator, so the stream samples the stacked
    distribution exactly and has no state of its own: the checkpointed generator makes a resumed
    run draw the same stacks. The held-out and the reference sets are fixed stacks of the
    held-out and of the training digits, as many as there are held-out digits, drawn with a fixed
    seed: the same for every run on the data, as ImageSource's split is.
    """

    def __init__(self, digits: ImageSource, depth: int) -> None:
        channels, resolution, _ = digits.sample_shape
        if channels != 1:
            raise ValueError(f"stacking needs images of one channel, got {channels}")
        self.digits = digits
        self.depth = depth
        self.device = digits.device
        self.description = f"{digits.description}, {depth} stacked per sample"
        self.sample_shape: tuple[int, ...] = (depth, resolution, resolution)
        self.modes: Modes | None = None
        self.n_train: int | None = None  # an exact sampler: any batch size draws fresh stacks
        self.n_classes: int | None = None  # the stacks are unlabelled: their modes are counted
        self.scaler: Standardizer | None = None
        rng = np.random.default_rng(_IMAGE_SPLIT_SEED)
        n = len(digits.held)
        self.held_stacks = rng.integers(len(digits.held), size=(n, depth))  # positions in held
        self.reference_stacks = rng.integers(len(digits.train), size=(n, depth))

    def _stacked(self, images: Tensor) -> Tensor:
        """(m * depth, 1, R, R) images, `depth` consecutive ones a sample -> (m, depth, R, R)."""
        return images.reshape(-1, *self.sample_shape)

    def batch(self, n: int, generator: torch.Generator, rows: slice = ALL_ROWS) -> Tensor:
        shape = (n, self.depth)
        index = torch.randint(
            len(self.digits.train), shape, generator=generator, device=generator.device
        )
        return self._stacked(self.digits.training_images(index[rows].flatten()))

    def labelled_batch(
        self, n: int, generator: torch.Generator, rows: slice = ALL_ROWS
    ) -> tuple[Tensor, Tensor]:
        return _require(None)

    def class_frequencies(self) -> Tensor:
        return _require(None)

    def holdout(self, n: int) -> Tensor:
        stacks = self.held_stacks[:n].ravel()
        return self._stacked(self.digits.held.take(stacks)).to(self.device)

    def holdout_labels(self, n: int) -> Tensor | None:
        return None

    def reference(self, n: int) -> Tensor:
        stacks = self.reference_stacks[:n].ravel()
        return self._stacked(self.digits.train.take(stacks)).to(self.device)

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass


class TransformedSource:
    """Another source's samples through a fixed map T (`wgan.data.transforms`), labels unchanged.

    The draws, the splits and the checkpointed state are those of the source underneath, so with
    the same seed the held-out set is T of the other source's held-out set: the truth against
    which a CycleGAN's translations are measured.
    """

    def __init__(self, source: DataSource, transform: str) -> None:
        self.source = source
        self.transform = transform
        self.sample_shape = source.sample_shape
        self.modes = None if source.modes is None else transform_modes(transform, source.modes)
        self.n_train = source.n_train
        self.n_classes = source.n_classes
        self.scaler: Standardizer | None = None  # a CycleGAN's domains keep their units
        transform_samples(transform, torch.zeros(1, *self.sample_shape))  # refuses a bad shape

    def batch(self, n: int, generator: torch.Generator, rows: slice = ALL_ROWS) -> Tensor:
        return transform_samples(self.transform, self.source.batch(n, generator, rows))

    def labelled_batch(
        self, n: int, generator: torch.Generator, rows: slice = ALL_ROWS
    ) -> tuple[Tensor, Tensor]:
        samples, labels = self.source.labelled_batch(n, generator, rows)
        return transform_samples(self.transform, samples), labels

    def class_frequencies(self) -> Tensor:
        return self.source.class_frequencies()

    def holdout(self, n: int) -> Tensor:
        return transform_samples(self.transform, self.source.holdout(n))

    def holdout_labels(self, n: int) -> Tensor | None:
        return self.source.holdout_labels(n)

    def reference(self, n: int) -> Tensor:
        return transform_samples(self.transform, self.source.reference(n))

    def state_dict(self) -> dict[str, Any]:
        return self.source.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.source.load_state_dict(state)


def _require(value: Any) -> Any:
    """Labels where labels must be: callers check `n_classes` first, so None here is a bug."""
    if value is None:
        raise RuntimeError("this data has no labels (check DataSource.n_classes first)")
    return value


def _frequencies(labels: Tensor, n_classes: int) -> Tensor:
    """The share of each class among `labels` (n_classes,), float32."""
    counts = torch.bincount(labels, minlength=n_classes).float()
    return counts / counts.sum()


def load_image_set(data: DataConfig) -> ImageData:
    """The image data a data section names: the built-in digits, or the files at data.path."""
    if data.name == "digits":
        return load_digits()
    assert data.path is not None  # checked by Config
    return load_image_data(data.path, resolution=data.resolution, channels=data.channels)


def build_source(
    config: Config, device: torch.device, *, data: DataConfig | None = None
) -> DataSource:
    """The data source of a data section (default: config.data), on `device`; bad files raise
    UserError. CycleGAN runs build their second domain from config.data_b the same way."""
    data = config.data if data is None else data
    source: DataSource
    if data.name == "points":
        assert data.path is not None  # checked by Config
        read = read_points(data.path)
        points = torch.from_numpy(read.points.astype(np.float32)).to(device)
        labels = None if read.labels is None else torch.from_numpy(read.labels).to(device)
        source = TensorSource(
            points,
            holdout_fraction=data.holdout_fraction,
            seed=config.seed,
            labels=labels,
            # A CycleGAN's translators map one domain's units to the other's.
            standardize=data.standardize and config.gan != "cyclegan",
        )
    elif data.name in IMAGE_DATASETS:
        images = ImageSource(
            load_image_set(data),
            resolution=data.resolution,
            channels=data.channels if data.stack == 1 else 1,
            holdout_fraction=data.holdout_fraction,
            device=device,
        )
        source = images if data.stack == 1 else StackedSource(images, data.stack)
    else:
        source = ToySource(data.name, seed=config.seed, device=device)
    if data.transform != "none":
        source = TransformedSource(source, data.transform)
    return source
