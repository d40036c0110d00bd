r"""Fidelity and diversity from k-nearest-neighbour balls: improved precision and recall
(Kynkaanniemi et al. 2019) and density and coverage (Naeem et al. 2020).

Real samples X_1..X_N and fake (generated) samples Y_1..Y_M are points (n, d): 2-D toy points or
features of images. NND_k(X_i) is the distance from X_i to its k-th nearest *other* real sample
(X_i itself is not its own neighbour; a duplicate of X_i is, at distance 0). B(x, r) is the closed
ball {y : ||y - x||_2 <= r}.

Improved precision and recall (Kynkaanniemi, Karras, Laine, Lehtinen, Aila, "Improved Precision
and Recall Metric for Assessing Generative Models", NeurIPS 2019), k = 3 as in the paper:

.. math::
    \mathrm{precision} = \frac{1}{M} \sum_{j=1}^{M}
        \mathbf{1}\big[\exists\, i : Y_j \in B(X_i, \mathrm{NND}_k(X_i))\big]

    \mathrm{recall} = \frac{1}{N} \sum_{i=1}^{N}
        \mathbf{1}\big[\exists\, j : X_i \in B(Y_j, \mathrm{NND}_k(Y_j))\big]

Precision is the share of fakes inside the estimated real manifold (fidelity); recall is the share
of reals inside the fake manifold, whose balls use the fakes' own k-NN radii among the fakes
(diversity). A generator that drops modes keeps its precision and loses recall.

Density and coverage (Naeem, Oh, Uh, Choi, Yoo, "Reliable Fidelity and Diversity Metrics for
Generative Models", ICML 2020), k = 5 as in the paper; both use the real balls only:

.. math::
    \mathrm{density} = \frac{1}{kM} \sum_{j=1}^{M} \sum_{i=1}^{N}
        \mathbf{1}\big[Y_j \in B(X_i, \mathrm{NND}_k(X_i))\big]

    \mathrm{coverage} = \frac{1}{N} \sum_{i=1}^{N}
        \mathbf{1}\big[\exists\, j : Y_j \in B(X_i, \mathrm{NND}_k(X_i))\big]

Density counts how many real balls hold each fake rather than whether one does, so a real outlier's
large ball inflates precision but hardly density. It is not a share and is not capped: its expectation
is 1 when fakes and reals come from one distribution (Naeem et al., Lemma 1), it exceeds 1 when the
fakes crowd into dense regions of the real data, and it is (k + 1) / k when the fakes *are* the
reals (each real ball then holds its centre and its k nearest neighbours: N (k + 1) pairs, for
data without tied distances). Coverage for one distribution
has expectation 1 - prod_{l=1}^{k} (N - l) / (N + M - l) (Lemma 2): about 1 - 2^-k = 0.969 for
M = N and k = 5, not 1.

Choices and pitfalls, explicitly:

- The ball is closed (`<=`), as in Kynkaanniemi et al.'s definition; clovaai's `prdc` package tests
  `<`. They differ only on exact ties (probability 0 for continuous data), but with `<` a fake that
  repeats a real point whose k neighbours are duplicates (radius 0) would not count.
- The k-th neighbour excludes the point itself by index (the diagonal of the real x real distance
  block is set to +inf), not by skipping the smallest distance.
- Distances are Euclidean, computed in float64 by default. Up to d = 16 each one is
  sqrt(sum (x - y)^2) from the differences (bit-for-bit scipy's `cdist` for 2-D); above, the
  matrix-product form ||x||^2 + ||y||^2 - 2 x.y on points centred at the real mean (fast, but its
  rounding error is about 2^-52 (||x||^2 + ||y||^2): tiny against k-NN distances in float64).
  `dtype=torch.float32` is faster (1.8x for 2048-D features on a CPU, more on most GPUs) but rounds
  every coordinate to 2^-24 of its size, and the product form's error grows to 2^-23 of the squared
  norms: harmless for image features (k-NN distances comparable to the norms), but it moves the
  ball test of borderline points where k-NN distances are small against the norms (the 8
  Gaussians: ~1e-3 at radius ~1.4). The metrics are thresholded counts; float64 keeps them exact
  against the definition and, but for ties within rounding, the same on every device.
- Memory is bounded: distances are built in blocks of `chunk_size` x `chunk_size` (k-NN radii by a
  running top-k over column blocks; membership by comparing each block against the radii and
  reducing it), never as an n x m matrix. Default 2048: a 32 MB float64 block.
- Work runs in torch on the inputs' device (the real set's when both are tensors on different
  devices; CPU for numpy) or on `device`. Results are Python floats. Counts are exact integers.

Cost, measured on the project's shared 2-core AMD EPYC (busy: load 3.5-5), torch 2.13.0 CPU, one
thread, float64, default chunk: `prdc_metrics` (real k-NN, fake k-NN, one real x fake pass) takes
18-22 s on 20k x 20k 2-D points (the real k-NN about 6 s of it; 15 s in float32) and 120 s on
50k x 50k, at the same peak memory (about 100 MB above the inputs); on 10k x 10k 2048-D features
56-58 s (the real k-NN about 20 s; 31 s in float32), where the float64 copies of the inputs
(n d 8 bytes each) dominate memory. `RealManifold` holds the real set's k-NN distances, so later
calls against new fakes skip the real x real pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor

__all__ = [
    "PRDC",
    "RealManifold",
    "density_coverage",
    "prdc_metrics",
    "precision_recall",
]

DEFAULT_CHUNK = 2048
_DIRECT_MAX_DIM = 16  # up to this dimension distances are computed from differences, not products
_DTYPES = (torch.float64, torch.float32)


@dataclass(frozen=True)
class PRDC:
    """Precision and recall (their k, 3 by default) and density and coverage (5 by default)."""

    precision: float
    recall: float
    density: float
    coverage: float


def _points(name: str, x: Any, device: torch.device) -> Tensor:
    """`x` as a finite float64 tensor (n, d) on `device`, n, d >= 1, or a ValueError."""
    if isinstance(x, Tensor):
        t = x.detach()
        if t.is_complex() or t.dtype == torch.bool:
            raise ValueError(f"{name} must hold real numbers, got dtype {t.dtype}")
    else:
        try:
            arr = np.asarray(x)
            if arr.dtype.kind not in "iuf":
                raise TypeError(arr.dtype)
            t = torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float64))
        except (TypeError, ValueError) as e:
            raise ValueError(f"{name} must be an array of real numbers (n, d): {e}") from None
    if t.ndim != 2:
        raise ValueError(f"{name} must be points (n, d), got shape {tuple(t.shape)}")
    if t.shape[0] == 0 or t.shape[1] == 0:
        raise ValueError(f"{name} is empty: shape {tuple(t.shape)}")
    t = t.to(device=device, dtype=torch.float64)
    if not bool(torch.isfinite(t).all()):
        raise ValueError(f"{name} holds NaN or infinite values")
    return t


def _check_k(k: Any, n: int, name: str) -> int:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    if k >= n:
        raise ValueError(
            f"k = {k} needs more than k {name} samples (each one's k-th nearest other "
            f"sample), got {n}"
        )
    return int(k)


def _check_options(dtype: torch.dtype, chunk_size: Any) -> int:
    if dtype not in _DTYPES:
        raise ValueError(f"dtype must be torch.float64 or torch.float32, got {dtype}")
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int | np.integer):
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    return int(chunk_size)


def _device(device: str | torch.device | None, *arrays: Any) -> torch.device:
    if device is not None:
        return torch.device(device)
    for a in arrays:
        if isinstance(a, Tensor):
            return a.device
    return torch.device("cpu")


def _distances(a: Tensor, b: Tensor) -> Tensor:
    """Euclidean distances (len(a), len(b)) of one block."""
    mode = (
        "donot_use_mm_for_euclid_dist"
        if a.shape[1] <= _DIRECT_MAX_DIM
        else "use_mm_for_euclid_dist"
    )
    return torch.cdist(a, b, compute_mode=mode)


def _knn_distances(x: Tensor, k: int, chunk: int) -> Tensor:
    """(n, k): each row's distances to its 1st..k-th nearest other row, ascending (k < n)."""
    n = len(x)
    out = torch.empty(n, k, dtype=x.dtype, device=x.device)
    for i0 in range(0, n, chunk):
        i1 = min(i0 + chunk, n)
        best: Tensor | None = None
        for j0 in range(0, n, chunk):
            j1 = min(j0 + chunk, n)
            d = _distances(x[i0:i1], x[j0:j1])
            lo, hi = max(i0, j0), min(i1, j1)
            if lo < hi:  # this block holds the diagonal for rows lo..hi: a point is not its own
                own = torch.arange(lo, hi, device=x.device)
                d[own - i0, own - j0] = torch.inf
            part = torch.topk(d, min(k, d.shape[1]), dim=1, largest=False, sorted=False).values
            if best is not None:  # the running k smallest, merged with this block's
                part = torch.cat([best, part], dim=1)
                part = torch.topk(part, min(k, part.shape[1]), dim=1, largest=False).values
            best = part
        assert best is not None and best.shape[1] == k
        out[i0:i1] = torch.sort(best, dim=1).values
    return out


