from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.datasets import make_swiss_roll

from wgan.config import load_config
from wgan.data.sources import TensorSource, ToySource, build_source
from wgan.data.toy import ToyDistribution
from wgan.distances import wasserstein


def _sample(name: str, n: int, seed: int = 0) -> torch.Tensor:
    return ToyDistribution(name).sample(n, torch.Generator().manual_seed(seed))


def test_eight_gaussians_match_the_paper_code() -> None:
    modes = ToyDistribution("8gaussians").modes
    assert modes is not None
    radii = modes.centres.norm(dim=1)
    torch.testing.assert_close(radii, torch.full((8,), 2.0 / 1.414, dtype=torch.float64))
    assert modes.std == pytest.approx(0.02 / 1.414)
    x = _sample("8gaussians", 20000)
    nearest = torch.cdist(x.double(), modes.centres).min(dim=1)
    spread = (x.double() - modes.centres[nearest.indices]).std()
    assert spread == pytest.approx(modes.std, rel=0.03)
    counts = torch.bincount(nearest.indices, minlength=8).double()
    assert counts.min() > 0.9 * 20000 / 8


def test_twentyfive_gaussians_grid() -> None:
    modes = ToyDistribution("25gaussians").modes
    assert modes is not None
    assert modes.centres.shape == (25, 2)
    torch.testing.assert_close(modes.centres.max(), torch.tensor(4.0 / 2.828, dtype=torch.float64))
    assert modes.std == pytest.approx(0.05 / 2.828)


def test_swiss_roll_has_the_distribution_of_scikit_learn() -> None:
    ours = _sample("swissroll", 2000).double()
    theirs = [
        make_swiss_roll(2000, noise=0.25, random_state=seed)[0][:, [0, 2]] / 7.5
        for seed in range(3)
    ]
    noise_floor = max(wasserstein(theirs[0], theirs[1]), wasserstein(theirs[0], theirs[2]))
    assert wasserstein(ours, theirs[0]) < 1.5 * noise_floor
    shrunk = ours * 0.8  # a wrong scale must fail the same check
    assert wasserstein(shrunk, theirs[0]) > 1.5 * noise_floor


def test_toy_source_evaluation_sets_are_fixed_and_distinct() -> None:
    source = ToySource("8gaussians", seed=1, device=torch.device("cpu"))
    torch.testing.assert_close(source.holdout(50), source.holdout(50))
    assert not torch.equal(source.holdout(50), source.reference(50))


def test_tensor_source_splits_and_walks_epochs() -> None:
    data = torch.arange(100, dtype=torch.float32)[:, None]
    source = TensorSource(data, holdout_fraction=0.2, seed=0)
    assert len(source.holdout_data) == 20 and source.n_train == 80
    held = set(source.holdout_data[:, 0].tolist())
    assert held.isdisjoint(source.train_data[:, 0].tolist())
    rng = torch.Generator().manual_seed(0)
    seen = torch.cat([source.batch(20, rng) for _ in range(4)])[:, 0].tolist()
    assert sorted(seen) == sorted(source.train_data[:, 0].tolist())  # one epoch, no repeats


def test_build_source_for_a_points_file(tmp_path: Path) -> None:
    path = tmp_path / "p.npy"
    np.save(path, np.random.default_rng(0).normal(size=(50, 3)))
    config = load_config(None, data={"name": "points", "path": str(path)})
    source = build_source(config, torch.device("cpu"))
    assert source.sample_shape == (3,)
    assert source.modes is None
