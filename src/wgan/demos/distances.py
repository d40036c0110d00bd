"""``wgan demo distances``: the textbook examples, computed and checked against closed forms.

Writes into the output directory (default ``runs/demo-distances``):

- ``parallel_lines.png``: W1, JS, KL and TV between P_0 = (0, Z) and P_theta = (theta, Z),
  Z ~ U[0, 1], against theta: computed from samples, with the closed forms;
- ``four_piles.png``: P = (3, 2, 1, 4) and Q = (1, 2, 4, 3) on positions 1..4 and an optimal plan;
- ``table.md`` and ``results.json``: closed form against computed value for every example.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from scipy.stats import norm

from wgan.distances import (
    gaussian_w1,
    gaussian_w2,
    js,
    kl,
    parallel_lines,
    tv,
    uniform_shift,
    wasserstein,
    wasserstein_1d,
    wasserstein_exact,
)
from wgan.distances._checks import FloatArray
from wgan.reporting.files import markdown_table, save_figure, write_json, write_markdown

__all__ = ["DEFAULT_OUT", "Row", "compute_rows", "four_piles", "parallel_lines_sweep", "run_demo"]

DEFAULT_OUT = Path("runs/demo-distances")
SEED = 0
N_SAMPLES = 1000  # points per distribution in the sample-based examples
N_QUANTILES = 100_000  # points of the quantile grids for the 1-D closed forms
BIN_X = 0.03  # histogram bin width across the segments; bins centred on x = 0
N_BINS_Z = 10  # histogram bins along the segments
THETAS = np.round(np.linspace(-1.0, 1.0, 41), 10)  # never on a bin edge (edges at 0.015 + 0.03 k)

PILES_P = np.array([3.0, 2.0, 1.0, 4.0])
PILES_Q = np.array([1.0, 2.0, 4.0, 3.0])
PILES_AT = np.array([1.0, 2.0, 3.0, 4.0])


@dataclass(frozen=True)
class Row:
    """One line of the results table."""

    example: str
    quantity: str
    closed_form: float
    computed: float
    how: str


def _fmt(v: float) -> str:
    return "inf" if math.isinf(v) else f"{v:.6f}"


# ---------------------------------------------------------------------------------------------
# Parallel lines
# ---------------------------------------------------------------------------------------------


def _segment(theta: float, n: int, rng: np.random.Generator) -> FloatArray:
    return np.column_stack([np.full(n, theta), rng.uniform(0.0, 1.0, n)])


def _histogram(points: FloatArray) -> FloatArray:
    half = math.ceil((1.0 + BIN_X / 2) / BIN_X)  # bins centred on 0 covering [-1, 1]
    x_edges = (np.arange(-half, half + 1) + 0.5) * BIN_X
    z_edges = np.linspace(0.0, 1.0, N_BINS_Z + 1)
    counts, _, _ = np.histogram2d(points[:, 0], points[:, 1], bins=(x_edges, z_edges))
    return np.asarray(counts, dtype=np.float64)


def parallel_lines_sweep(
    thetas: FloatArray | None = None, n: int | None = None, seed: int = SEED
) -> dict[str, FloatArray]:
    """W1 (exact LP on samples) and JS, KL, TV (on 2-D histograms) against theta.

    P_0 and P_theta are sampled independently (n points each, fresh Z for each), so at
    theta = 0 the values show the sampling noise floor rather than 0. Defaults: ``THETAS``
    and ``N_SAMPLES``.
    """
    thetas = THETAS if thetas is None else thetas
    n = N_SAMPLES if n is None else n
    rng = np.random.default_rng(seed)
    p0 = _segment(0.0, n, rng)
    h0 = _histogram(p0)
    out: dict[str, list[float]] = {"theta": [], "w1": [], "js": [], "kl": [], "tv": []}
    for theta in thetas:
        pt = _segment(float(theta), n, rng)
        ht = _histogram(pt)
        out["theta"].append(float(theta))
        out["w1"].append(wasserstein(p0, pt))
        out["js"].append(js(h0, ht))
        out["kl"].append(kl(h0, ht))
        out["tv"].append(tv(h0, ht))
    return {k: np.asarray(v) for k, v in out.items()}


def _plot_parallel_lines(sweep: dict[str, FloatArray], path: Path) -> None:
    from wgan.reporting.figures import plt

    fine = np.linspace(-1.0, 1.0, 401)
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.8), constrained_layout=True)
    panels = [
        ("w1", "W1", "wasserstein", None),
        ("js", "JS (nats)", "js", math.log(2.0)),
        ("kl", "KL(P_0 || P_theta)", "kl", None),
        ("tv", "TV", "tv", 1.0),
    ]
    kl_top = 1.5 * float(np.nanmax(np.where(np.isinf(sweep["kl"]), np.nan, sweep["kl"])) + 1.0)
    for ax, (key, label, field, bound) in zip(axes, panels, strict=True):
        exact = np.array([getattr(parallel_lines(t), field) for t in fine])
        numeric = sweep[key].copy()
        if key == "kl":
            exact = np.where(np.isinf(exact), kl_top, exact)
            infinite = np.isinf(numeric)
            numeric[infinite] = kl_top
            ax.annotate("inf", (0.02, kl_top), xytext=(4, -12), textcoords="offset points")
        ax.plot(fine[fine < 0], exact[fine < 0], color="C0", label="closed form")
        ax.plot(fine[fine > 0], exact[fine > 0], color="C0")
        ax.plot([0.0], [0.0], "o", color="C0", markersize=5)
        ax.plot(sweep["theta"], numeric, "x", color="C3", label=f"from samples (n={N_SAMPLES})")
        if bound is not None:
            ax.axhline(bound, color="grey", lw=0.6, ls=":")
        ax.set_xlabel("theta")
        ax.set_title(label)
    axes[0].legend(loc="upper center", fontsize=8)
    fig.suptitle(
        "Parallel lines P_0 = (0, Z), P_theta = (theta, Z), Z ~ U[0,1]: "
        "only W is continuous in theta"
    )
    save_figure(fig, path, dpi=120)


# ---------------------------------------------------------------------------------------------
# Four piles
# ---------------------------------------------------------------------------------------------


def four_piles() -> tuple[float, FloatArray]:
    """Exact W1 between the piles P and Q per unit mass, and the plan in shovelfuls."""
    res = wasserstein_exact(PILES_AT, PILES_AT, PILES_P, PILES_Q)
    return res.distance, res.plan * PILES_P.sum()


def _plot_four_piles(plan: FloatArray, w1: float, path: Path) -> None:
    from wgan.reporting.figures import plt

    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True)
    ax0.bar(PILES_AT - 0.18, PILES_P, width=0.36, label="P = (3, 2, 1, 4)")
    ax0.bar(PILES_AT + 0.18, PILES_Q, width=0.36, label="Q = (1, 2, 4, 3)")
    for i, j in zip(*np.nonzero(plan > 1e-9), strict=True):
        if i != j:
            ax0.annotate(
                "",
                xy=(PILES_AT[j], 4.4 + 0.25 * i),
                xytext=(PILES_AT[i], 4.4 + 0.25 * i),
                arrowprops={"arrowstyle": "->", "color": "k"},
            )
            mid = 0.5 * (PILES_AT[i] + PILES_AT[j])
            ax0.text(mid, 4.47 + 0.25 * i, f"{plan[i, j]:g}", ha="center", fontsize=8)
    ax0.set_xticks(PILES_AT)
    ax0.set_xlabel("position")
    ax0.set_ylabel("shovelfuls")
    ax0.set_ylim(0, 5.6)
    ax0.legend(loc="upper left", fontsize=8)
    moved = float(np.sum(plan * np.abs(PILES_AT[:, None] - PILES_AT[None, :])))
    ax0.set_title(f"moving {moved:g} shovelful-steps: W1 = {moved:g}/10 = {w1:g} per unit mass")
    ax1.imshow(plan, cmap="Blues")
    for i in range(4):
        for j in range(4):
            ax1.text(j, i, f"{plan[i, j]:g}", ha="center", va="center")
    ax1.set_xticks(range(4), [f"to {k:g}" for k in PILES_AT])
    ax1.set_yticks(range(4), [f"from {k:g}" for k in PILES_AT])
    ax1.set_title("optimal plan (shovelfuls)")
    save_figure(fig, path, dpi=120)


# ---------------------------------------------------------------------------------------------
# The table of closed forms against computed values
# ---------------------------------------------------------------------------------------------


def _normal_quantiles(mu: float, sigma: float, n: int = N_QUANTILES) -> FloatArray:
    return np.asarray(mu + sigma * norm.ppf((np.arange(n) + 0.5) / n), dtype=np.float64)


def _uniform_quantiles(lo: float, n: int = N_QUANTILES) -> FloatArray:
    return lo + (np.arange(n) + 0.5) / n


def _uniform_histograms(eps: float, width: float = 0.01) -> tuple[FloatArray, FloatArray]:
    """Masses of U[0, 1] and U[eps, 1 + eps] in bins of the given width (exact integrals)."""
    edges = np.arange(min(0.0, eps) - width, max(1.0, 1.0 + eps) + 2 * width, width)
    lo, hi = edges[:-1], edges[1:]
    p = np.clip(np.minimum(hi, 1.0) - np.maximum(lo, 0.0), 0.0, None)
    q = np.clip(np.minimum(hi, 1.0 + eps) - np.maximum(lo, eps), 0.0, None)
    return p, q


def compute_rows(sweep: dict[str, FloatArray], piles_w1: float) -> list[Row]:
    """Every example's closed form next to the value computed by the library."""
    rows: list[Row] = []
    grid = f"wasserstein_1d on {N_QUANTILES:,}-point quantile grids"
    for mu1, s1, mu2, s2 in [(0.0, 1.0, 1.0, 2.0), (0.0, 1.0, 0.0, 2.0), (0.0, 1.0, 3.0, 1.0)]:
        rows.append(
            Row(
                f"N({mu1:g},{s1:g}^2) vs N({mu2:g},{s2:g}^2)",
                f"W1 (loose |dmu|+|dsigma| = {abs(mu2 - mu1) + abs(s2 - s1):g})",
                gaussian_w1(mu1, s1, mu2, s2),
                wasserstein_1d(_normal_quantiles(mu1, s1), _normal_quantiles(mu2, s2)),
                grid,
            )
        )
    rows.append(
        Row(
            "N(0,1) vs N(1,2^2)",
            "W2 (Bures, 1-D)",
            gaussian_w2(0.0, 1.0, 1.0, 4.0),
            wasserstein_1d(_normal_quantiles(0.0, 1.0), _normal_quantiles(1.0, 2.0), p=2),
            grid,
        )
    )
    rng = np.random.default_rng(SEED)
    mean2 = np.array([1.0, 0.5])
    cov2 = np.array([[2.0, 0.8], [0.8, 1.0]])
    x = rng.standard_normal((N_SAMPLES, 2))
    y = rng.multivariate_normal(mean2, cov2, size=N_SAMPLES)
    rows.append(
        Row(
            "N(0,I) vs N((1,.5),[[2,.8],[.8,1]])",
            "W2 (Bures, 2-D)",
            gaussian_w2(np.zeros(2), np.eye(2), mean2, cov2),
            wasserstein(x, y, p=2),
            f"exact LP on {N_SAMPLES} samples each (sampling error)",
        )
    )
    rows.append(
        Row(
            "N(0,I) vs N(0,I)",
            "W2 (noise floor)",
            0.0,
            wasserstein(x, rng.standard_normal((N_SAMPLES, 2)), p=2),
            f"exact LP on {N_SAMPLES} samples each: the sampling error alone",
        )
    )
    eps = 0.3
    cf = uniform_shift(eps)
    ug = _uniform_quantiles(0.0), _uniform_quantiles(eps)
    hp, hq = _uniform_histograms(eps)
    rows += [
        Row("U[0,1] vs U[.3,1.3]", "W1", cf.wasserstein, wasserstein_1d(*ug), grid),
        Row("U[0,1] vs U[.3,1.3]", "W2", cf.wasserstein, wasserstein_1d(*ug, p=2), grid),
        Row("U[0,1] vs U[.3,1.3]", "TV", cf.tv, tv(hp, hq), "bins of width 0.01"),
        Row("U[0,1] vs U[.3,1.3]", "JS", cf.js, js(hp, hq), "bins of width 0.01"),
        Row("U[0,1] vs U[.3,1.3]", "KL", cf.kl, kl(hp, hq), "bins of width 0.01"),
    ]
    for theta in (0.5, 0.0):
        i = int(np.argmin(np.abs(sweep["theta"] - theta)))
        pl = parallel_lines(theta)
        name = f"parallel lines, theta={theta:g}"
        how_w = f"exact LP on {N_SAMPLES} samples each"
        how_h = f"2-D histograms of the samples, bins {BIN_X:g} x {1 / N_BINS_Z:g}"
        rows += [
            Row(name, "W1", pl.wasserstein, float(sweep["w1"][i]), how_w),
            Row(name, "JS", pl.js, float(sweep["js"][i]), how_h),
            Row(name, "KL", pl.kl, float(sweep["kl"][i]), how_h),
            Row(name, "TV", pl.tv, float(sweep["tv"][i]), how_h),
        ]
    rows.append(
        Row("piles (3,2,1,4) vs (1,2,4,3)", "W1", 0.5, piles_w1, "exact LP (network simplex)")
    )
    return rows


