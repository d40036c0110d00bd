"""Speed of the distances module, measured side by side in one run.

Usage (from the repository root):

    PYTHONPATH=src python benchmarks/distances.py

Writes benchmarks/results/distances.json and benchmarks/distances.md. Each comparison runs its
contenders alternately in the same process, several times, and reports the best and the median
time, so that load from other processes on a shared machine affects both sides alike. The
n = 10,000 exact runs each take a fresh subprocess, so that their peak memory can be read.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import ot
import scipy
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist
from scipy.stats import wasserstein_distance

from wgan.distance_command import default_reg
from wgan.distances import sliced_wasserstein, wasserstein, wasserstein_1d, wasserstein_exact
from wgan.distances.sinkhorn import wasserstein_sinkhorn
from wgan.distances.sliced import DEFAULT_N_PROJECTIONS, random_directions

ROOT = Path(__file__).resolve().parents[1]
COMMAND = "PYTHONPATH=src python benchmarks/distances.py"


def machine() -> dict[str, Any]:
    model, flags = "unknown", ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and model == "unknown":
                model = line.split(":", 1)[1].strip()
            if line.startswith("flags") and not flags:
                flags = line.split(":", 1)[1]
    except OSError:
        pass
    return {
        "cpu": model,
        "logical_cpus": os.cpu_count(),
        "avx512f": " avx512f" in flags,
        "load_average_at_start": os.getloadavg(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "pot": ot.__version__,
    }


def race(contenders: dict[str, Callable[[], float]], repeats: int) -> dict[str, dict[str, Any]]:
    """Run the contenders in turn, ``repeats`` rounds; best and median time, and the value."""
    times: dict[str, list[float]] = {k: [] for k in contenders}
    values: dict[str, float] = {}
    for _ in range(repeats):
        for name, fn in contenders.items():
            start = time.perf_counter()
            values[name] = float(fn())
            times[name].append(time.perf_counter() - start)
    return {
        k: {"best_s": min(t), "median_s": statistics.median(t), "value": values[k]}
        for k, t in times.items()
    }


def exact_2000(repeats: int) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    n = 2000
    x, y = rng.normal(size=(n, 2)), rng.normal(size=(n, 2)) + np.array([1.0, 0.0])
    a = np.full(n, 1.0 / n)

    def assignment() -> float:
        cost = cdist(x, y)
        rows, cols = linear_sum_assignment(cost)
        return float(cost[rows, cols].mean())

    def lazy() -> float:
        value, _ = ot.lp.emd2_lazy(x, y, a, a, metric="euclidean", numItermax=10**8, log=True)
        return float(value)

    res = race(
        {
            "wasserstein (network simplex, distance only)": lambda: wasserstein(x, y),
            "wasserstein_exact (with plan and duals)": lambda: wasserstein_exact(x, y).distance,
            "POT lazy network simplex (costs on the fly)": lazy,
        },
        repeats,
    )
    # The assignment solver is much slower; one run is enough to show it.
    res.update(race({"scipy linear_sum_assignment (same problem)": assignment}, 1))
    return {"n": n, "d": 2, "results": res}


# Memory from /proc/self/status: VmHWM is the peak resident set of this process image
# (getrusage's ru_maxrss would carry over the parent's peak across fork and exec).
_CHILD = """
import json, time, warnings
import numpy as np
from wgan.distances import ConvergenceWarning, wasserstein, wasserstein_exact

