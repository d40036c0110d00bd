"""``wgan distance A B``: the distance between two point files, as a line or as JSON."""

from __future__ import annotations

import json
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from wgan.data.points import load_points
from wgan.distances._cost import cost_matrix
from wgan.distances.exact import ConvergenceWarning
from wgan.distances.sinkhorn import wasserstein_sinkhorn
from wgan.distances.sliced import DEFAULT_N_PROJECTIONS, sliced_wasserstein
from wgan.distances.wasserstein import wasserstein
from wgan.errors import UserError

__all__ = ["DistanceRequest", "default_reg", "run_distance"]

# For the default entropic regularisation, estimate the mean cost on at most this many points
# of each cloud.
_REG_SAMPLE = 1000


@dataclass(frozen=True)
class DistanceRequest:
    """The arguments of ``wgan distance``."""

    a: Path
    b: Path
    method: str = "exact"
    p: float = 1.0
    reg: float | None = None
    n_projections: int | None = None
    seed: int = 0
    as_json: bool = False


def default_reg(x: np.ndarray, y: np.ndarray, p: float) -> float:
    """Return 1% of the mean cost ``||x_i - y_j|| ** p`` (on evenly spaced subsamples)."""
    xs = x[np.linspace(0, x.shape[0] - 1, min(x.shape[0], _REG_SAMPLE)).astype(int)]
    ys = y[np.linspace(0, y.shape[0] - 1, min(y.shape[0], _REG_SAMPLE)).astype(int)]
    mean_cost = float(cost_matrix(xs, ys, p).mean())
    return 0.01 * mean_cost if mean_cost > 0 else 1.0


def _compute(req: DistanceRequest, x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if req.method == "exact":
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            out["distance"] = wasserstein(x, y, p=req.p)
        stops = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
        for w in stops:
            print(f"wgan: warning: {w.message}", file=sys.stderr)
        out["converged"] = not stops
    elif req.method == "sinkhorn":
        reg = req.reg if req.reg is not None else default_reg(x, y, req.p)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            res = wasserstein_sinkhorn(x, y, reg=reg, p=req.p)
        for w in caught:
            print(f"wgan: warning: {w.message}", file=sys.stderr)
        out.update(distance=res.distance, reg=res.reg, converged=res.converged)
    else:
        n_dir = req.n_projections if req.n_projections is not None else DEFAULT_N_PROJECTIONS
        sres = sliced_wasserstein(x, y, p=req.p, n_projections=n_dir, seed=req.seed)
        out.update(
            distance=sres.distance,
            stderr=sres.stderr,
            n_projections=sres.n_projections,
            seed=req.seed,
        )
    return out


def run_distance(req: DistanceRequest) -> int:
    """Load both files, compute the distance, print it; raise ``UserError`` on bad input."""
    x = load_points(req.a)
    y = load_points(req.b)
    if x.shape[1] != y.shape[1]:
        raise UserError(
            f"{req.a} has points of dimension {x.shape[1]} but {req.b} has points of dimension "
            f"{y.shape[1]}; both files need the same number of columns"
        )
    try:
        extra = _compute(req, x, y)
    except ValueError as err:  # bad p, reg or n_projections
        raise UserError(str(err)) from None
    result: dict[str, Any] = {
        "distance": extra.pop("distance"),
        "method": req.method,
        "n_a": int(x.shape[0]),
        "n_b": int(y.shape[0]),
        "d": int(x.shape[1]),
        "p": req.p,
        **extra,
    }
    if req.as_json:
        print(json.dumps(result))
    else:
        print(_human_line(req, result))
    return 0


def _human_line(req: DistanceRequest, r: dict[str, Any]) -> str:
    p = f"{req.p:g}"
    sizes = f"{req.a} ({r['n_a']} points) vs {req.b} ({r['n_b']} points), d={r['d']}"
    if req.method == "sliced":
        return (
            f"SW{p} (sliced, {r['n_projections']} directions) = {r['distance']:.6g} "
            f"± {r['stderr']:.2g} (standard error)   {sizes}"
        )
    label = "exact" if req.method == "exact" else f"sinkhorn, reg={r['reg']:.3g}"
    flag = "" if r["converged"] else "   [not converged]"
    return f"W{p} ({label}) = {r['distance']:.6g}   {sizes}{flag}"
