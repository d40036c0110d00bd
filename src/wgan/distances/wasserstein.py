r"""``wasserstein``: W_p between point clouds, by one of three methods, as a plain float."""

from __future__ import annotations

from typing import Any

import numpy as np

from wgan.distances._checks import check_p, check_point_clouds, check_weights
from wgan.distances.exact import exact_cost
from wgan.distances.one_d import wasserstein_1d_pp
from wgan.distances.sinkhorn import check_reg, wasserstein_sinkhorn
from wgan.distances.sliced import check_n_projections, sliced_wasserstein

__all__ = ["METHODS", "wasserstein"]

METHODS = ("exact", "sinkhorn", "sliced")


def wasserstein(
    x: Any,
    y: Any,
    a: Any = None,
    b: Any = None,
    *,
    method: str = "exact",
    p: float = 1,
    reg: float | None = None,
    n_projections: int | None = None,
    seed: int | np.random.Generator | None = 0,
) -> float:
    r"""Wasserstein distance W_p between two weighted point clouds (the distance, not W_p^p).

    .. math::
        W_p(\mu, \nu) = \Big( \min_{P \ge 0,\; P\mathbf 1 = a,\; P^\top \mathbf 1 = b}
            \sum_{ij} P_{ij} \|x_i - y_j\|_2^p \Big)^{1/p},
        \qquad \mu = \sum_i a_i \delta_{x_i}, \quad \nu = \sum_j b_j \delta_{y_j}.

    Methods:

    ``"exact"``
        The linear program. In 1-D the closed form of :func:`wasserstein_1d`; otherwise POT's
        network simplex on the cost matrix, or, above 25 million matrix entries and for p in
        {1, 2}, POT's lazy network simplex, which computes costs on the fly in O(n + m)
        memory. Issues a :class:`ConvergenceWarning` if the iteration limit is reached. For
        the plan and the dual potentials use :func:`wasserstein_exact`.
    ``"sinkhorn"``
        The transport cost of the entropic plan, ``reg`` required; at least the exact value,
        close to it for small ``reg``. See :func:`wasserstein_sinkhorn`.
    ``"sliced"``
        The sliced distance SW_p from ``n_projections`` random directions (default 100),
        seeded by ``seed``. SW_p <= W_p is a different distance, not an approximation of W_p.
        For its standard error use :func:`sliced_wasserstein`.

    Parameters
    ----------
    x : array-like or torch.Tensor, shape (n, d) or (n,)
        Support of the first distribution (a 1-D array is n points on the line).
    y : array-like or torch.Tensor, shape (m, d) or (m,)
        Support of the second distribution.
    a : array-like, shape (n,), optional
        Non-negative weights of ``x`` (uniform if None), normalised to sum 1.
    b : array-like, shape (m,), optional
        Non-negative weights of ``y`` (uniform if None), normalised to sum 1.
    method : {"exact", "sinkhorn", "sliced"}, default "exact"
    p : float, default 1
        Order, p >= 1. The ground metric is Euclidean.
    reg : float, optional
        Entropic regularisation, for ``method="sinkhorn"`` only (required there).
    n_projections : int, optional
        Number of directions, for ``method="sliced"`` only.
    seed : int, numpy Generator or None, default 0
        Seed of the directions, for ``method="sliced"``.

    Returns
    -------
    float
        The distance, per unit mass.

    Raises
    ------
    ValueError
        If a cloud is empty or holds NaN/inf, the dimensions differ, a weight vector has the
        wrong length, a negative entry or sums to 0, p < 1, the method is unknown, or ``reg``
        or ``n_projections`` is given to a method that does not use it.

    References
    ----------
    Villani, C. (2009). *Optimal Transport: Old and New*, Definition 6.1.
    Peyre, G. & Cuturi, M. (2019). *Computational Optimal Transport*.

    Examples
    --------
    >>> from wgan.distances import wasserstein
    >>> wasserstein([[0.0, 0.0], [1.0, 0.0]], [[0.0, 3.0], [1.0, 3.0]])
    3.0
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    if reg is not None and method != "sinkhorn":
        raise ValueError(f"reg applies to method='sinkhorn' only, not method={method!r}")
    if n_projections is not None and method != "sliced":
        raise ValueError(f"n_projections applies to method='sliced' only, not method={method!r}")
    if method == "sinkhorn":
        return wasserstein_sinkhorn(x, y, a, b, reg=check_reg(reg), p=p).distance
    if method == "sliced":
        n_dir = check_n_projections(n_projections)
        return sliced_wasserstein(x, y, a, b, p=p, n_projections=n_dir, seed=seed).distance

    p_val = check_p(p)
    x_arr, y_arr = check_point_clouds(x, y)
    if x_arr.shape[1] == 1:
        wa = None if a is None else check_weights(a, x_arr.shape[0], "a", "x")
        wb = None if b is None else check_weights(b, y_arr.shape[0], "b", "y")
        return wasserstein_1d_pp(x_arr[:, 0], y_arr[:, 0], wa, wb, p_val) ** (1.0 / p_val)
    a_arr = check_weights(a, x_arr.shape[0], "a", "x")
    b_arr = check_weights(b, y_arr.shape[0], "b", "y")
    value, _ = exact_cost(x_arr, y_arr, a_arr, b_arr, p_val)
    return value ** (1.0 / p_val)
