r"""Sliced Wasserstein distance: the average of 1-D distances along random directions."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from wgan.distances._checks import (
    FloatArray,
    check_p,
    check_point_clouds,
    check_weights,
)
from wgan.distances.one_d import wasserstein_1d_pp

__all__ = ["DEFAULT_N_PROJECTIONS", "SlicedResult", "sliced_wasserstein"]

DEFAULT_N_PROJECTIONS = 100

# Project at most this many (point, direction) pairs at once, to bound memory (8 bytes each).
_CHUNK_ENTRIES = 500_000


@dataclass(frozen=True)
class SlicedResult:
    """A Monte-Carlo estimate of the sliced Wasserstein distance.

    Attributes
    ----------
    distance : float
        The estimate of SW_p.
    stderr : float
        Its Monte-Carlo standard error over the random directions (delta method for the 1/p
        power). It covers the choice of directions only, not the sampling of the point clouds.
    n_projections : int
        Number of random directions used.
    p : float
        The order of the distance.
    """

    distance: float
    stderr: float
    n_projections: int
    p: float


def check_n_projections(n_projections: Any) -> int:
    """Return the number of directions as an int >= 2, or raise ``ValueError``."""
    if n_projections is None:
        return DEFAULT_N_PROJECTIONS
    if (
        isinstance(n_projections, bool)
        or not isinstance(n_projections, (int, np.integer))
        or n_projections < 2
    ):
        raise ValueError(
            "n_projections must be an integer >= 2 (two directions at least, so that the "
            f"standard error can be estimated), got {n_projections!r}"
        )
    return int(n_projections)


def random_directions(d: int, n: int, seed: int | np.random.Generator | None) -> FloatArray:
    """Return n directions drawn uniformly on the unit sphere in R^d, as a (d, n) array."""
    rng = np.random.default_rng(seed)
    theta = rng.standard_normal((d, n))
    norms = np.linalg.norm(theta, axis=0)
    # A zero Gaussian vector has probability 0; redraw to be safe rather than divide by 0.
    while (norms == 0).any():
        bad = norms == 0
        theta[:, bad] = rng.standard_normal((d, int(bad.sum())))
        norms = np.linalg.norm(theta, axis=0)
    return theta / norms


def _per_projection_costs(
    x: FloatArray,
    y: FloatArray,
    a: FloatArray | None,
    b: FloatArray | None,
    theta: FloatArray,
    p: float,
) -> FloatArray:
    """Return W_p^p of the projections of x and y on each direction (column of theta)."""
    n, m = x.shape[0], y.shape[0]
    n_dir = theta.shape[1]
    out = np.empty(n_dir)
    chunk = max(1, _CHUNK_ENTRIES // max(n, m))
    for start in range(0, n_dir, chunk):
        block = theta[:, start : start + chunk]
        xp = block.T @ x.T  # (k, n): one projected cloud per row
        yp = block.T @ y.T  # (k, m)
        if a is None and b is None and n == m:
            xp.sort(axis=1)
            yp.sort(axis=1)
            diff = np.abs(xp - yp)
            if p != 1.0:
                diff **= p
            out[start : start + block.shape[1]] = diff.mean(axis=1)
        else:
            for k in range(block.shape[1]):
                out[start + k] = wasserstein_1d_pp(xp[k], yp[k], a, b, p)
    return out


def sliced_wasserstein(
    x: Any,
    y: Any,
    a: Any = None,
    b: Any = None,
    *,
    p: float = 1,
    n_projections: int | None = None,
    seed: int | np.random.Generator | None = 0,
) -> SlicedResult:
    r"""Monte-Carlo sliced Wasserstein distance SW_p, with its standard error.

    .. math::
        SW_p(\mu, \nu) = \Big( \int_{S^{d-1}} W_p^p(\theta_\# \mu, \theta_\# \nu)
            \, d\sigma(\theta) \Big)^{1/p}

    where :math:`\theta_\# \mu` is the law of :math:`\langle \theta, X \rangle` and
    :math:`\sigma` the uniform measure on the unit sphere. With L directions
    :math:`\theta_l` drawn from ``seed``, each 1-D term :math:`w_l` is computed exactly
    (:func:`wasserstein_1d`) and

    .. math::
        \widehat{SW}_p = \bar w^{1/p}, \qquad
        \mathrm{se} = \tfrac1p \bar w^{1/p - 1} \, \frac{s_w}{\sqrt L},

    with :math:`\bar w` and :math:`s_w` the mean and standard deviation of the :math:`w_l`.

    SW_p is a different distance from W_p, not an approximation that converges to it as L
    grows: :math:`SW_p \le W_p` always, and in d dimensions SW_1 of a translation by t is
    :math:`|t| \, \mathbb E|\theta_1|` (about :math:`|t| \sqrt{2 / (\pi d)}` for large d),
    not :math:`|t|`. Only in 1-D are they equal. Its appeal is the cost: O(L (n + m) log(n + m))
    time and no n x m matrix.

    Parameters
    ----------
    x : array-like or torch.Tensor, shape (n, d) or (n,)
        Support of the first distribution.
    y : array-like or torch.Tensor, shape (m, d) or (m,)
        Support of the second distribution.
    a, b : array-like, shapes (n,) and (m,), optional
        Non-negative weights (uniform if None), normalised to sum 1.
    p : float, default 1
        Order, p >= 1.
    n_projections : int, optional
        Number L of random directions, at least 2 (default 100).
    seed : int, numpy Generator or None, default 0
        Seed of the directions; the default gives the same estimate on every call, None draws
        fresh ones.

    Returns
    -------
    SlicedResult
        ``distance`` (the estimate), ``stderr`` (its Monte-Carlo standard error),
        ``n_projections``, ``p``.

    Raises
    ------
    ValueError
        On bad points or weights (as :func:`wasserstein_exact`) or n_projections < 2.

    References
    ----------
    Rabin, J., Peyre, G., Delon, J. & Bernot, M. (2011). Wasserstein barycenter and its
    application to texture mixing. *SSVM*.
    Bonneel, N., Rabin, J., Peyre, G. & Pfister, H. (2015). Sliced and Radon Wasserstein
    barycenters of measures. *J. Math. Imaging Vis.* 51, 22-45.
    """
    p_val = check_p(p)
    x_arr, y_arr = check_point_clouds(x, y)
    a_arr = None if a is None else check_weights(a, x_arr.shape[0], "a", "x")
    b_arr = None if b is None else check_weights(b, y_arr.shape[0], "b", "y")
    n_dir = check_n_projections(n_projections)

    theta = random_directions(x_arr.shape[1], n_dir, seed)
    costs = _per_projection_costs(x_arr, y_arr, a_arr, b_arr, theta, p_val)
    mean = float(costs.mean())
    se_mean = float(costs.std(ddof=1)) / math.sqrt(n_dir)
    distance = mean ** (1.0 / p_val)
    if se_mean == 0.0:
        stderr = 0.0
    else:
        stderr = (1.0 / p_val) * mean ** (1.0 / p_val - 1.0) * se_mean
    return SlicedResult(distance=distance, stderr=stderr, n_projections=n_dir, p=p_val)
