"""Part 5 of ``wgan demo findings``: the other weight constraints.

Gulrajani et al. (2017, Section 3) report that L2-norm clipping, weight normalisation and L1 or L2
weight decay show the problems of weight clipping: gradients that explode or vanish through a deep
critic, and a critic that uses little of its capacity. Each constraint of CONSTRAINTS is measured
the way parts 2 and 3 measure clipping and the penalty: the gradient norms through the 12-layer
critic on the swiss roll (first layer over last), and a 3-layer critic on the two fixed sets of
part 3 against the exact Kantorovich potential (the correlation of their values, which says how
much of the optimal critic's shape it has, and its estimate over the exact W1, which says whether
it is anywhere near 1-Lipschitz). Each constraint at a tight and a loose setting, as clipping at
several c.
"""

from __future__ import annotations

from typing import Any

from wgan.config import LipschitzConfig
from wgan.demos.findings.experiments import (
    PENALTY,
    FixedSets,
    Sizes,
    deep_critic_gradient_norms,
)

CONSTRAINTS: tuple[tuple[str, LipschitzConfig], ...] = (
    ("gradient penalty, lambda = 10", PENALTY),
    ("clipping, c = 0.01", LipschitzConfig(method="clip", clip=0.01)),
    ("L2-norm clipping, ||W|| <= 1", LipschitzConfig(method="clip-norm", norm_bound=1.0)),
    ("L2-norm clipping, ||W|| <= 10", LipschitzConfig(method="clip-norm", norm_bound=10.0)),
    ("weight normalisation, |g| <= 0.1", LipschitzConfig(method="weight-norm", norm_bound=0.1)),
    ("weight normalisation, |g| <= 1", LipschitzConfig(method="weight-norm", norm_bound=1.0)),
    ("L1 weight decay, 0.001", LipschitzConfig(method="l1-decay", weight_decay=1e-3)),
    ("L2 weight decay, 0.001", LipschitzConfig(method="l2-decay", weight_decay=1e-3)),
    ("L1 weight decay, 0.1", LipschitzConfig(method="l1-decay", weight_decay=0.1)),
    ("L2 weight decay, 0.1", LipschitzConfig(method="l2-decay", weight_decay=0.1)),
)


def weight_constraints(sizes: Sizes) -> dict[str, dict[str, Any]]:
    """For each constraint of CONSTRAINTS: the deep critic's gradient norms (first and last
    layer), and the fixed-sets critic's agreement with the exact potential."""
    sets = FixedSets.draw(sizes)
    results = {}
    for label, lipschitz in CONSTRAINTS:
        norms = deep_critic_gradient_norms(lipschitz, sizes)
        critic, _ = sets.fit(lipschitz, sizes)
        results[label] = {
            "lipschitz": lipschitz.model_dump(),
            "first_layer": norms[0],
            "last_layer": norms[-1],
            "first_over_last": norms[0] / norms[-1] if norms[-1] > 0 else None,
            **sets.agreement(critic),
        }
    return results
