"""Stacked MNIST from small IDX files: the source, its determinism and the config's checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from data.image_files import patch_digits, write_mnist
from wgan.config import load_config
from wgan.data.sources import StackedSource, build_source
from wgan.errors import UserError


def write_patch_mnist(root: Path, n_train: int = 120, n_test: int = 30) -> Path:
    """MNIST-format IDX files (gzipped training set, plain test set) of 8x8 patch digits."""
    rng = np.random.default_rng(0)
    write_mnist(root, *patch_digits(rng, n_train), prefix="train", compress=True)
    write_mnist(root, *patch_digits(rng, n_test), prefix="t10k", compress=False)
    return root


def _source(root: Path, **fields: object) -> StackedSource:
    data = {"path": str(root), "resolution": 8}
    source = build_source(
        load_config("stackedmnist-wgan-gp", data=data, **fields), torch.device("cpu")
    )
    assert isinstance(source, StackedSource)
    return source


def test_each_channel_is_a_training_digit_drawn_independently(tmp_path: Path) -> None:
    source = _source(write_patch_mnist(tmp_path))
    assert source.sample_shape == (3, 8, 8) and source.n_train is None and source.n_classes is None
    digits = source.digits.train.first(len(source.digits.train)).flatten(1)  # (120, 64)
    batch = source.batch(200, torch.Generator().manual_seed(3))
    assert batch.shape == (200, 3, 8, 8) and batch.abs().max() <= 1.0
    # Each channel is exactly one of the training digits; which one, per channel, is the draw.
    match = (batch.reshape(600, 1, 64) == digits.unsqueeze(0)).all(-1)  # (600, 120)
    assert match.any(1).all()
    drawn = match.float().argmax(1).reshape(200, 3)
    assert (drawn[:, 0] != drawn[:, 1]).float().mean() > 0.9  # not one digit copied three times
    assert len(torch.unique(drawn)) > 100  # uniform over the 120 training digits, with repeats


def test_batches_follow_the_generator_and_rows_slice_one_global_batch(tmp_path: Path) -> None:
    source = _source(write_patch_mnist(tmp_path))
    first = source.batch(16, torch.Generator().manual_seed(1))
    assert torch.equal(first, source.batch(16, torch.Generator().manual_seed(1)))
    assert not torch.equal(first, source.batch(16, torch.Generator().manual_seed(2)))
    rows = source.batch(16, torch.Generator().manual_seed(1), rows=slice(4, 8))
    assert torch.equal(rows, first[4:8])
    assert source.state_dict() == {}  # nothing to save: the run's generator holds the stream


def test_held_out_stacks_are_fixed_test_digits_whatever_the_seed(tmp_path: Path) -> None:
    root = write_patch_mnist(tmp_path)
    source, other = _source(root), _source(root, seed=7)
    held = source.holdout(1000)
    assert held.shape == (30, 3, 8, 8)  # as many stacks as held-out digits
    assert torch.equal(held, other.holdout(30)) and torch.equal(held[:5], source.holdout(5))
    assert torch.equal(source.reference(30), other.reference(30))
    test_digits = source.digits.held.first(30).flatten(1)
    assert (held.reshape(90, 1, 64) == test_digits.unsqueeze(0)).all(-1).any(1).all()
    assert source.holdout_labels(30) is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"data": {"name": "8gaussians", "resolution": None}, "model": {"arch": "mlp"}},
            "needs image data",
        ),
        ({"data": {"path": "x", "channels": 1}}, "data.channels unset or 3"),
        ({"gan": "infogan"}, "applies to unconditional runs"),
    ],
)
def test_config_refuses_stacks_it_cannot_make(fields: dict[str, object], message: str) -> None:
    base = {"data": {"path": "x"}}
    with pytest.raises(UserError, match=message):
        load_config("stackedmnist-wgan-gp", **{**base, **fields})


def test_stacking_changes_the_fingerprint(tmp_path: Path) -> None:
    data = {"path": "x", "channels": 3}
    stacked = load_config("stackedmnist-wgan-gp", data=data)
    plain = load_config("stackedmnist-wgan-gp", data={**data, "stack": 1})
    assert stacked.fingerprint() != plain.fingerprint()
