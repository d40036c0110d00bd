"""Point files: .npy and .csv, with and without a header, and every kind of bad file."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from wgan.data.points import PointFileError, load_points
from wgan.errors import UserError


def test_npy_two_and_one_dimensional(tmp_path: Path, rng: np.random.Generator) -> None:
    pts = rng.normal(size=(7, 3))
    np.save(tmp_path / "a.npy", pts)
    np.testing.assert_array_equal(load_points(tmp_path / "a.npy"), pts)
    np.save(tmp_path / "b.npy", np.arange(5, dtype=np.int32))
    out = load_points(str(tmp_path / "b.npy"))
    assert out.shape == (5, 1) and out.dtype == np.float64


def test_csv_with_and_without_header(tmp_path: Path) -> None:
    (tmp_path / "plain.csv").write_text("1,2\n3.5, -4e-1\n\n# a comment\n5,6\n")
    (tmp_path / "header.csv").write_text("x,y\n1,2\n3.5,-0.4\n5,6\n")
    expected = np.array([[1, 2], [3.5, -0.4], [5, 6]])
    np.testing.assert_array_equal(load_points(tmp_path / "plain.csv"), expected)
    np.testing.assert_array_equal(load_points(tmp_path / "header.csv"), expected)
    (tmp_path / "one.csv").write_text("value\n0.5\n1.5\n")
    assert load_points(tmp_path / "one.csv").shape == (2, 1)
    (tmp_path / "upper.CSV").write_text("1\n")
    assert load_points(tmp_path / "upper.CSV").shape == (1, 1)


def _bad_object_npy(path: Path) -> None:
    np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)


@pytest.mark.parametrize(
    ("name", "write", "message"),
    [
        ("missing.npy", None, "no such file"),
        ("points.txt", "1,2\n", "unsupported file type '.txt'"),
        ("empty.csv", "", "no points"),
        ("only_header.csv", "x,y\n", "no points"),
        ("text.csv", "x,y\n1,2\n3,abc\n", "line 3, column 2: 'abc' is not a number"),
        ("gap.csv", "1,2\n3,\n", "line 2, column 2: empty field"),
        ("ragged.csv", "1,2\n3\n", "line 2 has 1 values, expected 2"),
        ("nan.csv", "1,2\nnan,3\n", "point 2 .coordinate 1. is NaN"),
        ("inf.csv", "1,2\n3,inf\n", "point 2 .coordinate 2. is an infinite value"),
        ("binary.csv", b"\xff\xfe\x00", "not a UTF-8 text file"),
        ("empty.npy", np.zeros((0, 2)), "no points"),
        ("cube.npy", np.zeros((2, 2, 2)), r"shape \(2, 2, 2\)"),
        ("nan.npy", np.array([[1.0, np.nan]]), "point 1 .coordinate 2. is NaN"),
        ("text.npy", np.array(["a", "b"]), "expected numbers"),
        ("object.npy", _bad_object_npy, "not a numeric .npy array"),
        ("garbage.npy", b"not an npy file", "cannot read as .npy|not a numeric .npy"),
    ],
)
def test_bad_files(tmp_path: Path, name: str, write: object, message: str) -> None:
    path = tmp_path / name
    if isinstance(write, str):
        path.write_text(write)
    elif isinstance(write, bytes):
        path.write_bytes(write)
    elif isinstance(write, np.ndarray):
        np.save(path, write)
    elif callable(write):
        write(path)
    with pytest.raises(PointFileError, match=message) as info:
        load_points(path)
    assert isinstance(info.value, UserError) and isinstance(info.value, ValueError)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PointFileError, match="is a directory"):
        load_points(tmp_path)


def test_pickle_is_never_loaded(tmp_path: Path) -> None:
    path = tmp_path / "evil.npy"
    path.write_bytes(pickle.dumps([1, 2, 3]))
    with pytest.raises(PointFileError):
        load_points(path)
