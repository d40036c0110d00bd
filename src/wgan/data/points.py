"""Point files a user has: .npy or .csv, one point a row, any dimension d >= 1."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from wgan.errors import UserError


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _read_csv(path: Path) -> np.ndarray:
    with path.open(newline="") as handle:
        rows = [
            (line, row)
            for line, row in enumerate(csv.reader(handle), start=1)
            if any(cell.strip() for cell in row)
        ]
    if rows and not all(_is_number(cell) for cell in rows[0][1]):
        rows = rows[1:]  # a header line
    if not rows:
        raise UserError(
            f"{path} holds no points; give one point a row, coordinates separated by commas"
        )
    width = len(rows[0][1])
    for line, row in rows:
        if len(row) != width:
            raise UserError(f"{path}: line {line} has {len(row)} columns, the first point {width}")
        for cell in row:
            if not _is_number(cell):
                raise UserError(f"{path}: line {line} holds {cell!r}, which is not a number")
    return np.array([[float(cell) for cell in row] for _, row in rows], dtype=np.float64)


def load_points(path: str | Path) -> np.ndarray:
    """Read an (n, d) float64 array from a .npy or .csv file; every problem is a UserError."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"data file {path} does not exist")
    if path.is_dir():
        raise UserError(f"{path} is a directory; give a .npy or .csv file of points")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        try:
            array = np.load(path, allow_pickle=False)
        except (ValueError, OSError, EOFError) as err:
            raise UserError(f"{path} is not a readable .npy array ({err})") from None
        if array.dtype.kind not in "biuf":
            raise UserError(f"{path} holds {array.dtype} values; give numbers")
        array = np.asarray(array, dtype=np.float64)
        if array.ndim == 1:
            array = array[:, None]
        if array.ndim != 2:
            raise UserError(f"{path} has shape {array.shape}; points need shape (n, d)")
    elif suffix == ".csv":
        array = _read_csv(path)
    else:
        raise UserError(f"{path}: unknown point file type '{suffix}'; use .npy or .csv")
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise UserError(f"{path} holds no points")
    bad = ~np.isfinite(array)
    if bad.any():
        row = int(np.argwhere(bad)[0][0])
        raise UserError(f"{path}: row {row} holds NaN or inf; remove or fix such rows")
    return array
