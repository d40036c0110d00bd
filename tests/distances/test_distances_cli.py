"""`wgan distance` through the CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from wgan.cli import main
from wgan.distances import sliced_wasserstein, wasserstein

Files = tuple[Path, Path, np.ndarray, np.ndarray]


@pytest.fixture
def files(tmp_path: Path, rng: np.random.Generator) -> Files:
    x, y = rng.normal(size=(40, 2)), rng.normal(size=(30, 2)) + 1.0
    np.save(tmp_path / "a.npy", x)
    np.savetxt(tmp_path / "b.csv", y, delimiter=",", header="x,y", comments="")
    return tmp_path / "a.npy", tmp_path / "b.csv", x, y


def test_json_exact(files: Files, capsys: pytest.CaptureFixture[str]) -> None:
    a, b, x, y = files
    assert main(["distance", str(a), str(b), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["distance"] == pytest.approx(wasserstein(x, y), rel=1e-12)
    assert (out["method"], out["n_a"], out["n_b"], out["d"], out["p"]) == ("exact", 40, 30, 2, 1.0)
    assert out["converged"] is True


def test_json_sliced_and_sinkhorn(files: Files, capsys: pytest.CaptureFixture[str]) -> None:
    a, b, x, y = files
    assert main(["distance", str(a), str(b), "--method", "sliced", "--json", "--seed", "3"]) == 0
    out = json.loads(capsys.readouterr().out)
    ref = sliced_wasserstein(x, y, seed=3)
    assert out["distance"] == pytest.approx(ref.distance, rel=1e-12)
    assert out["stderr"] == pytest.approx(ref.stderr, rel=1e-12)
    assert out["n_projections"] == 100 and out["method"] == "sliced"
    args = ["distance", str(a), str(b), "--method", "sinkhorn", "--reg", "0.05", "--json"]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["reg"] == 0.05 and out["converged"] is True
    assert out["distance"] >= wasserstein(x, y) - 1e-9
    # Without --reg a default scaled to the data is used.
    assert main(["distance", str(a), str(b), "--method", "sinkhorn", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert 0 < out["reg"] < 0.1 and out["distance"] >= wasserstein(x, y) - 1e-9


def test_human_readable_line(files: Files, capsys: pytest.CaptureFixture[str]) -> None:
    a, b, x, y = files
    assert main(["distance", str(a), str(b), "--p", "2"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("W2 (exact) = ")
    assert f"{wasserstein(x, y, p=2):.6g}" in line and "\n" not in line


def test_user_errors_exit_2_with_one_line(
    files: Files, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b, _, _ = files
    np.save(tmp_path / "three.npy", np.zeros((5, 3)))
    (tmp_path / "bad.csv").write_text("1,2\nfoo,3\n")
    cases = [
        ([str(a), str(tmp_path / "nope.npy")], "no such file"),
        ([str(a), str(tmp_path / "three.npy")], "dimension 2 but"),
        ([str(a), str(tmp_path / "bad.csv")], "line 2, column 1"),
        ([str(a), str(b), "--p", "0.5"], "p must be"),
        ([str(a), str(b), "--method", "sliced", "--n-projections", "1"], "n_projections"),
        ([str(a), str(b), "--method", "sinkhorn", "--reg", "-1"], "reg must be"),
    ]
    for args, message in cases:
        assert main(["distance", *args]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("wgan: error: ") and message in err
        assert "\n" not in err
