"""Labelled data: the label column of point files, labelled batches of every source, and the
checks that conditional runs make on labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import tiny_config, tiny_image_config
from wgan.data.points import PointFileError, load_points, read_points
from wgan.data.sources import ImageSource, TensorSource, build_source
from wgan.errors import UserError
from wgan.training.codes import LatentCodes
from wgan.training.kinds import make_kind

CPU = torch.device("cpu")


def test_a_label_column_gives_labels_and_is_not_a_coordinate(tmp_path: Path) -> None:
    path = tmp_path / "labelled.csv"
    path.write_text("x,Label,y\n0.5,1,2\n1.5,0,-1\n# a comment\n2.5,2.0,0\n")
    read = read_points(path)
    np.testing.assert_array_equal(read.points, [[0.5, 2], [1.5, -1], [2.5, 0]])
    assert read.labels is not None and read.labels.tolist() == [1, 0, 2]
    assert read.labels.dtype == np.int64
    np.testing.assert_array_equal(load_points(path), read.points)
    (tmp_path / "plain.csv").write_text("x,y\n1,2\n")
    assert read_points(tmp_path / "plain.csv").labels is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x,label\n1,0.5\n", "line 2: label 0.5 is not a class number"),
        ("x,label\n1,-1\n", "label -1 is not a class number"),
        ("x,label\n1,inf\n", "label inf is not a class number"),
        ("x,label\n1,nan\n", "label nan is not a class number"),
        ("x,label\n1,\n", "line 2, column 2: empty field"),
        ("label,x,label\n1,2,3\n", "2 columns are named 'label'"),
        ("label\n1\n", "the only column is 'label'"),
    ],
)
def test_bad_labels_are_one_line_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(PointFileError, match=message) as info:
        read_points(path)
    assert "\n" not in str(info.value)


def _labelled_points(tmp_path: Path, labels: list[int]) -> Path:
    rows = [f"{i},{-i},{k}" for i, k in enumerate(labels)]
    path = tmp_path / "points.csv"
    path.write_text("a,b,label\n" + "\n".join(rows) + "\n")
    return path


def test_labelled_batches_draw_what_batches_draw(tmp_path: Path) -> None:
    path = _labelled_points(tmp_path, [i % 3 for i in range(30)])
    # Unstandardised, so that a point's coordinates say its label.
    config = tiny_config(data={"name": "points", "path": str(path), "standardize": False})
    for made in (config, tiny_config()):  # a fresh source each: a finite one walks its epoch
        plain = build_source(made, CPU).batch(12, torch.Generator().manual_seed(5), slice(2, 9))
        points, labels = build_source(made, CPU).labelled_batch(
            12, torch.Generator().manual_seed(5), slice(2, 9)
        )
        assert torch.equal(plain, points) and labels.shape == (7,)
    source = build_source(config, CPU)
    assert isinstance(source, TensorSource) and source.n_classes == 3
    points, labels = source.labelled_batch(24, torch.Generator().manual_seed(0))
    assert torch.equal(labels, points[:, 0].long() % 3)  # each point keeps its own label
    held, held_labels = source.holdout(10), source.holdout_labels(10)
    assert held_labels is not None and torch.equal(held_labels, held[:, 0].long() % 3)
    torch.testing.assert_close(source.class_frequencies().sum(), torch.tensor(1.0))


def test_toy_mixture_labels_are_the_modes() -> None:
    source = build_source(tiny_config(), CPU)
    assert source.n_classes == 8 and source.modes is not None
    held, labels = source.holdout(500), source.holdout_labels(500)
    assert labels is not None
    centres = source.modes.centres.float()[labels]
    assert (held - centres).norm(dim=1).max() < 6 * source.modes.std
    torch.testing.assert_close(source.class_frequencies(), torch.full((8,), 1 / 8))
    assert build_source(tiny_config(data={"name": "swissroll"}), CPU).n_classes is None


def test_digit_labels() -> None:
    source = build_source(tiny_image_config(), CPU)
    assert isinstance(source, ImageSource) and source.n_classes == 10
    images, labels = source.labelled_batch(50, torch.Generator().manual_seed(0))
    assert images.shape == (50, 1, 8, 8)
    assert labels.min() >= 0 and labels.max() <= 9
    held = source.holdout_labels(1000)
    assert held is not None and len(held) == len(source.held)


def test_conditional_runs_need_labels_for_every_class(tmp_path: Path) -> None:
    unlabelled = tmp_path / "plain.npy"
    np.save(unlabelled, np.random.default_rng(0).normal(size=(40, 2)))
    config = tiny_config(gan="cgan", data={"name": "points", "path": str(unlabelled)})
    with pytest.raises(UserError, match=r"has no labels; .*'label' column"):
        make_kind(config, build_source(config, CPU))
    gap = _labelled_points(tmp_path, [1, 2] * 20)  # class 0 is never used
    config = tiny_config(gan="acgan", data={"name": "points", "path": str(gap)})
    with pytest.raises(UserError, match=r"classes 0 of 0\.\.2 have no training sample"):
        make_kind(config, build_source(config, CPU))
    assert make_kind(tiny_config(), build_source(tiny_config(), CPU)).codes is None


def test_codes_for_rows_are_those_rows_of_the_whole_batch() -> None:
    codes = LatentCodes(n_classes=4, n_continuous=2, class_probs=torch.tensor([0.1, 0.2, 0.3, 0.4]))
    whole = codes.draw(12, torch.Generator().manual_seed(3))
    part = codes.draw(12, torch.Generator().manual_seed(3), rows=slice(4, 8))
    assert whole.labels is not None and whole.continuous is not None
    assert torch.equal(whole.labels[4:8], part.labels)
    assert torch.equal(whole.continuous[4:8], part.continuous)
    assert whole.continuous.abs().max() <= 1
    encoded = codes.encode(whole)
    assert encoded.shape == (12, 6)
    assert torch.equal(encoded[:, :4].argmax(1), whole.labels)
    many = codes.draw(40000, torch.Generator().manual_seed(0))
    assert many.labels is not None
    shares = torch.bincount(many.labels, minlength=4) / 40000
    torch.testing.assert_close(shares, torch.tensor([0.1, 0.2, 0.3, 0.4]), atol=0.01, rtol=0)
