r"""Wasserstein distance on the real line, in closed form from sorted samples."""

from __future__ import annotations

from typing import Any

import numpy as np

from wgan.distances._checks import FloatArray, check_p, check_values_1d, check_weights

__all__ = ["wasserstein_1d"]


def _abs_pow(diff: FloatArray, p: float) -> FloatArray:
    out = np.abs(diff)
    if p == 2.0:
        out *= out
    elif p != 1.0:
        out **= p
    return out


def _sorted_with_cdf(x: FloatArray, w: FloatArray | None) -> tuple[FloatArray, FloatArray]:
    """Sort values and return them with their cumulative weights, the last one exactly 1."""
    if w is None:
        xs = np.sort(x)
        cdf = np.arange(1, x.size + 1, dtype=np.float64)
    else:
        order = np.argsort(x)
        xs = x[order]
        cdf = np.cumsum(w[order])
    cdf /= cdf[-1]
    return xs, cdf


def _quantile_cost(
    us: FloatArray, cu: FloatArray, vs: FloatArray, cv: FloatArray, p: float
) -> float:
    r"""Return :math:`\int_0^1 |F_u^{-1}(t) - F_v^{-1}(t)|^p dt` for sorted values and their CDFs.

    Both quantile functions are step functions; between consecutive breakpoints of the merged
    cumulative weights (cu and cv together) both are constant, so the integral is a finite sum.
    """
    n, m = cu.size, cv.size
    t = np.concatenate((cu, cv))
    order = np.argsort(t, kind="stable")  # merging two sorted runs: linear time in practice
    ts = t[order]
    dt = np.diff(ts, prepend=0.0)
    # On (ts[k-1], ts[k]] the u-quantile is us[i] with i = #{j : cu[j] < ts[k]}; where the
    # interval has positive length that is the number of u-breakpoints among the first k merged.
    from_u = np.cumsum(order < n)
    iu = np.empty(n + m, dtype=np.intp)
    iu[0] = 0
    iu[1:] = from_u[:-1]
    iv = np.arange(n + m, dtype=np.intp) - iu
    np.minimum(iu, n - 1, out=iu)  # only zero-length intervals can point past the end
    np.minimum(iv, m - 1, out=iv)
    return float(np.dot(dt, _abs_pow(us[iu] - vs[iv], p)))


def wasserstein_1d_pp(
    u: FloatArray, v: FloatArray, wu: FloatArray | None, wv: FloatArray | None, p: float
) -> float:
    """Return W_p^p between checked 1-D samples (weights normalised, or None for uniform)."""
    if wu is None and wv is None and u.size == v.size:
        # Equal sizes and uniform weights: the optimal plan matches the sorted samples in order.
        return float(np.mean(_abs_pow(np.sort(u) - np.sort(v), p)))
    us, cu = _sorted_with_cdf(u, wu)
    vs, cv = _sorted_with_cdf(v, wv)
    return _quantile_cost(us, cu, vs, cv, p)


def wasserstein_1d(
    u: Any,
    v: Any,
    u_weights: Any = None,
    v_weights: Any = None,
    p: float = 1,
) -> float:
    r"""Wasserstein distance W_p between two weighted samples on the real line, in closed form.

    On the line the optimal plan is monotone, so W_p is given by the quantile functions:

    .. math::
        W_p(\mu, \nu) = \Big( \int_0^1 |F_\mu^{-1}(t) - F_\nu^{-1}(t)|^p \, dt \Big)^{1/p},
        \qquad W_1(\mu, \nu) = \int_{\mathbb{R}} |F_\mu(x) - F_\nu(x)| \, dx .

    For discrete measures both quantile functions are step functions, so the integral is a
    finite sum over the merged breakpoints of the two cumulative weight vectors: the result is
    exact (up to rounding) for any weights, ties and duplicated values. Cost: two sorts and a
    linear merge, O((n + m) log(n + m)) time and O(n + m) memory. With uniform weights and
    n = m it reduces to ``mean(|sort(u) - sort(v)| ** p) ** (1 / p)``.

    Parameters
    ----------
    u : array-like or torch.Tensor, shape (n,) or (n, 1)
        Values of the first sample.
    v : array-like or torch.Tensor, shape (m,) or (m, 1)
        Values of the second sample.
    u_weights : array-like, shape (n,), optional
        Non-negative weights of ``u`` (uniform if None), normalised to sum 1.
    v_weights : array-like, shape (m,), optional
        Non-negative weights of ``v`` (uniform if None), normalised to sum 1.
    p : float, default 1
        Order of the distance, p >= 1.

    Returns
    -------
    float
        W_p(u, v) (the distance itself, not its p-th power), per unit mass.

    Raises
    ------
    ValueError
        If a sample is empty or not 1-D, holds NaN/inf, a weight vector has the wrong length,
        a negative or non-finite entry or sums to 0, or p < 1.

    References
    ----------
    Santambrogio, F. (2015). *Optimal Transport for Applied Mathematicians*, Prop. 2.17 and 2.18.
    Peyre, G. & Cuturi, M. (2019). *Computational Optimal Transport*, Remark 2.30.
    """
    p_val = check_p(p)
    u_arr = check_values_1d(u, "u")
    v_arr = check_values_1d(v, "v")
    wu = None if u_weights is None else check_weights(u_weights, u_arr.size, "u_weights", "u")
    wv = None if v_weights is None else check_weights(v_weights, v_arr.size, "v_weights", "v")
    return wasserstein_1d_pp(u_arr, v_arr, wu, wv, p_val) ** (1.0 / p_val)
