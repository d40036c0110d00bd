"""Outside judges: classifiers of other families than wgan's own CNN, scoring generated images.

wgan's evaluation classifier (`wgan.metrics.classifier`) is a small CNN; a generator can learn
images that such a network reads with confidence while classifiers of other kinds do not. The
judges are scikit-learn classifiers on the raw pixels, each of another family:

- ``logistic``: multinomial logistic regression (linear in the pixels);
- ``svm``: a support-vector machine with an RBF kernel, libsvm's Platt-scaled probabilities;
- ``forest``: a random forest of 200 trees (axis-aligned splits on single pixels);
- ``knn``: the 10 nearest training images, each a vote (a probability in steps of 0.1);
- ``mlp``: a perceptron with one hidden layer of 128 ReLU units.

Each is fitted once on the labelled training split (never the held-out one) and scores a set of
images by its **mean top-class probability**, (1/n) sum_i max_k p(k | x_i), and by the classes it
covers (`wgan.metrics.classifier.class_coverage`). The number means something beside the same
judge's score on held-out real images: a generator whose samples are digits as clear as the real
ones scores alike under every judge.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.exceptions import ConvergenceWarning

from wgan.metrics.classifier import class_coverage

JUDGE_NAMES = ("logistic", "svm", "forest", "knn", "mlp")
MAX_TRAIN = 5000  # training images a judge is fitted on at most (a seeded subsample beyond it)
KNN_NEIGHBOURS = 10


@dataclass(frozen=True)
class Judges:
    """Fitted judges, by name; `n_classes` columns in every probability table."""

    models: dict[str, Any]
    n_classes: int
    fit_seconds: dict[str, float] = field(default_factory=dict)


def _estimator(name: str, *, n_train: int, seed: int) -> Any:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.neural_network import MLPClassifier
    from sklearn.svm import SVC

    if name == "logistic":
        return LogisticRegression(max_iter=2000)
    if name == "svm":
        # libsvm's pairwise-coupled Platt probabilities: far from every class they spread out
        # (0.22 on uniform noise on the digits), where sklearn's suggested replacement,
        # CalibratedClassifierCV(SVC(), ensemble=False), gives 0.86.
        return SVC(kernel="rbf", probability=True, random_state=seed)
    if name == "forest":
        return RandomForestClassifier(n_estimators=200, random_state=seed, n_jobs=1)
    if name == "knn":
        return KNeighborsClassifier(n_neighbors=min(KNN_NEIGHBOURS, n_train))
    if name == "mlp":
        return MLPClassifier(hidden_layer_sizes=(128,), max_iter=500, random_state=seed)
    raise ValueError(f"unknown judge {name!r}; the judges are {', '.join(JUDGE_NAMES)}")


def _flat(images: Any) -> npt.NDArray[np.float64]:
    array = np.asarray(images.detach().cpu() if hasattr(images, "detach") else images)
    return array.reshape(len(array), -1).astype(np.float64)


def training_index(n: int, seed: int) -> npt.NDArray[np.int64]:
    """The positions of the training images the judges are fitted on: all n, or a seeded sorted
    subsample of `MAX_TRAIN` of them."""
    if n <= MAX_TRAIN:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, MAX_TRAIN, replace=False))


def fit_judges(
    images: Any,
    labels: npt.ArrayLike,
    *,
    names: tuple[str, ...] = JUDGE_NAMES,
    seed: int = 0,
) -> Judges:
    """Fit each named judge on labelled training images.

    Parameters
    ----------
    images : array or tensor (n, ...)
        Training images (any shape per image; flattened to pixels), e.g. (n, C, H, W) in [-1, 1].
    labels : array (n,)
        Class indices 0..K-1; every class the judges should know must appear.
    names : the judges to fit (a subset of `JUDGE_NAMES`).
    seed : fixes the judges' own randomness and the subsample beyond `MAX_TRAIN` images.
    """
    x = _flat(images)
    y = np.asarray(labels, dtype=np.int64)
    if y.ndim != 1 or len(y) != len(x):
        raise ValueError(f"labels must be (n,) = ({len(x)},), got shape {y.shape}")
    if len(x) < 2 or len(np.unique(y)) < 2:
        raise ValueError("the judges need at least 2 images of at least 2 classes")
    if (y < 0).any():
        raise ValueError("labels must be non-negative class indices")
    if not np.isfinite(x).all():
        raise ValueError("images must be finite")
    keep = training_index(len(x), seed)
    x, y = x[keep], y[keep]
    models, seconds = {}, {}
    for name in names:
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # 1.9 deprecates SVC(probability=True)
            warnings.simplefilter("ignore", ConvergenceWarning)  # the MLP stops at max_iter
            models[name] = _estimator(name, n_train=len(x), seed=seed).fit(x, y)
        seconds[name] = time.perf_counter() - start
    return Judges(models, int(y.max()) + 1, seconds)


def judge_probs(judges: Judges, images: Any) -> dict[str, npt.NDArray[np.float64]]:
    """Each judge's class probabilities (n, K) for images (n, ...), columns in class order."""
    x = _flat(images)
    out = {}
    for name, model in judges.models.items():
        probs = np.zeros((len(x), judges.n_classes))
        probs[:, model.classes_] = model.predict_proba(x)
        out[name] = probs
    return out


def top_class_confidence(probs: npt.ArrayLike) -> float:
    """The mean over samples of the largest class probability: (1/n) sum_i max_k p_ik."""
    array = np.asarray(probs, dtype=np.float64)
    if array.ndim != 2 or len(array) == 0:
        raise ValueError(f"probs must be (n, K) with n >= 1, got shape {array.shape}")
    return float(array.max(axis=1).mean())


def judge_scores(judges: Judges, fake: Any, real: Any) -> dict[str, dict[str, float | int]]:
    """Per judge: `confidence` (mean top-class probability of the generated images `fake`),
    `confidence_real` (the same on real held-out images `real`) and `classes_covered` (classes
    predicted for at least 10% of their fair share of `fake`, `class_coverage`)."""
    fake_p, real_p = judge_probs(judges, fake), judge_probs(judges, real)
    return {
        name: {
            "confidence": top_class_confidence(fake_p[name]),
            "confidence_real": top_class_confidence(real_p[name]),
            "classes_covered": class_coverage(fake_p[name], judges.n_classes),
        }
        for name in judges.models
    }