@dataclass
class _Counts:
    fakes_in_real: int  # fakes inside at least one real ball (precision's radius)
    reals_in_fake: int  # reals inside at least one fake ball
    pairs_in_real: int  # (real ball, fake) pairs with the fake inside (density's radius)
    reals_covered: int  # real balls (density's radius) holding at least one fake


def _cross_counts(
    real: Tensor,
    fake: Tensor,
    *,
    precision_radius: Tensor | None,
    recall_radius: Tensor | None,
    density_radius: Tensor | None,
    chunk: int,
) -> _Counts:
    """One blocked pass over the real x fake distances; a None radius skips its counts."""
    n, m, dev = len(real), len(fake), real.device
    fake_inside = torch.zeros(m, dtype=torch.bool, device=dev)
    reals_in_fake = torch.zeros((), dtype=torch.int64, device=dev)
    pairs = torch.zeros((), dtype=torch.int64, device=dev)
    covered = torch.zeros((), dtype=torch.int64, device=dev)
    for i0 in range(0, n, chunk):
        i1 = min(i0 + chunk, n)
        row_in_fake = torch.zeros(i1 - i0, dtype=torch.bool, device=dev)
        row_covered = torch.zeros(i1 - i0, dtype=torch.bool, device=dev)
        for j0 in range(0, m, chunk):
            j1 = min(j0 + chunk, m)
            d = _distances(real[i0:i1], fake[j0:j1])
            if precision_radius is not None:
                fake_inside[j0:j1] |= (d <= precision_radius[i0:i1, None]).any(dim=0)
            if recall_radius is not None:
                row_in_fake |= (d <= recall_radius[None, j0:j1]).any(dim=1)
            if density_radius is not None:
                inside = d <= density_radius[i0:i1, None]
                pairs += torch.count_nonzero(inside)  # 25x faster than a bool sum
                row_covered |= inside.any(dim=1)
        reals_in_fake += torch.count_nonzero(row_in_fake)
        covered += torch.count_nonzero(row_covered)
    return _Counts(
        fakes_in_real=int(torch.count_nonzero(fake_inside)),
        reals_in_fake=int(reals_in_fake),
        pairs_in_real=int(pairs),
        reals_covered=int(covered),
    )