def status_mib(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024

rng = np.random.default_rng(0)
n = {n}
x, y = rng.normal(size=(n, 2)), rng.normal(size=(n, 2)) + np.array([1.0, 0.0])
before = status_mib("VmRSS")
start = time.perf_counter()
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", ConvergenceWarning)
    if {with_plan}:
        res = wasserstein_exact(x, y)
        value, converged = res.distance, res.converged
    else:
        value = wasserstein(x, y)
        converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
seconds = time.perf_counter() - start
print(json.dumps({{"seconds": seconds, "value": value, "converged": converged,
                  "peak_rss_mib": status_mib("VmHWM"), "rss_before_mib": before}}))
"""


def exact_10000() -> dict[str, Any]:
    out: dict[str, Any] = {"n": 10_000, "d": 2, "results": {}}
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    for label, with_plan in [
        ("wasserstein (lazy network simplex, distance only)", False),
        ("wasserstein_exact (dense, with plan and duals)", True),
    ]:
        code = _CHILD.format(n=10_000, with_plan=with_plan)
        proc = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        out["results"][label] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


def one_d(repeats: int) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    n = 1_000_000
    u, v = rng.normal(size=n), rng.standard_t(5, size=n) * 1.3 + 0.2
    m = 700_000
    vm = v[:m]
    wu, wv = rng.random(n), rng.random(m)
    cases = {
        "uniform weights, n = m = 10^6": (u, v, None, None),
        "random weights, n = 10^6, m = 7 x 10^5": (u, vm, wu, wv),
    }
    out: dict[str, Any] = {}
    for label, (uu, vv, ww, wz) in cases.items():
        res = race(
            {
                "wgan wasserstein_1d": lambda uu=uu, vv=vv, ww=ww, wz=wz: wasserstein_1d(
                    uu, vv, ww, wz
                ),
                "scipy.stats.wasserstein_distance": lambda uu=uu, vv=vv, ww=ww, wz=wz: (
                    wasserstein_distance(uu, vv, ww, wz)
                ),
            },
            repeats,
        )
        ours, theirs = res["wgan wasserstein_1d"], res["scipy.stats.wasserstein_distance"]
        out[label] = {
            "results": res,
            "speedup_median": theirs["median_s"] / ours["median_s"],
            "speedup_best": theirs["best_s"] / ours["best_s"],
            "relative_difference": abs(ours["value"] - theirs["value"]) / abs(theirs["value"]),
        }
    # p = 2 against POT (which takes normalised weights).
    pot = float(ot.wasserstein_1d(u, vm, wu / wu.sum(), wv / wv.sum(), p=2)) ** 0.5
    ours2 = wasserstein_1d(u, vm, wu, wv, p=2)
    out["p = 2, random weights, vs POT ot.wasserstein_1d"] = {
        "wgan": ours2,
        "pot": pot,
        "relative_difference": abs(ours2 - pot) / pot,
    }
    return out


def sliced(repeats: int) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    n = 100_000
    x, y = rng.normal(size=(n, 2)), rng.normal(size=(n, 2)) + np.array([1.0, 0.0])
    results: dict[str, Any] = {}
    u = x[:, 0].copy()
    counts = (DEFAULT_N_PROJECTIONS // 2, DEFAULT_N_PROJECTIONS, 2 * DEFAULT_N_PROJECTIONS)
    times: dict[int, list[float]] = {k: [] for k in counts}
    floor: list[float] = []
    last: dict[int, Any] = {}
    for _ in range(repeats):
        for n_dir in counts:
            start = time.perf_counter()
            last[n_dir] = sliced_wasserstein(x, y, n_projections=n_dir, seed=0)
            times[n_dir].append(time.perf_counter() - start)
        # The floor: the two sorts of n values per direction that any exact 1-D step needs.
        start = time.perf_counter()
        for _ in range(2 * DEFAULT_N_PROJECTIONS):
            np.sort(u)
        floor.append(time.perf_counter() - start)
    for n_dir in counts:
        results[f"{n_dir} directions"] = {
            "best_s": min(times[n_dir]),
            "median_s": statistics.median(times[n_dir]),
            "distance": last[n_dir].distance,
            "stderr": last[n_dir].stderr,
        }
    results[f"floor: {2 * DEFAULT_N_PROJECTIONS} x np.sort of 10^5 values"] = {
        "best_s": min(floor),
        "median_s": statistics.median(floor),
    }
    theta = random_directions(2, DEFAULT_N_PROJECTIONS, 0)
    start = time.perf_counter()
    pot = float(ot.sliced_wasserstein_distance(x, y, p=1, projections=theta))
    results[f"POT sliced_wasserstein_distance, same {DEFAULT_N_PROJECTIONS} directions"] = {
        "seconds": time.perf_counter() - start,
        "distance": pot,
    }
    results_pot = results[
        f"POT sliced_wasserstein_distance, same {DEFAULT_N_PROJECTIONS} directions"
    ]
    pot_rel = abs(results_pot["distance"] - last[DEFAULT_N_PROJECTIONS].distance) / pot
    # Known value for this pair: translation by t = (1, 0) gives SW_1 = |t| E|theta_1| = 2 / pi.
    results["SW1 of the translation part alone, 2/pi"] = 2 / np.pi
    return {"n": n, "d": 2, "results": results, "pot_relative_difference": pot_rel}


def sinkhorn(repeats: int) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    n = 2000
    x, y = rng.normal(size=(n, 2)), rng.normal(size=(n, 2)) + np.array([1.0, 0.0])
    reg = default_reg(x, y, 1.0)
    res = race(
        {
            "wasserstein_sinkhorn (reg = 1% of mean cost)": lambda: (
                wasserstein_sinkhorn(x, y, reg=reg).distance
            ),
            "wasserstein (exact)": lambda: wasserstein(x, y),
        },
        repeats,
    )
    return {"n": n, "d": 2, "reg": reg, "results": res}


def _fmt_s(s: float) -> str:
    return f"{s:.3f} s" if s < 10 else f"{s:.1f} s"


def summary(r: dict[str, Any]) -> list[str]:
    """The targets of the distances issue, each with the measured figure."""
    e2 = r["exact_2000"]["results"]["wasserstein (network simplex, distance only)"]
    e10 = r["exact_10000"]["results"]
    lazy = e10["wasserstein (lazy network simplex, distance only)"]
    dense = e10["wasserstein_exact (dense, with plan and duals)"]
    one = r["one_d"]
    sl = r["sliced"]["results"][f"{DEFAULT_N_PROJECTIONS} directions"]
    rel = max(v["relative_difference"] for v in one.values())
    speedups = ", ".join(
        f"{v['speedup_median']:.2f}x ({k})" for k, v in one.items() if "speedup_median" in v
    )
    return [
        "## Summary against the targets",
        "",
        f"- Exact W1, n = m = 2,000 in 2-D, under 1 s: {e2['best_s']:.2f} s best, "
        f"{e2['median_s']:.2f} s median.",
        f"- Exact W1, n = m = 10,000 completes: {lazy['seconds']:.0f} s and "
        f"{lazy['peak_rss_mib']:.0f} MiB peak with `wasserstein` (lazy solver, distance only); "
        f"{dense['seconds']:.0f} s and {dense['peak_rss_mib']:.0f} MiB peak with "
        "`wasserstein_exact` (dense plan and dual potentials).",
        f"- wasserstein_1d at n = 10^6 against scipy (median speed-up): {speedups}; largest "
        f"relative difference {rel:.1e} (target 1e-9).",
        f"- Sliced W1, n = 10^5 in 2-D, {DEFAULT_N_PROJECTIONS} directions (the default): "
        f"{sl['best_s']:.2f} s best, {sl['median_s']:.2f} s median, "
        f"SW1 = {sl['distance']:.4f} ± {sl['stderr']:.4f}.",
    ]


def markdown(r: dict[str, Any]) -> str:
    m = r["machine"]
    lines = [
        "# Distances: speed",
        "",
        f"Command: `{COMMAND}` (writes this file and `benchmarks/results/distances.json`).",
        "",
        f"Machine: {m['cpu']}, {m['logical_cpus']} logical CPUs, AVX512F: "
        f"{'yes' if m['avx512f'] else 'no'}, shared with other jobs (load average at start "
        f"{m['load_average_at_start'][0]:.2f}); Python {m['python']}, NumPy {m['numpy']}, "
        f"SciPy {m['scipy']}, POT {m['pot']}. Times are wall clock; contenders run alternately "
        "in one process, best and median of the repeats.",
        "",
        *summary(r),
        "",
        "## Exact W1, n = m = 2,000, 2-D (uniform weights)",
        "",
        "| solver | best | median | W1 |",
        "| --- | ---: | ---: | ---: |",
    ]
    for k, v in r["exact_2000"]["results"].items():
        lines.append(
            f"| {k} | {_fmt_s(v['best_s'])} | {_fmt_s(v['median_s'])} | {v['value']:.12f} |"
        )
    lines += [
        "",
        "The network simplex on the dense cost matrix is the fastest exact solver here; the "
        "assignment solver (same optimum, since n = m with uniform weights) is far slower on "
        "real-valued costs, so `wasserstein` does not use it.",
        "",
        "## Exact W1, n = m = 10,000, 2-D",
        "",
        "| call | time | peak RSS (process) | RSS before the call | converged | W1 |",
        "| --- | ---: | ---: | ---: | --- | ---: |",
    ]
    for k, v in r["exact_10000"]["results"].items():
        lines.append(
            f"| {k} | {_fmt_s(v['seconds'])} | {v['peak_rss_mib']:.0f} MiB | "
            f"{v['rss_before_mib']:.0f} MiB | {v['converged']} | {v['value']:.12f} |"
        )
    lines += [
        "",
        "## wasserstein_1d, 10^6 points, against scipy.stats.wasserstein_distance",
        "",
        "| case | wgan best / median | scipy best / median | speed-up (median) | rel. diff |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for k, v in r["one_d"].items():
        if "results" not in v:
            continue
        ours = v["results"]["wgan wasserstein_1d"]
        theirs = v["results"]["scipy.stats.wasserstein_distance"]
        lines.append(
            f"| {k} | {ours['best_s']:.3f} / {ours['median_s']:.3f} s | "
            f"{theirs['best_s']:.3f} / {theirs['median_s']:.3f} s | "
            f"{v['speedup_median']:.2f}x | {v['relative_difference']:.1e} |"
        )
    p2 = r["one_d"]["p = 2, random weights, vs POT ot.wasserstein_1d"]
    lines += [
        "",
        f"W2 with random weights against POT's `ot.wasserstein_1d`: relative difference "
        f"{p2['relative_difference']:.1e}.",
        "",
        "## Sliced W1, n = m = 10^5, 2-D",
        "",
        "| estimate | best | median | SW1 ± standard error |",
        "| --- | ---: | ---: | ---: |",
    ]
    for k, v in r["sliced"]["results"].items():
        if isinstance(v, dict) and "stderr" in v:
            lines.append(
                f"| wgan, {k} | {_fmt_s(v['best_s'])} | {_fmt_s(v['median_s'])} | "
                f"{v['distance']:.4f} ± {v['stderr']:.4f} |"
            )
        elif isinstance(v, dict) and "seconds" in v:
            lines.append(f"| {k} | {_fmt_s(v['seconds'])} | | {v['distance']:.4f} |")
        elif isinstance(v, dict):
            lines.append(f"| {k} | {_fmt_s(v['best_s'])} | {_fmt_s(v['median_s'])} | |")
    lines += [
        "",
        f"POT's value on the same directions agrees with ours to "
        f"{r['sliced']['pot_relative_difference']:.1e} (relative); its 1-D routine handles "
        "arbitrary weights in every projection (argsort, cumulative weights, merged "
        "quantiles), more work than the two plain sorts that uniform weights with n = m need. "
        "The floor row is those sorts alone: the estimate costs little more than them.",
        "",
        "## Sinkhorn, n = m = 2,000, 2-D",
        "",
        f"reg = {r['sinkhorn']['reg']:.4g} (1% of the mean cost, the CLI default).",
        "",
        "| solver | best | median | value |",
        "| --- | ---: | ---: | ---: |",
    ]
    for k, v in r["sinkhorn"]["results"].items():
        lines.append(
            f"| {k} | {_fmt_s(v['best_s'])} | {_fmt_s(v['median_s'])} | {v['value']:.6f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="rounds per race (default: 5)")
    parser.add_argument(
        "--skip-10k", action="store_true", help="skip the n = 10,000 exact runs (about 1 min)"
    )
    args = parser.parse_args()
    results: dict[str, Any] = {"command": COMMAND, "machine": machine()}
    results["exact_2000"] = exact_2000(args.repeats)
    print("exact n=2000 done", file=sys.stderr)
    results["one_d"] = one_d(args.repeats)
    print("1-D done", file=sys.stderr)
    results["sliced"] = sliced(args.repeats)
    print("sliced done", file=sys.stderr)
    results["sinkhorn"] = sinkhorn(max(1, args.repeats // 2))
    print("sinkhorn done", file=sys.stderr)
    if not args.skip_10k:
        results["exact_10000"] = exact_10000()
        print("exact n=10000 done", file=sys.stderr)
    (ROOT / "benchmarks" / "results").mkdir(parents=True, exist_ok=True)
    (ROOT / "benchmarks" / "results" / "distances.json").write_text(
        json.dumps(results, indent=1) + "\n"
    )
    if "exact_10000" in results:
        (ROOT / "benchmarks" / "distances.md").write_text(markdown(results))
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
