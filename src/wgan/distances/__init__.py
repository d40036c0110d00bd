"""Distances between probability distributions: KL, JS, TV and Wasserstein.

Discrete divergences on histograms (:func:`kl`, :func:`js`, :func:`tv`); Wasserstein distances
between weighted point clouds, exact (:func:`wasserstein_exact`, the linear program with its
plan and dual potentials), on the line (:func:`wasserstein_1d`), entropic
(:func:`wasserstein_sinkhorn`) and sliced (:func:`sliced_wasserstein`), all behind
:func:`wasserstein`; and closed forms for textbook pairs used to check them. Distances are per
unit mass, logs are natural, the ground metric is Euclidean.
"""

from wgan.distances.closed_forms import (
    ClosedForm,
    gaussian_w1,
    gaussian_w2,
    parallel_lines,
    uniform_shift,
)
from wgan.distances.discrete import js, kl, tv
from wgan.distances.exact import ConvergenceWarning, OTResult, wasserstein_exact
from wgan.distances.one_d import wasserstein_1d
from wgan.distances.sinkhorn import SinkhornResult, wasserstein_sinkhorn
from wgan.distances.sliced import SlicedResult, sliced_wasserstein
from wgan.distances.wasserstein import METHODS, wasserstein

__all__ = [
    "METHODS",
    "ClosedForm",
    "ConvergenceWarning",
    "OTResult",
    "SinkhornResult",
    "SlicedResult",
    "gaussian_w1",
    "gaussian_w2",
    "js",
    "kl",
    "parallel_lines",
    "sliced_wasserstein",
    "tv",
    "uniform_shift",
    "wasserstein",
    "wasserstein_1d",
    "wasserstein_exact",
    "wasserstein_sinkhorn",
]