class RealManifold:
    """A real set with its k-NN distances (every k up to `k_max`), to score many fake sets.

    The real x real pass (the k-NN radii) runs once, here; each call then costs a fake x fake pass
    (for recall) and a real x fake pass. `RealManifold(real, k_max=5).prdc(fake)` gives the same
    numbers as `prdc_metrics(real, fake)`. Arguments as in `prdc_metrics`; `nn_distances` is (n, k_max): row i
    holds NND_1(X_i) .. NND_k_max(X_i), ascending.
    """

    def __init__(
        self,
        real: Any,
        *,
        k_max: int = 5,
        device: str | torch.device | None = None,
        dtype: torch.dtype = torch.float64,
        chunk_size: int = DEFAULT_CHUNK,
    ) -> None:
        self.chunk_size = _check_options(dtype, chunk_size)
        self.device = _device(device, real)
        self.dtype = dtype
        x = _points("real", real, self.device)
        self.k_max = _check_k(k_max, len(x), "real")
        self.n, self.dim = x.shape
        self._direct = self.dim <= _DIRECT_MAX_DIM
        # Centring changes no distance, but shrinks the norms whose rounding the product form carries
        self._shift = None if self._direct else x.mean(dim=0)
        self._real = self._prepare(x)
        if self._real.data_ptr() == x.data_ptr():  # may share the caller's array: keep our own
            self._real = self._real.clone()
        with torch.no_grad():
            self.nn_distances = _knn_distances(self._real, self.k_max, self.chunk_size)

    def _prepare(self, x: Tensor) -> Tensor:
        if self._shift is not None:
            x = x - self._shift
        return x.to(self.dtype).contiguous()

    def _fake(self, fake: Any) -> Tensor:
        y = _points("fake", fake, self.device)
        if y.shape[1] != self.dim:
            raise ValueError(
                f"real and fake points differ in dimension: {self.dim} and {y.shape[1]}"
            )
        return self._prepare(y)

    def radius(self, k: int) -> Tensor:
        """NND_k of every real sample, (n,), for k <= k_max."""
        k = _check_k(k, self.n, "real")
        if k > self.k_max:
            raise ValueError(f"k = {k} is above this manifold's k_max = {self.k_max}")
        return self.nn_distances[:, k - 1]

    def precision_recall(self, fake: Any, k: int = 3) -> tuple[float, float]:
        """Improved precision and recall of `fake` (m, d) against the real set; see the module."""
        c, m = self._counts(fake, k_pr=k, k_dc=None)
        return c.fakes_in_real / m, c.reals_in_fake / self.n

    def density_coverage(self, fake: Any, k: int = 5) -> tuple[float, float]:
        """Density and coverage of `fake` (m, d) against the real set; see the module."""
        c, m = self._counts(fake, k_pr=None, k_dc=k)
        return c.pairs_in_real / (k * m), c.reals_covered / self.n

    def prdc(self, fake: Any, *, k_pr: int = 3, k_dc: int = 5) -> PRDC:
        """All four metrics of `fake` (m, d) in one real x fake pass."""
        c, m = self._counts(fake, k_pr=k_pr, k_dc=k_dc)
        return PRDC(
            precision=c.fakes_in_real / m,
            recall=c.reals_in_fake / self.n,
            density=c.pairs_in_real / (k_dc * m),
            coverage=c.reals_covered / self.n,
        )

    def _counts(self, fake: Any, *, k_pr: int | None, k_dc: int | None) -> tuple[_Counts, int]:
        """The ball counts of one real x fake pass: those of precision and recall when k_pr is
        given (the fakes' own k-NN radii then computed too), of density and coverage when k_dc
        is; and m, the number of fakes."""
        r_pr = None if k_pr is None else self.radius(k_pr)
        r_dc = None if k_dc is None else self.radius(k_dc)
        y = self._fake(fake)
        fake_r = None
        with torch.no_grad():
            if k_pr is not None:
                k_pr = _check_k(k_pr, len(y), "fake")
                fake_r = _knn_distances(y, k_pr, self.chunk_size)[:, k_pr - 1]
            counts = _cross_counts(
                self._real,
                y,
                precision_radius=r_pr,
                recall_radius=fake_r,
                density_radius=r_dc,
                chunk=self.chunk_size,
            )
        return counts, len(y)


