"""Input checks shared by the distance functions.

Public functions call these at their boundary; each raises ``ValueError`` naming the bad argument,
so a wrong input never turns into a silently wrong number.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


def to_numpy(x: Any, name: str) -> FloatArray:
    """Return ``x`` (array-like or torch tensor) as a float64 NumPy array, else ``ValueError``."""
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # a torch tensor, without importing torch
        tensor = x.detach().cpu()
        if tensor.is_complex():
            raise ValueError(f"{name} must be real, got a complex tensor")
        x = tensor.double().numpy()  # also for dtypes NumPy lacks, such as bfloat16
    arr = np.asarray(x)
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise ValueError(f"{name} must be numeric, got an array of dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise ValueError(f"{name} must be real, got complex values")
    return np.asarray(arr, dtype=np.float64)


def check_finite(arr: FloatArray, name: str) -> None:
    """Raise ``ValueError`` if ``arr`` holds NaN or infinity, saying where the first one is."""
    bad = ~np.isfinite(arr)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        kind = "a NaN" if np.isnan(arr[where]) else "an infinite"
        index = where[0] if len(where) == 1 else where
        raise ValueError(f"{name} has {kind} value at index {index}")


def check_points(x: Any, name: str) -> FloatArray:
    """Return ``x`` as an (n, d) float64 array of finite points; 1-D means points on the line."""
    arr = to_numpy(x, name)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{name} must be an (n, d) array of points, got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty: it needs at least one point")
    if arr.shape[1] == 0:
        raise ValueError(f"{name} has points of dimension 0")
    check_finite(arr, name)
    return arr


def check_values_1d(u: Any, name: str) -> FloatArray:
    """Return ``u`` as a 1-D float64 array of finite values; an (n, 1) array is accepted too."""
    arr = to_numpy(u, name)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of values, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty: it needs at least one value")
    check_finite(arr, name)
    return arr


def check_weights(w: Any, n: int, name: str, points_name: str) -> FloatArray:
    """Return weights normalised to sum 1: uniform if ``w`` is None, else checked and rescaled.

    ``w`` must have shape (n,), be finite and non-negative, and not be all zero.
    """
    if w is None:
        return np.full(n, 1.0 / n)
    arr = to_numpy(w, name)
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.ravel()
    if arr.shape != (n,):
        raise ValueError(
            f"{name} must have shape ({n},), one weight per point of {points_name}, "
            f"got shape {arr.shape}"
        )
    check_finite(arr, name)
    if (arr < 0).any():
        i = int(np.argmax(arr < 0))
        raise ValueError(f"{name} has a negative weight {arr[i]!r} at index {i}")
    total = float(arr.sum())
    if total <= 0.0:
        raise ValueError(f"{name} is all zero: the weights must have a positive sum")
    return arr / total


def check_histogram(p: Any, name: str) -> FloatArray:
    """Return the histogram ``p`` flattened and normalised to sum 1, or raise ``ValueError``."""
    arr = to_numpy(p, name)
    if arr.size == 0:
        raise ValueError(f"{name} is empty: a histogram needs at least one bin")
    check_finite(arr, name)
    arr = arr.ravel()
    if (arr < 0).any():
        i = int(np.argmax(arr < 0))
        raise ValueError(f"{name} has a negative mass {arr[i]!r} in bin {i}")
    total = float(arr.sum())
    if total <= 0.0:
        raise ValueError(f"{name} is all zero: a histogram needs positive total mass")
    return arr / total


def check_p(p: Any) -> float:
    """Return the order ``p`` of a Wasserstein distance as a float; it must be finite and >= 1."""
    try:
        value = float(p)
    except (TypeError, ValueError):
        raise ValueError(f"p must be a number >= 1, got {p!r}") from None
    if not math.isfinite(value) or value < 1.0:
        raise ValueError(f"p must be a finite number >= 1, got {p!r}")
    return value


def check_same_dim(x: FloatArray, y: FloatArray, x_name: str, y_name: str) -> None:
    """Raise ``ValueError`` if two point clouds live in spaces of different dimension."""
    if x.shape[1] != y.shape[1]:
        raise ValueError(
            f"{x_name} and {y_name} must have the same dimension: {x_name} has points of "
            f"dimension {x.shape[1]}, {y_name} of dimension {y.shape[1]}"
        )


def check_point_clouds(x: Any, y: Any) -> tuple[FloatArray, FloatArray]:
    """``x`` and ``y`` as (n, d) and (m, d) float64 arrays of the same dimension d."""
    x_arr = check_points(x, "x")
    y_arr = check_points(y, "y")
    check_same_dim(x_arr, y_arr, "x", "y")
    return x_arr, y_arr
