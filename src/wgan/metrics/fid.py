"""Feature-space distances between image sets: FID, KID and the Inception Score.

They take features (n, d) from any extractor (Inception-v3's pool features, or a classifier's);
extraction lives apart (`wgan.metrics.classifier`, `wgan.metrics.inception`). Computed in float64.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import linalg

__all__ = [
    "fid_from_features",
    "fid_infinity",
    "frechet_distance",
    "inception_score_from_probs",
    "kid_from_features",
]


def _check_features(name: str, x: Any, min_rows: int) -> npt.NDArray[np.float64]:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be features (n, d), got shape {arr.shape}")
    if len(arr) < min_rows:
        raise ValueError(f"{name} needs at least {min_rows} rows, got {len(arr)}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} holds NaN or infinite values")
    return arr


def frechet_distance(
    mu1: npt.ArrayLike, sigma1: npt.ArrayLike, mu2: npt.ArrayLike, sigma2: npt.ArrayLike
) -> float:
    r"""Squared 2-Wasserstein (Frechet) distance between two Gaussians N(mu1, S1), N(mu2, S2).

    .. math::
        d^2 = \|\mu_1 - \mu_2\|^2 + \operatorname{tr}\big(S_1 + S_2 - 2 (S_1^{1/2} S_2 S_1^{1/2})^{1/2}\big)

    The trace of the matrix root is taken from the eigenvalues of the symmetric PSD matrix
    S_1^{1/2} S_2 S_1^{1/2} (negative round-off clipped to 0), which equals tr (S_1 S_2)^{1/2}
    without the complex round-off of a general `sqrtm`. Shapes: mu (d,), sigma (d, d).
    """
    m1, m2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    s1, s2 = np.asarray(sigma1, np.float64), np.asarray(sigma2, np.float64)
    if m1.shape != m2.shape or s1.shape != s2.shape or s1.shape != (len(m1), len(m1)):
        raise ValueError(
            f"shapes do not fit: mu {m1.shape}, {m2.shape}; sigma {s1.shape}, {s2.shape}"
        )
    w1, v1 = linalg.eigh((s1 + s1.T) / 2)
    root1 = (v1 * np.sqrt(np.clip(w1, 0.0, None))) @ v1.T
    middle = root1 @ s2 @ root1
    eig = linalg.eigvalsh((middle + middle.T) / 2)
    trace_root = float(np.sqrt(np.clip(eig, 0.0, None)).sum())
    diff = m1 - m2
    return max(0.0, float(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * trace_root))


def fid_from_features(real: npt.ArrayLike, fake: npt.ArrayLike) -> float:
    """Frechet distance between Gaussians fitted (mean, unbiased covariance) to two feature sets.

    With Inception-v3 pool features (2048-d) this is the FID of Heusel et al. (2017). It is biased
    upwards for small n: compare values at equal n, next to the same-n value for two real sets.
    Shapes: real (n, d), fake (m, d), n, m >= 2.
    """
    x = _check_features("real", real, 2)
    y = _check_features("fake", fake, 2)
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"features of different sizes: {x.shape[1]} and {y.shape[1]}")
    return frechet_distance(
        x.mean(0), np.cov(x, rowvar=False, ddof=1), y.mean(0), np.cov(y, rowvar=False, ddof=1)
    )


def fid_infinity(
    real: npt.ArrayLike, fake: npt.ArrayLike, *, points: int = 5, seed: int = 0
) -> tuple[float, dict[int, float]]:
    """FID extrapolated to infinitely many generated samples (Chong & Forsyth 2020, "Effectively
    Unbiased FID and Inception Score and where to find them").

    FID against the whole real set is computed for `points` numbers N of generated samples,
    evenly spaced from a fifth of m to m (random subsets of `fake`, seeded); its bias is linear in
    1/N, so a least-squares line of FID_N against 1/N meets 1/N = 0 at FID_infinity. Shapes: real
    (n, d), fake (m, d), m >= 10. Returns (FID_infinity, {N: FID_N}). The real set's own bias
    stays (use the same real set to compare runs).
    """
    x = _check_features("real", real, 2)
    y = _check_features("fake", fake, 10)
    if points < 2:
        raise ValueError(f"a line needs at least 2 points, got {points}")
    m = len(y)
    sizes = sorted({round(v) for v in np.linspace(m / 5, m, points)})
    rng = np.random.default_rng(seed)
    fids = {size: fid_from_features(x, y[rng.permutation(m)[:size]]) for size in sizes}
    _, intercept = np.polyfit([1.0 / size for size in sizes], list(fids.values()), 1)
    return float(intercept), fids


def _unbiased_mmd2(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> float:
    """Unbiased MMD^2 with the kernel k(a, b) = (a . b / d + 1)^3, for equal-size sets (m, d)."""
    m, d = x.shape
    k_xx = (x @ x.T / d + 1.0) ** 3
    k_yy = (y @ y.T / d + 1.0) ** 3
    k_xy = (x @ y.T / d + 1.0) ** 3
    off_xx = k_xx.sum() - np.trace(k_xx)
    off_yy = k_yy.sum() - np.trace(k_yy)
    return float((off_xx + off_yy) / (m * (m - 1)) - 2.0 * k_xy.sum() / (m * m))


def kid_from_features(
    real: npt.ArrayLike,
    fake: npt.ArrayLike,
    *,
    n_subsets: int = 100,
    subset_size: int = 1000,
    seed: int = 0,
) -> tuple[float, float]:
    r"""Kernel Inception Distance (Binkowski et al. 2018): mean and std of MMD^2 over subsets.

    .. math::
        \widehat{\mathrm{MMD}}^2 = \frac{1}{m(m-1)} \sum_{i \ne j} [k(x_i, x_j) + k(y_i, y_j)]
            - \frac{2}{m^2} \sum_{i, j} k(x_i, y_j), \qquad k(a, b) = (a^\top b / d + 1)^3

    on `n_subsets` random subsets of size m = min(subset_size, n, n_fake) drawn without
    replacement (as torch-fidelity). Unbiased: its expectation is 0 when both sets come from one
    distribution, so it can be negative. Shapes: real (n, d), fake (n_fake, d).
    """
    x = _check_features("real", real, 2)
    y = _check_features("fake", fake, 2)
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"features of different sizes: {x.shape[1]} and {y.shape[1]}")
    if n_subsets < 1 or subset_size < 2:
        raise ValueError(
            f"need n_subsets >= 1 and subset_size >= 2, got {n_subsets}, {subset_size}"
        )
    m = min(subset_size, len(x), len(y))
    rng = np.random.default_rng(seed)
    values = [
        _unbiased_mmd2(
            x[rng.choice(len(x), m, replace=False)], y[rng.choice(len(y), m, replace=False)]
        )
        for _ in range(n_subsets)
    ]
    return float(np.mean(values)), float(np.std(values))


def inception_score_from_probs(probs: npt.ArrayLike, *, splits: int = 10) -> tuple[float, float]:
    r"""Inception Score (Salimans et al. 2016): mean and std over `splits` equal parts.

    .. math:: \mathrm{IS} = \exp\big(\mathbb{E}_x\, \mathrm{KL}(p(y \mid x) \,\|\, p(y))\big)

    with p(y) the mean of the class probabilities in the part. `probs` (n, K): rows sum to 1.
    It lies in [1, K]; 1 when every sample gets the same distribution.
    """
    p = _check_features("probs", probs, splits)
    if (p < 0).any() or not np.allclose(p.sum(1), 1.0, atol=1e-4):
        raise ValueError("probs rows must be probability vectors (non-negative, summing to 1)")
    scores = []
    for part in np.array_split(p, splits):
        marginal = part.mean(0, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            kl = np.where(part > 0, part * (np.log(part) - np.log(marginal)), 0.0).sum(1)
        scores.append(float(np.exp(kl.mean())))
    return float(np.mean(scores)), float(np.std(scores))
