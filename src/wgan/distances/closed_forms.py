r"""Closed-form distances for textbook pairs of distributions, used to check the numerics."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import ndtr

from wgan.distances._checks import FloatArray, check_finite, check_p, to_numpy

__all__ = [
    "ClosedForm",
    "gaussian_w1",
    "gaussian_w2",
    "parallel_lines",
    "uniform_shift",
]


def _real(value: Any, name: str) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number, got {value!r}") from None
    if not math.isfinite(out):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return out


def _scale(value: Any, name: str) -> float:
    out = _real(value, name)
    if out < 0:
        raise ValueError(f"{name} is a standard deviation and must be >= 0, got {value!r}")
    return out


def gaussian_w1(mu1: float, sigma1: float, mu2: float, sigma2: float) -> float:
    r"""Exact W1 between the normal distributions N(mu1, sigma1^2) and N(mu2, sigma2^2) on R.

    The optimal coupling on the line is monotone, :math:`X_k = \mu_k + \sigma_k Z` with one
    standard normal Z, so

    .. math::
        W_1 = \mathbb E\,|\mu + s Z|, \quad \mu = \mu_2 - \mu_1,\; s = |\sigma_2 - \sigma_1|,

    the mean of a folded normal:

    .. math::
        W_1 = s \sqrt{2/\pi}\, e^{-\mu^2 / (2 s^2)} + \mu \,\big(1 - 2\,\Phi(-\mu / s)\big)
            = 2 s\, \varphi(\mu / s) + \mu\,\big(2\Phi(\mu / s) - 1\big).

    It lies between :math:`\max(|\mu|, s\sqrt{2/\pi})` and :math:`\sqrt{\mu^2 + s^2} = W_2`.
    It is *not* :math:`|\mu| + |\sigma_2 - \sigma_1|`, a common loose formula: that is only
    an upper bound, reached when the standard deviations are equal (with :math:`\mu = 0`,
    :math:`W_1 = s\sqrt{2/\pi} \approx 0.80\, s`, not s).

    Parameters
    ----------
    mu1, sigma1 : float
        Mean and standard deviation (not variance) of the first normal; sigma1 >= 0.
    mu2, sigma2 : float
        Mean and standard deviation of the second normal; sigma2 >= 0.

    Returns
    -------
    float
        W1 between the two normals.

    Raises
    ------
    ValueError
        If an argument is not a finite real number or a standard deviation is negative.

    References
    ----------
    Leone, F. C., Nelson, L. S. & Nottingham, R. B. (1961). The folded normal distribution.
    *Technometrics* 3(4), 543-550.
    """
    m1, m2 = _real(mu1, "mu1"), _real(mu2, "mu2")
    s1, s2 = _scale(sigma1, "sigma1"), _scale(sigma2, "sigma2")
    mu = m2 - m1
    s = abs(s2 - s1)
    if s == 0.0:
        return abs(mu)
    r = mu / s
    # 2 s phi(r) + mu (2 Phi(r) - 1); ndtr(r) - ndtr(-r) keeps precision for large |r|.
    phi = math.exp(-0.5 * r * r) / math.sqrt(2.0 * math.pi)
    return float(2.0 * s * phi + mu * (ndtr(r) - ndtr(-r)))


def _mean_cov(mean: Any, cov: Any, k: int) -> tuple[FloatArray, FloatArray]:
    m = to_numpy(mean, f"mean{k}")
    c = to_numpy(cov, f"cov{k}")
    if m.ndim == 0:
        m = m.reshape(1)
    if c.ndim == 0:
        c = c.reshape(1, 1)
    if m.ndim != 1 or m.size == 0:
        raise ValueError(f"mean{k} must be a non-empty vector of shape (d,), got shape {m.shape}")
    d = m.size
    if c.shape != (d, d):
        raise ValueError(f"cov{k} must have shape ({d}, {d}) to match mean{k}, got {c.shape}")
    check_finite(m, f"mean{k}")
    check_finite(c, f"cov{k}")
    scale = max(float(np.abs(c).max()), 1e-300)
    if not np.allclose(c, c.T, rtol=0.0, atol=1e-12 * scale):
        raise ValueError(f"cov{k} must be symmetric")
    c = 0.5 * (c + c.T)
    if float(np.linalg.eigvalsh(c).min()) < -1e-10 * scale:
        raise ValueError(f"cov{k} must be positive semi-definite")
    return m, c


def _psd_sqrt(c: FloatArray) -> FloatArray:
    """Symmetric square root of a symmetric positive semi-definite matrix."""
    vals, vecs = np.linalg.eigh(c)
    root: FloatArray = (vecs * np.sqrt(np.clip(vals, 0.0, None))) @ vecs.T
    return root


def gaussian_w2(mean1: Any, cov1: Any, mean2: Any, cov2: Any) -> float:
    r"""Exact W2 between the multivariate normals N(mean1, cov1) and N(mean2, cov2).

    .. math::
        W_2^2 = \|m_1 - m_2\|^2 + \operatorname{tr}\big(\Sigma_1 + \Sigma_2
            - 2 (\Sigma_1^{1/2} \Sigma_2 \Sigma_1^{1/2})^{1/2}\big),

    the second term being the squared Bures distance between the covariances. In 1-D it is
    :math:`\sqrt{(m_1 - m_2)^2 + (\sigma_1 - \sigma_2)^2}`.

    Parameters
    ----------
    mean1, mean2 : array-like, shape (d,) (or scalars for d = 1)
    cov1, cov2 : array-like, shape (d, d) (or scalars: variances, for d = 1)
        Covariance matrices (not standard deviations), symmetric positive semi-definite.

    Returns
    -------
    float
        W2 between the two normals.

    Raises
    ------
    ValueError
        If the shapes do not match, a value is NaN/inf, or a covariance is not symmetric
        positive semi-definite.

    References
    ----------
    Dowson, D. C. & Landau, B. V. (1982). The Frechet distance between multivariate normal
    distributions. *J. Multivariate Anal.* 12(3), 450-455.
    Givens, C. R. & Shortt, R. M. (1984). A class of Wasserstein metrics for probability
    distributions. *Michigan Math. J.* 31(2), 231-240.
    """
    m1, c1 = _mean_cov(mean1, cov1, 1)
    m2, c2 = _mean_cov(mean2, cov2, 2)
    if m1.size != m2.size:
        raise ValueError(
            f"mean1 and mean2 must have the same dimension, got {m1.size} and {m2.size}"
        )
    r1 = _psd_sqrt(c1)
    cross = _psd_sqrt(r1 @ c2 @ r1)
    bures2 = float(np.trace(c1) + np.trace(c2) - 2.0 * np.trace(cross))
    value = float(np.sum((m1 - m2) ** 2)) + max(bures2, 0.0)
    return math.sqrt(value)


@dataclass(frozen=True)
class ClosedForm:
    """Exact distances between a textbook pair of distributions (P, Q).

    ``wasserstein`` is W_p; ``kl`` is KL(P || Q); logs are natural.
    """

    wasserstein: float
    kl: float
    js: float
    tv: float


def uniform_shift(eps: float, p: float = 1) -> ClosedForm:
    r"""Distances between P = U[0, 1] and Q = U[eps, 1 + eps] on the real line.

    .. math::
        W_p = |\varepsilon| \text{ for every } p, \quad
        \mathrm{TV} = \min(|\varepsilon|, 1), \quad
        \mathrm{JS} = \min(|\varepsilon|, 1) \log 2, \quad
        \mathrm{KL} = +\infty \text{ for } \varepsilon \ne 0.

    W_p: Q is P translated by eps, and a translation costs exactly its length. TV: the two
    densities differ on two intervals of length min(|eps|, 1). JS: on the overlap the mixture
    equals both densities; off it, each density is twice the mixture, which adds
    :math:`\log 2` per unit of non-overlapping mass. KL: P has mass where Q has none.

    Parameters
    ----------
    eps : float
        The shift.
    p : float, default 1
        Order of the Wasserstein distance (the value does not depend on it).

    Returns
    -------
    ClosedForm
    """
    e = abs(_real(eps, "eps"))
    check_p(p)
    overlap_loss = min(e, 1.0)
    return ClosedForm(
        wasserstein=e,
        kl=math.inf if e > 0 else 0.0,
        js=overlap_loss * math.log(2.0),
        tv=overlap_loss,
    )


def parallel_lines(theta: float, p: float = 1) -> ClosedForm:
    r"""Distances between P_0 = (0, Z) and P_theta = (theta, Z) in R^2, Z ~ U[0, 1].

    The example of Arjovsky, Chintala & Bottou (2017), Example 1: two segments at horizontal
    distance theta. For theta != 0 the supports are disjoint, so

    .. math::
        W_p = |\theta|, \quad \mathrm{JS} = \log 2, \quad \mathrm{KL} = +\infty,
        \quad \mathrm{TV} = 1,

    and all four are 0 at theta = 0. Only W_p is continuous in theta, which is why it gives a
    useful gradient where the others do not.

    Parameters
    ----------
    theta : float
        Horizontal offset of the second segment.
    p : float, default 1
        Order of the Wasserstein distance (the value does not depend on it).

    Returns
    -------
    ClosedForm

    References
    ----------
    Arjovsky, M., Chintala, S. & Bottou, L. (2017). Wasserstein GAN. *ICML*, Example 1.
    """
    t = abs(_real(theta, "theta"))
    check_p(p)
    if t == 0.0:
        return ClosedForm(wasserstein=0.0, kl=0.0, js=0.0, tv=0.0)
    return ClosedForm(wasserstein=t, kl=math.inf, js=math.log(2.0), tv=1.0)
