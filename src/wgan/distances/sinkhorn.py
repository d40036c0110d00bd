r"""Entropic optimal transport (Sinkhorn): a smoothed, faster stand-in for the exact LP."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import ot

from wgan.distances._checks import (
    FloatArray,
    check_p,
    check_point_clouds,
    check_weights,
)
from wgan.distances._cost import cost_matrix
from wgan.distances.exact import ConvergenceWarning

__all__ = ["SinkhornResult", "wasserstein_sinkhorn"]

# Plain scaling works with K = exp(-C / reg) as long as every row and column of K keeps an
# entry well above the underflow limit (exp(-745)): each point's nearest-neighbour cost over reg
# must stay below this. Entries further away may underflow to 0; they carry no mass anyway.
# Above it, or if the plain iteration breaks down, the log-domain iteration is used (about
# ten times slower per iteration, but it cannot underflow).
_MAX_COST_OVER_REG_PLAIN = 200.0


@dataclass(frozen=True, eq=False)
class SinkhornResult:
    """Entropic optimal transport between two point clouds.

    Attributes
    ----------
    distance : float
        ``cost ** (1 / p)``.
    cost : float
        Transport cost of the entropic plan, :math:`\\langle P_\\varepsilon, C \\rangle`.
    plan : ndarray, shape (n, m)
        The entropic plan :math:`P_\\varepsilon`.
    converged : bool
        Whether both marginals of the plan match the weights within ``tol`` (L2 norm).
    n_iter : int
        Number of Sinkhorn iterations run.
    reg : float
        The entropic regularisation used.
    """

    distance: float
    cost: float
    plan: FloatArray
    converged: bool
    n_iter: int
    reg: float


def check_reg(reg: Any) -> float:
    """Return ``reg`` as a positive finite float, or raise ``ValueError``."""
    if reg is None:
        raise ValueError(
            "reg is required for method='sinkhorn': the entropic regularisation, in units of "
            "the cost ||x - y|| ** p (e.g. 1% of a typical distance ** p)"
        )
    try:
        value = float(reg)
    except (TypeError, ValueError):
        raise ValueError(f"reg must be a positive number, got {reg!r}") from None
    if not math.isfinite(value) or value <= 0.0:
        raise ValueError(f"reg must be a positive finite number, got {reg!r}")
    return value


def wasserstein_sinkhorn(
    x: Any,
    y: Any,
    a: Any = None,
    b: Any = None,
    *,
    reg: float,
    p: float = 1,
    max_iter: int = 10_000,
    tol: float = 1e-9,
) -> SinkhornResult:
    r"""Entropic optimal transport (Sinkhorn) between two weighted point clouds.

    Solves the entropy-regularised problem with cost :math:`C_{ij} = \|x_i - y_j\|_2^p`,

    .. math::
        P_\varepsilon = \mathop{\arg\min}_{P \ge 0,\; P\mathbf 1 = a,\; P^\top \mathbf 1 = b}
            \sum_{ij} P_{ij} C_{ij} + \varepsilon \sum_{ij} P_{ij} (\log P_{ij} - 1),

    by Sinkhorn's matrix scaling (POT), and reports the transport cost of that plan raised to
    1/p: :math:`(\langle P_\varepsilon, C \rangle)^{1/p}`. The entropy term is not included.
    Once converged, :math:`P_\varepsilon` is a feasible plan, so the value is never below the
    exact W_p (before that the plan misses its marginals and the value is no bound);
    it tends to W_p as ``reg`` tends to 0, and for large ``reg`` it tends to the cost of the
    independent coupling :math:`a b^\top`. The iterations run on the scaling vectors
    (Sinkhorn-Knopp), and in the log domain when some point is further than ``200 * reg`` (in
    cost) from all points of the other cloud, or when the plain iteration breaks down, so a
    small ``reg`` cannot underflow. The number of iterations grows roughly like 1 / reg: on a
    CPU the exact solver is usually faster for n up to 10^4 (see benchmarks/distances.md);
    the entropic value is useful for its smoothness in the points and in ``reg``.

    Parameters
    ----------
    x : array-like or torch.Tensor, shape (n, d) or (n,)
        Support of the first distribution.
    y : array-like or torch.Tensor, shape (m, d) or (m,)
        Support of the second distribution.
    a, b : array-like, shapes (n,) and (m,), optional
        Non-negative weights (uniform if None), normalised to sum 1.
    reg : float
        The entropic regularisation :math:`\varepsilon > 0`, in the units of the cost
        :math:`\|x - y\|^p`. It blurs the plan over pairs whose cost differs by about ``reg``:
        a few percent of a typical cost gives a value close to W_p.
    p : float, default 1
        Order of the distance, p >= 1.
    max_iter : int, default 10000
        Iteration limit; if reached before ``tol``, a :class:`ConvergenceWarning` is issued.
    tol : float, default 1e-9
        Stop when the L2 norm of the marginal violation is below ``tol``.

    Returns
    -------
    SinkhornResult
        ``distance``, ``cost``, ``plan``, ``converged``, ``n_iter``, ``reg``.

    Raises
    ------
    ValueError
        On bad points or weights (as :func:`wasserstein_exact`), or a missing or non-positive
        ``reg``.

    References
    ----------
    Cuturi, M. (2013). Sinkhorn distances: lightspeed computation of optimal transport. *NeurIPS*.
    Peyre, G. & Cuturi, M. (2019). *Computational Optimal Transport*, Chapter 4.
    """
    reg_val = check_reg(reg)
    p_val = check_p(p)
    x_arr, y_arr = check_point_clouds(x, y)
    a_arr = check_weights(a, x_arr.shape[0], "a", "x")
    b_arr = check_weights(b, y_arr.shape[0], "b", "y")
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}")
    if not (math.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be a positive number, got {tol!r}")

    # Points of zero weight carry no mass: solve without them (the scaling would divide by 0).
    rows, cols = a_arr > 0, b_arr > 0
    cost = cost_matrix(x_arr[rows], y_arr[cols], p_val)
    a_sub, b_sub = a_arr[rows], b_arr[cols]
    nearest = max(float(cost.min(axis=1).max()), float(cost.min(axis=0).max()))
    plain = nearest / reg_val <= _MAX_COST_OVER_REG_PLAIN
    sub_plan, n_iter, failed = _solve(
        a_sub, b_sub, cost, reg_val, int(max_iter), tol, log_domain=not plain
    )
    if plain and failed:
        sub_plan, n_iter, failed = _solve(
            a_sub, b_sub, cost, reg_val, int(max_iter), tol, log_domain=True
        )
    value = max(float(np.sum(sub_plan * cost)), 0.0)
    plan = np.zeros((x_arr.shape[0], y_arr.shape[0]))
    plan[np.ix_(rows, cols)] = sub_plan
    violation = max(
        float(np.linalg.norm(plan.sum(axis=1) - a_arr)),
        float(np.linalg.norm(plan.sum(axis=0) - b_arr)),
    )
    converged = bool(np.isfinite(violation) and violation <= tol)
    if not converged:
        warnings.warn(
            f"Sinkhorn did not reach tol={tol:g} in {max_iter} iterations (marginal error "
            f"{violation:.3g}); increase max_iter or reg",
            ConvergenceWarning,
            stacklevel=2,
        )
    return SinkhornResult(
        distance=value ** (1.0 / p_val),
        cost=value,
        plan=plan,
        converged=converged,
        n_iter=n_iter,
        reg=reg_val,
    )


def _solve(
    a: FloatArray,
    b: FloatArray,
    cost: FloatArray,
    reg: float,
    max_iter: int,
    tol: float,
    *,
    log_domain: bool,
) -> tuple[FloatArray, int, bool]:
    """Run POT's Sinkhorn; return the plan, the iteration count and whether it broke down."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # POT's warnings; convergence is checked by the caller
        plan, log = ot.sinkhorn(
            a,
            b,
            cost,
            reg,
            method="sinkhorn_log" if log_domain else "sinkhorn",
            numItermax=max_iter,
            stopThr=tol,
            log=True,
            warn=False,
        )
    plan_arr = np.asarray(plan, dtype=np.float64)
    failed = not np.isfinite(plan_arr).all() or any(
        "numerical errors" in str(w.message) for w in caught
    )
    return plan_arr, int(log.get("niter", max_iter)), failed
