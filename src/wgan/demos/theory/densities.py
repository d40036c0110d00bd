"""One-dimensional densities with a closed-form pdf and cdf: mixtures of normals and uniforms."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt
from scipy import stats

from wgan.distances._checks import FloatArray

__all__ = ["Density", "mixture", "normal", "uniform"]

_FAMILIES = {"normal": stats.norm, "uniform": stats.uniform}


@dataclass(frozen=True)
class Density:
    """A finite mixture of normal and uniform components on the real line.

    Attributes
    ----------
    name : str
        A short label for tables and figures, e.g. ``"N(0,1^2)"``.
    kinds : tuple of str
        ``"normal"`` or ``"uniform"``, one per component.
    locs, scales : tuple of float
        Mean and standard deviation of a normal component; lower end and width of a uniform one.
    weights : tuple of float
        Mixture weights, summing to 1.
    """

    name: str
    kinds: tuple[str, ...]
    locs: tuple[float, ...]
    scales: tuple[float, ...]
    weights: tuple[float, ...]

    @cached_property
    def _components(self) -> list[tuple[float, stats.rv_continuous]]:
        # Built once: freezing scipy distributions costs more than evaluating them.
        return [
            (w, _FAMILIES[k](loc=m, scale=s))
            for k, m, s, w in zip(self.kinds, self.locs, self.scales, self.weights, strict=True)
        ]

    def pdf(self, x: npt.ArrayLike) -> FloatArray:
        """Density at the points x (any shape)."""
        x = np.asarray(x, dtype=np.float64)
        return np.asarray(sum(w * c.pdf(x) for w, c in self._components), dtype=np.float64)

    def cdf(self, x: npt.ArrayLike) -> FloatArray:
        """Distribution function at the points x (any shape)."""
        x = np.asarray(x, dtype=np.float64)
        return np.asarray(sum(w * c.cdf(x) for w, c in self._components), dtype=np.float64)

    def sample(self, n: int, rng: np.random.Generator) -> FloatArray:
        """n independent draws, shape (n,)."""
        which = rng.choice(len(self.weights), size=n, p=np.asarray(self.weights))
        out = np.empty(n)
        for i, (_, c) in enumerate(self._components):
            mask = which == i
            out[mask] = c.rvs(size=int(mask.sum()), random_state=rng)
        return out

    def bin_masses(self, edges: npt.ArrayLike) -> FloatArray:
        """Exact probability of each bin [edges[i], edges[i + 1]), shape (len(edges) - 1,)."""
        return np.diff(self.cdf(edges))

    def breakpoints(self) -> list[float]:
        """Where the density jumps (the ends of uniform components), for quadrature."""
        ends = {
            e
            for k, m, s in zip(self.kinds, self.locs, self.scales, strict=True)
            if k == "uniform"
            for e in (m, m + s)
        }
        return sorted(ends)

    def span(self, n_sd: float = 12.0) -> tuple[float, float]:
        """An interval outside which the mass is negligible: +-n_sd sd around normal components."""
        parts = list(zip(self.kinds, self.locs, self.scales, strict=True))
        lo = min(m - n_sd * s if k == "normal" else m for k, m, s in parts)
        hi = max(m + n_sd * s if k == "normal" else m + s for k, m, s in parts)
        return lo, hi


def normal(mu: float, sigma: float) -> Density:
    """N(mu, sigma^2)."""
    return Density(f"N({mu:g},{sigma:g}^2)", ("normal",), (mu,), (sigma,), (1.0,))


def uniform(lo: float, hi: float) -> Density:
    """U[lo, hi]."""
    return Density(f"U[{lo:g},{hi:g}]", ("uniform",), (lo,), (hi - lo,), (1.0,))


def mixture(parts: Sequence[Density], weights: Sequence[float], name: str) -> Density:
    """The mixture sum_k w_k parts_k, the weights normalised to sum 1."""
    w = np.asarray(weights, dtype=np.float64) / float(np.sum(weights))
    return Density(
        name,
        tuple(k for p in parts for k in p.kinds),
        tuple(m for p in parts for m in p.locs),
        tuple(s for p in parts for s in p.scales),
        tuple(float(wk * pw) for p, wk in zip(parts, w, strict=True) for pw in p.weights),
    )
