r"""Divergences between discrete distributions on a common support: KL, JS and TV.

Each function takes two histograms of the same shape (counts or masses, normalised to sum 1 first)
and returns a float. Logarithms are natural unless ``base`` is given.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.special import rel_entr

from wgan.distances._checks import FloatArray, check_histogram, to_numpy

__all__ = ["js", "kl", "tv"]


def _pair(p: Any, q: Any) -> tuple[FloatArray, FloatArray]:
    p_arr, q_arr = to_numpy(p, "p"), to_numpy(q, "q")
    if p_arr.shape != q_arr.shape:
        raise ValueError(
            f"p and q must be histograms on the same support (same shape), "
            f"got p of shape {p_arr.shape} and q of shape {q_arr.shape}"
        )
    return check_histogram(p_arr, "p"), check_histogram(q_arr, "q")


def _log_base(base: float | None) -> float:
    if base is None:
        return 1.0
    b = float(base)
    if not math.isfinite(b) or b <= 0.0 or b == 1.0:
        raise ValueError(f"base must be a positive number other than 1, got {base!r}")
    return math.log(b)


def _kl(p: FloatArray, q: FloatArray) -> float:
    # rel_entr(p, q) = p log(p / q), with 0 log(0 / q) = 0 and p log(p / 0) = inf for p > 0.
    return float(np.sum(rel_entr(p, q)))


def kl(p: Any, q: Any, *, base: float | None = None) -> float:
    r"""Kullback-Leibler divergence KL(p || q) between two histograms.

    .. math::
        \mathrm{KL}(p \,\|\, q) = \sum_i p_i \log \frac{p_i}{q_i}

    with :math:`0 \log(0 / q_i) = 0`. The sum is :math:`+\infty` as soon as some bin has
    :math:`p_i > 0` and :math:`q_i = 0` (p is not absolutely continuous with respect to q).
    Not symmetric.

    Parameters
    ----------
    p, q : array-like or torch.Tensor, same shape
        Non-negative masses on a common support (any shape; flattened). Each is divided by its
        sum first, so counts work as well as probabilities.
    base : float, optional
        Base of the logarithm (default: natural log, nats). ``base=2`` gives bits.

    Returns
    -------
    float
        KL(p || q) in [0, inf].

    Raises
    ------
    ValueError
        If the shapes differ, a histogram is empty, has NaN/inf or negative entries, or sums to 0.

    References
    ----------
    Cover & Thomas, *Elements of Information Theory*, 2nd ed., eq. (2.26).
    """
    p_n, q_n = _pair(p, q)
    # KL >= 0 (Gibbs' inequality); rounding can leave a few ulps below 0 when p == q.
    return max(_kl(p_n, q_n), 0.0) / _log_base(base)


def js(p: Any, q: Any, *, base: float | None = None) -> float:
    r"""Jensen-Shannon divergence between two histograms, with the 1/2 weights.

    .. math::
        \mathrm{JS}(p, q) = \tfrac12 \mathrm{KL}(p \,\|\, m) + \tfrac12 \mathrm{KL}(q \,\|\, m),
        \qquad m = \tfrac12 (p + q)

    Symmetric, always finite, and bounded: :math:`0 \le \mathrm{JS} \le \log 2`, with
    :math:`\log 2` exactly when p and q have disjoint supports. (Without the 1/2 weights the
    bound would be :math:`2 \log 2`.) This is the divergence, not its square root (the
    Jensen-Shannon distance of ``scipy.spatial.distance.jensenshannon``).

    Parameters
    ----------
    p, q : array-like or torch.Tensor, same shape
        Non-negative masses on a common support, normalised to sum 1 first.
    base : float, optional
        Base of the logarithm (default: natural log). With ``base=2`` the bound is 1.

    Returns
    -------
    float
        JS(p, q) in [0, log 2] (in the chosen base).

    Raises
    ------
    ValueError
        As for :func:`kl`.

    References
    ----------
    Lin, J. (1991). Divergence measures based on the Shannon entropy. *IEEE Trans. Inf. Theory*
    37(1), 145-151.
    """
    p_n, q_n = _pair(p, q)
    m = 0.5 * (p_n + q_n)
    value = 0.5 * _kl(p_n, m) + 0.5 * _kl(q_n, m)
    # Rounding can push the sum a few ulps outside [0, log 2]; the exact value is inside.
    value = min(max(value, 0.0), math.log(2.0))
    return value / _log_base(base)


def tv(p: Any, q: Any) -> float:
    r"""Total variation distance between two histograms.

    .. math::
        \mathrm{TV}(p, q) = \sup_{A} |p(A) - q(A)| = \tfrac12 \sum_i |p_i - q_i|

    The supremum over events A is reached at :math:`A = \{i : p_i > q_i\}`, which is why it
    equals half (not all) of the L1 distance. It lies in [0, 1], with 1 exactly for disjoint
    supports.

    Parameters
    ----------
    p, q : array-like or torch.Tensor, same shape
        Non-negative masses on a common support, normalised to sum 1 first.

    Returns
    -------
    float
        TV(p, q) in [0, 1].

    Raises
    ------
    ValueError
        As for :func:`kl`.

    References
    ----------
    Levin, Peres & Wilmer, *Markov Chains and Mixing Times*, Proposition 4.2.
    """
    p_n, q_n = _pair(p, q)
    return min(0.5 * float(np.abs(p_n - q_n).sum()), 1.0)