def precision_recall(
    real: Any,
    fake: Any,
    k: int = 3,
    *,
    device: str | torch.device | None = None,
    dtype: torch.dtype = torch.float64,
    chunk_size: int = DEFAULT_CHUNK,
) -> tuple[float, float]:
    """Improved precision and recall (Kynkaanniemi et al. 2019) of `fake` against `real`.

    real (n, d) and fake (m, d), numpy arrays or torch tensors; n, m > k. Returns
    (precision, recall), each in [0, 1]: the share of fakes inside at least one real k-NN ball,
    and the share of reals inside at least one fake k-NN ball. Formulas, k = 3's source, the
    closed-ball choice, precision and cost: the module docstring. Bad input raises ValueError.
    """
    dev = _device(device, real, fake)
    return RealManifold(
        real, k_max=k, device=dev, dtype=dtype, chunk_size=chunk_size
    ).precision_recall(fake, k)


def density_coverage(
    real: Any,
    fake: Any,
    k: int = 5,
    *,
    device: str | torch.device | None = None,
    dtype: torch.dtype = torch.float64,
    chunk_size: int = DEFAULT_CHUNK,
) -> tuple[float, float]:
    """Density and coverage (Naeem et al. 2020) of `fake` against `real`.

    real (n, d) with n > k and fake (m, d), numpy arrays or torch tensors. Returns
    (density, coverage): density = (1 / (k m)) sum_j sum_i 1[Y_j in B(X_i, NND_k(X_i))], which
    is 1 in expectation for matching distributions and may exceed 1 (it is not a share);
    coverage = share of real balls holding at least one fake, in [0, 1]. Details: the module
    docstring. Bad input raises ValueError.
    """
    dev = _device(device, real, fake)
    return RealManifold(
        real, k_max=k, device=dev, dtype=dtype, chunk_size=chunk_size
    ).density_coverage(fake, k)


def prdc_metrics(
    real: Any,
    fake: Any,
    *,
    k_pr: int = 3,
    k_dc: int = 5,
    device: str | torch.device | None = None,
    dtype: torch.dtype = torch.float64,
    chunk_size: int = DEFAULT_CHUNK,
) -> PRDC:
    """Precision and recall (k_pr) and density and coverage (k_dc) together, cheaper than the
    two functions apart: one real k-NN pass for both radii and one real x fake pass.

    `device`: where the work runs (default: the inputs' device; CPU for numpy). `dtype`:
    torch.float64 (default) or torch.float32 (see the module docstring for when it is safe).
    `chunk_size`: rows and columns of each distance block.
    """
    dev = _device(device, real, fake)
    manifold = RealManifold(
        real, k_max=max(k_pr, k_dc), device=dev, dtype=dtype, chunk_size=chunk_size
    )
    return manifold.prdc(fake, k_pr=k_pr, k_dc=k_dc)