def _markdown(rows: list[Row]) -> str:
    lines = markdown_table(
        ["example", "quantity", "closed form", "computed", "computed by"],
        [[r.example, r.quantity, _fmt(r.closed_form), _fmt(r.computed), r.how] for r in rows],
        align="llrrl",
    )
    return "\n".join(lines) + "\n"


def run_demo(out: Path | None = None) -> int:
    """Compute the examples, write the figures and tables into ``out``, print a summary."""
    from rich.console import Console
    from rich.table import Table

    out_dir = DEFAULT_OUT if out is None else Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    console = Console()

    sweep = parallel_lines_sweep()
    piles_w1, plan = four_piles()
    rows = compute_rows(sweep, piles_w1)

    paths = {
        "parallel_lines": out_dir / "parallel_lines.png",
        "four_piles": out_dir / "four_piles.png",
        "table": out_dir / "table.md",
        "results": out_dir / "results.json",
    }
    _plot_parallel_lines(sweep, paths["parallel_lines"])
    _plot_four_piles(plan, piles_w1, paths["four_piles"])
    write_markdown(paths["table"], _markdown(rows))
    results = {
        "rows": [asdict(r) for r in rows],
        "four_piles": {"w1": piles_w1, "plan_shovelfuls": plan.round(12)},
        "parallel_lines": sweep,
        "settings": {"seed": SEED, "n_samples": N_SAMPLES, "bin_x": BIN_X, "n_bins_z": N_BINS_Z},
    }
    write_json(paths["results"], results)

    table = Table(title="Closed form vs computed")
    for col in ("example", "quantity", "closed form", "computed"):
        table.add_column(col, justify="right" if col in ("closed form", "computed") else "left")
    for r in rows:
        table.add_row(r.example, r.quantity, _fmt(r.closed_form), _fmt(r.computed))
    console.print(table)
    console.print(
        f"Four piles: W1 = {piles_w1:.12g} per unit mass, i.e. "
        f"{piles_w1 * PILES_P.sum():.12g} shovelful-steps for 10 shovelfuls."
    )
    for name, path in paths.items():
        print(f"  {name}: {path}")  # plain print: rich would wrap or restyle long paths
    return 0
