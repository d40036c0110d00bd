"""The ground cost between two point clouds: Euclidean distance to the power p."""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import cdist

from wgan.distances._checks import FloatArray


def cost_matrix(x: FloatArray, y: FloatArray, p: float) -> FloatArray:
    """Return the (n, m) matrix ``C[i, j] = ||x_i - y_j||_2 ** p`` in float64.

    ``cdist`` computes each distance from the coordinate differences, so there is no
    cancellation (unlike the ``|x|^2 + |y|^2 - 2 x.y`` expansion) and ``C[i, j]`` is exactly 0
    for duplicated points.
    """
    if p == 2.0:
        return np.asarray(cdist(x, y, metric="sqeuclidean"), dtype=np.float64)
    cost = np.asarray(cdist(x, y, metric="euclidean"), dtype=np.float64)
    if p != 1.0:
        cost **= p
    return cost
