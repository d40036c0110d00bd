"""Reading point clouds from files: ``.npy`` arrays and ``.csv`` text, one point a row.

Formats
-------
``.npy``
    A numeric array of shape (n, d), or (n,) for n points on the line. Loaded without pickle.
``.csv``
    Comma-separated numbers, one point a row, the same number of columns in every row; a
    single column is n points on the line. An optional first row of column names (any row
    whose fields are not all numbers, if it is the first) is skipped. Blank lines and lines
    starting with ``#`` are ignored.

    Labels (for conditional GANs): when the header row names a column ``label``, that column
    holds each point's class, a whole number 0, 1, ..., K - 1, and is not a coordinate.
    ``read_points`` returns the labels; ``load_points`` returns the coordinates alone.

Every problem (missing file, unknown extension, text in a numeric field, ragged rows, NaN or
infinity, no points, a label that is not a whole number >= 0) raises :class:`PointFileError`, a :class:`wgan.errors.UserError` (the CLI
prints it on one line) that is also a :class:`ValueError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from wgan.errors import UserError

__all__ = ["LABEL_COLUMN", "LabelledPoints", "PointFileError", "load_points", "read_points"]

LABEL_COLUMN = "label"  # the header name of a .csv file's label column


class PointFileError(UserError, ValueError):
    """A point file that cannot be read as an (n, d) array of finite numbers."""


@dataclass(frozen=True)
class LabelledPoints:
    """Points (n, d) and, when the file has a label column, their classes (n,) int64."""

    points: npt.NDArray[np.float64]
    labels: npt.NDArray[np.int64] | None


def load_points(path: str | Path) -> npt.NDArray[np.float64]:
    """Load a point cloud from a ``.npy`` or ``.csv`` file as an (n, d) float64 array.

    A ``.csv`` file's ``label`` column, if any, is left out (see `read_points`).

    Parameters
    ----------
    path : str or Path
        The file; the format follows the extension (see the module docstring).

    Returns
    -------
    ndarray, shape (n, d)
        The points, n >= 1, d >= 1; a one-column file gives d = 1.

    Raises
    ------
    PointFileError
        If the file is missing or unreadable, or does not hold at least one row of finite
        numbers with the same number of columns in every row. The message names the file and,
        for CSV, the line.
    """
    return read_points(path).points


def read_points(path: str | Path) -> LabelledPoints:
    """Load points and their labels (None without a ``label`` column) from a .npy or .csv file.

    Raises
    ------
    PointFileError
        As `load_points`; also for a label that is not a whole number >= 0, and for a file whose
        only column is the label.
    """
    file = Path(path)
    if not file.exists():
        raise PointFileError(f"{file}: no such file")
    if file.is_dir():
        raise PointFileError(f"{file}: is a directory, expected a .npy or .csv file of points")
    suffix = file.suffix.lower()
    labels = None
    if suffix == ".npy":
        points = _load_npy(file)
    elif suffix == ".csv":
        points, labels = _load_csv(file)
    else:
        raise PointFileError(
            f"{file}: unsupported file type {file.suffix or '(no extension)'!r}; "
            "use .npy or .csv (one point a row)"
        )
    return LabelledPoints(_check_loaded(points, file), labels)


def _load_npy(file: Path) -> npt.NDArray[np.float64]:
    try:
        arr = np.load(file, allow_pickle=False)
    except ValueError as err:  # pickled object arrays, corrupt headers
        raise PointFileError(f"{file}: not a numeric .npy array ({err})") from None
    except (OSError, EOFError) as err:
        raise PointFileError(f"{file}: cannot read as .npy ({err})") from None
    if not isinstance(arr, np.ndarray):
        raise PointFileError(f"{file}: not a single .npy array")
    if arr.dtype.kind not in "biuf":
        raise PointFileError(f"{file}: holds values of dtype {arr.dtype}, expected numbers")
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise PointFileError(
            f"{file}: array of shape {arr.shape}; expected (n, d) points, one point a row"
        )
    return np.asarray(arr, dtype=np.float64)


def _read_text(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise PointFileError(
            f"{file}: not a UTF-8 text file; expected comma-separated numbers"
        ) from None
    except OSError as err:
        raise PointFileError(f"{file}: cannot read ({err.strerror or err})") from None


def _is_number(field: str) -> bool:
    try:
        float(field)
    except ValueError:
        return False
    return True


def _label_column(names: list[str], file: Path) -> int | None:
    """The position of the header's `label` column (None without one)."""
    found = [i for i, name in enumerate(names) if name.strip().lower() == LABEL_COLUMN]
    if len(found) > 1:
        raise PointFileError(f"{file}: {len(found)} columns are named 'label'; keep one")
    if found and len(names) == 1:
        raise PointFileError(f"{file}: the only column is 'label'; the points need coordinates")
    return found[0] if found else None


def _label_value(value: float, line_no: int, file: Path) -> int:
    if not (value >= 0 and value.is_integer()):
        raise PointFileError(
            f"{file}: line {line_no}: label {value:g} is not a class number; labels are whole "
            "numbers 0, 1, ..., K - 1"
        )
    return int(value)


def _load_csv(file: Path) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64] | None]:
    text = _read_text(file)
    rows: list[list[float]] = []
    labels: list[int] = []
    label_col: int | None = None
    n_cols = 0
    seen_first = False
    for line_no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = [f.strip() for f in line.split(",")]
        if not seen_first:
            seen_first = True
            if not all(_is_number(f) for f in fields):
                n_cols = len(fields)  # a header row: column names
                label_col = _label_column(fields, file)
                continue
        if n_cols == 0:
            n_cols = len(fields)
        if len(fields) != n_cols:
            raise PointFileError(
                f"{file}: line {line_no} has {len(fields)} values, expected {n_cols} "
                "(every row must have the same number of columns)"
            )
        try:
            values = [float(f) for f in fields]
        except ValueError:
            col = next(i for i, f in enumerate(fields) if not _is_number(f))
            what = f"{fields[col]!r} is not a number" if fields[col] else "empty field"
            raise PointFileError(f"{file}: line {line_no}, column {col + 1}: {what}") from None
        if label_col is not None:
            labels.append(_label_value(values.pop(label_col), line_no, file))
        rows.append(values)
    if not rows:
        raise PointFileError(f"{file}: no points (expected one row of numbers per point)")
    points = np.asarray(rows, dtype=np.float64)
    return points, None if label_col is None else np.asarray(labels, dtype=np.int64)


def _check_loaded(points: npt.NDArray[np.float64], file: Path) -> npt.NDArray[np.float64]:
    if points.shape[0] == 0:
        raise PointFileError(f"{file}: no points")
    if points.shape[1] == 0:
        raise PointFileError(f"{file}: points of dimension 0")
    bad = ~np.isfinite(points)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        kind = "NaN" if np.isnan(points[row, col]) else "an infinite value"
        raise PointFileError(
            f"{file}: point {row + 1} (coordinate {col + 1}) is {kind}; all values must be finite"
        )
    return points
