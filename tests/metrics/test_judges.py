from __future__ import annotations

import numpy as np
import pytest
import torch

from wgan.config import load_config
from wgan.data.sources import ImageSource, build_source
from wgan.metrics.judges import (
    JUDGE_NAMES,
    KNN_NEIGHBOURS,
    Judges,
    fit_judges,
    judge_probs,
    judge_scores,
    top_class_confidence,
)


@pytest.fixture(scope="module")
def digits() -> tuple[ImageSource, Judges]:
    source = build_source(load_config("digits-wgan-gp"), torch.device("cpu"))
    assert isinstance(source, ImageSource) and source.train.labels is not None
    return source, fit_judges(source.train.first(len(source.train)), source.train.labels)


def test_held_out_digits_score_high_and_noise_low(digits: tuple[ImageSource, Judges]) -> None:
    source, judges = digits
    held = source.held.first(len(source.held))
    noise = torch.rand((len(held), 1, 8, 8), generator=torch.Generator().manual_seed(0)) * 2 - 1
    real = judge_scores(judges, held, held)
    scores = judge_scores(judges, noise, held)
    assert set(scores) == set(JUDGE_NAMES)
    for name in JUDGE_NAMES:
        # measured: 0.79 (forest) to 0.98 (mlp) on the 359 held-out digits
        assert real[name]["confidence"] > 0.75, name
        assert real[name]["classes_covered"] == 10, name
        assert scores[name]["confidence_real"] == real[name]["confidence"]
        # measured on uniform noise: 0.19 (forest) to 0.62 (knn), 0.33 or more below the digits
        assert scores[name]["confidence"] < real[name]["confidence"] - 0.25, name


def test_blurred_digits_score_below_sharp_ones(digits: tuple[ImageSource, Judges]) -> None:
    """Held-out digits with Gaussian pixel noise (sd 0.8) are less clear to every judge."""
    source, judges = digits
    held = source.held.first(len(source.held))
    noisy = (
        held + 0.8 * torch.randn(held.shape, generator=torch.Generator().manual_seed(1))
    ).clamp(-1, 1)
    scores = judge_scores(judges, noisy, held)
    for name in JUDGE_NAMES:
        # measured: 0.115 (mlp) to 0.45 (forest) below the clean digits
        assert scores[name]["confidence"] < scores[name]["confidence_real"] - 0.08, name


def _blobs(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    return rng.normal(size=(n, 2)) + 2.0 * np.eye(3, 2)[labels], labels


def test_knn_probabilities_match_a_plain_vote() -> None:
    x, y = _blobs(200, 0)
    queries = _blobs(50, 1)[0]
    judges = fit_judges(x, y, names=("knn",))
    d = ((queries[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    nearest = np.argsort(d, axis=1)[:, :KNN_NEIGHBOURS]
    expected = np.stack([np.bincount(y[row], minlength=3) for row in nearest]) / KNN_NEIGHBOURS
    np.testing.assert_allclose(judge_probs(judges, queries)["knn"], expected)


def test_top_class_confidence_is_the_mean_of_row_maxima() -> None:
    probs = np.random.default_rng(0).dirichlet(np.ones(4), size=30)
    expected = sum(max(row) for row in probs.tolist()) / 30
    assert top_class_confidence(probs) == pytest.approx(expected, rel=1e-12)
    assert top_class_confidence(np.eye(3)) == 1.0
    assert top_class_confidence(np.full((5, 4), 0.25)) == 0.25


def test_every_judge_gives_probabilities_over_all_classes() -> None:
    x, y = _blobs(120, 2)
    y = np.where(y == 1, 2, y)  # classes 0 and 2 only: class 1 gets a zero column
    judges = fit_judges(x, y)
    assert judges.n_classes == 3 and set(judges.fit_seconds) == set(JUDGE_NAMES)
    for name, probs in judge_probs(judges, _blobs(20, 3)[0]).items():
        assert probs.shape == (20, 3), name
        np.testing.assert_allclose(probs.sum(1), 1.0, rtol=1e-9, err_msg=name)
        assert (probs[:, 1] == 0).all(), name


def test_judges_are_reproducible() -> None:
    x, y = _blobs(100, 4)
    queries = _blobs(10, 5)[0]
    first, second = judge_probs(fit_judges(x, y), queries), judge_probs(fit_judges(x, y), queries)
    for name in JUDGE_NAMES:
        np.testing.assert_array_equal(first[name], second[name])


@pytest.mark.parametrize(
    ("labels", "names", "message"),
    [
        (np.zeros(10, dtype=int), JUDGE_NAMES, "at least 2 classes"),
        (np.arange(9) % 2, JUDGE_NAMES, r"labels must be \(n,\)"),
        (-(np.arange(10) % 2), JUDGE_NAMES, "non-negative"),
        (np.arange(10) % 2, ("tree",), "unknown judge 'tree'"),
    ],
)
def test_bad_input(labels: np.ndarray, names: tuple[str, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fit_judges(np.zeros((10, 4)), labels, names=names)
    with pytest.raises(ValueError, match=r"probs must be \(n, K\)"):
        top_class_confidence(np.zeros(3))
