"""The evaluation of image runs: FID/KID (and IS) in a feature space, class coverage and
confidence, outside judges' confidence, W1 in pixel space; the modes of stacked images."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import torch
from torch import Tensor, nn

from wgan.data.sources import ImageSource, ImageSplit, StackedSource
from wgan.evaluation.common import Generate, critic_accuracy, noise_floor, protocol, split_real
from wgan.evaluation.conditional import Conditioning
from wgan.lipschitz import critic_lipschitz_bound
from wgan.metrics.features import FeatureExtractor, Features
from wgan.metrics.judges import Judges

IMAGE_KEYS = (
    "step", "n", "fid", "fid_noise_floor", "fid_noise_floor_std", "fid_infinity", "kid_mean",
    "kid_std", "kid_noise_floor", "kid_noise_floor_std", "feature_extractor", "precision", "recall",
    "density", "coverage", "precision_real", "recall_real", "density_real", "coverage_real",
    "w1_features", "w1_features_noise_floor", "w1_features_noise_floor_std",
    "inception_score", "inception_score_std", "classes_covered", "classes_total", "confidence",
    "confidence_real", "classifier_accuracy", "judges", "judges_confidence_gap",
    "judges_classes_covered", "w1_pixels", "w1_pixels_noise_floor",
    "w1_pixels_noise_floor_std", "sliced_w1_pixels", "critic_w_estimate", "critic_lipschitz_bound",
    "modes_covered", "modes_total", "mode_kl", "critic_test_accuracy", "protocol",
)  # fmt: skip


class ImageEvaluator:
    """FID/KID (and IS), precision, recall, density, coverage and exact W1 in a feature space,
    class coverage and confidence, the outside judges' confidence, W1 in pixel space.

    Features come from Inception-v3 when a weights file is given, else from a classifier
    trained on the data's labels (`wgan.metrics.classifier`), else there are none and the
    feature keys are null. Both extractors are built at the first evaluation, not before. Each
    distance has its noise floor: its mean and standard deviation between pairs of real sets of
    the same size (`noise_floor`). `fid_infinity` asks for FID extrapolated to infinitely many
    generated samples (`wgan.metrics.fid_infinity`). Precision, recall, density and coverage
    come with their real-vs-real values (`precision_real`...: the reference set scored against
    the held-out one), the values a perfect generator would show at this n. On labelled data the
    outside judges (`wgan.metrics.judges`), fitted once per training split, score the generated
    and the held-out images. Stacked images (`StackedSource`) have no classes of their own: the
    classifier of their labelled grey images classifies each channel of n generated samples
    (`n`, not capped by the held-out set) and `wgan.metrics.modes.stacked_modes` counts their
    modes.
    """

    def __init__(
        self,
        source: ImageSource | StackedSource,
        *,
        inception_weights: str | None,
        device: torch.device,
        quiet: bool,
        conditional: Conditioning,
        fid_infinity: bool = False,
    ) -> None:
        self.source = source
        self.conditional = conditional
        self.fid_infinity = fid_infinity
        self.inception_weights = inception_weights
        self.device = device
        self.quiet = quiet
        self._ready = False
        self.extractor: FeatureExtractor | None = None
        self.classifier: Any = None  # ClassifierFeatures when the data has labels
        self.judges: Judges | None = None  # the outside judges, when the data has labels
        self.channel_classifier: Any = None  # ClassifierFeatures of stacked labelled images
        self._cache: dict[tuple[str, int], Any] = {}  # fixed-set quantities, by name and size

    def _build(self) -> None:
        from wgan.metrics.classifier import cached_classifier
        from wgan.metrics.inception import InceptionFeatures

        source = self.source
        labelled = source.digits if isinstance(source, StackedSource) else source
        train, held = labelled.train, labelled.held
        if train.labels is not None and held.labels is not None:
            classifier = cached_classifier(
                key=train.fingerprint(),
                train_take=train.take,
                train_labels=train.labels,
                held_images=held.first(len(held)),
                held_labels=held.labels,
                channels=labelled.sample_shape[0],
                device=self.device,
                quiet=self.quiet,
            )
            if labelled is not source:  # it classifies each channel of a stacked image
                self.channel_classifier = classifier
            else:
                self.classifier = classifier
                self.judges = cached_judges(train)
        if self.inception_weights:
            self.extractor = InceptionFeatures(self.inception_weights, device=self.device)
        else:
            self.extractor = self.classifier
        self._ready = True

    def _fixed(self, name: str, n: int, compute: Callable[[], Any], cache: bool) -> Any:
        if not cache:
            return compute()
        if (name, n) not in self._cache:
            self._cache[name, n] = compute()
        return self._cache[name, n]

    def __call__(
        self, *, step: int, generate: Generate, critic: nn.Module, n: int, real: Tensor | None
    ) -> dict[str, Any]:
        from wgan.distances import wasserstein
        from wgan.metrics.classifier import class_coverage
        from wgan.metrics.fid import fid_infinity, inception_score_from_probs
        from wgan.metrics.prdc import RealManifold

        if not self._ready:
            self._build()
        fixed = real is None  # the run's own held-out set: cache what depends on it only
        held_labels = None
        if real is None:
            held = self.source.holdout(n)
            held_labels = self.source.holdout_labels(n)
            reference = self.source.reference(len(held))
        else:
            held, reference = split_real(real, n, self.device)
        m = len(held)
        conditional = self.conditional
        labels = conditional.labels(m, held_labels)
        # Stacked (unconditional) runs count modes on n samples (the papers use 26 000), the
        # other keys take the first m of them.
        counted = generate(n) if self.channel_classifier is not None else None
        fake = generate(m, labels=labels) if counted is None else counted[:m]
        flat_held, flat_fake = held.flatten(1).cpu().double(), fake.flatten(1).cpu().double()
        flat_reference = reference.flatten(1).cpu().double()
        pixel_floor = self._fixed(
            "w1_floor", m, lambda: noise_floor(flat_reference, flat_held, wasserstein), fixed
        )
        result: dict[str, Any] = dict.fromkeys(IMAGE_KEYS)
        result |= {
            "step": step,
            "n": m,
            "w1_pixels": wasserstein(flat_fake, flat_held),
            "w1_pixels_noise_floor": pixel_floor[0],
            "w1_pixels_noise_floor_std": pixel_floor[1],
            "sliced_w1_pixels": wasserstein(flat_fake, flat_held, method="sliced", seed=0),
            "critic_w_estimate": conditional.critic_estimate(
                critic, held, fake, labels, held_labels=held_labels
            ),
            "critic_lipschitz_bound": critic_lipschitz_bound(critic, self.source.sample_shape),
            "protocol": protocol(
                n_real=m, n_fake=m, given=not fixed, exact_sampler=False, features=self.extractor
            ),
        }
        if self.extractor is not None:
            extractor = self.extractor
            real_f: Features = self._fixed("real", m, lambda: extractor(held), fixed)
            ref_f: Features = self._fixed("ref", m, lambda: extractor(reference), fixed)
            fake_f = extractor(fake)
            real_x, fake_x = torch.from_numpy(real_f.features), torch.from_numpy(fake_f.features)
            ref_x = torch.from_numpy(ref_f.features)
            floors = self._fixed(
                "feature_floors",
                m,
                lambda: {
                    name: noise_floor(ref_x, real_x, distance)
                    for name, distance in FEATURE_DISTANCES.items()
                },
                fixed,
            )
            manifold = self._fixed("manifold", m, lambda: RealManifold(real_x), fixed)
            real_prdc = self._fixed("real_prdc", m, lambda: manifold.prdc(ref_x), fixed)
            kid_mean, kid_std = _kid(real_x, fake_x)
            result |= {
                "feature_extractor": extractor.name,
                "fid": FEATURE_DISTANCES["fid"](real_x, fake_x),
                "fid_noise_floor": floors["fid"][0],
                "fid_noise_floor_std": floors["fid"][1],
                "kid_mean": kid_mean,
                "kid_std": kid_std,
                "kid_noise_floor": floors["kid"][0],
                "kid_noise_floor_std": floors["kid"][1],
                "w1_features": FEATURE_DISTANCES["w1"](real_x, fake_x),
                "w1_features_noise_floor": floors["w1"][0],
                "w1_features_noise_floor_std": floors["w1"][1],
                **asdict(manifold.prdc(fake_x)),
                **{f"{key}_real": value for key, value in asdict(real_prdc).items()},
            }
            if self.fid_infinity:
                result["fid_infinity"] = fid_infinity(real_f.features, fake_f.features)[0]
            if extractor.name == "inception-v3" and fake_f.probs is not None:
                score, spread = inception_score_from_probs(fake_f.probs, splits=min(10, m))
                result |= {"inception_score": score, "inception_score_std": spread}
        if self.classifier is not None:
            classifier = self.classifier
            fake_p = classifier(fake).probs
            real_p = self._fixed("real_probs", m, lambda: classifier(held).probs, fixed)
            result |= {
                "classes_covered": class_coverage(fake_p, classifier.n_classes),
                "classes_total": classifier.n_classes,
                "confidence": float(fake_p.max(1).mean()),
                "confidence_real": float(real_p.max(1).mean()),
                "classifier_accuracy": classifier.accuracy,
            }
        if self.judges is not None:
            result |= _judged(self.judges, fake, held)
        if counted is not None:
            result |= _stacked_modes(self.channel_classifier, counted)
            result["classifier_accuracy"] = self.channel_classifier.accuracy
            result["protocol"]["n_fake_modes"] = len(counted)
        if conditional.critic_classifies:
            result["critic_test_accuracy"] = self._critic_test_accuracy(critic)
        classes = None
        if labels is not None and self.classifier is not None:
            classes = torch.from_numpy(fake_p.argmax(1))
        n_classes = 0 if self.classifier is None else self.classifier.n_classes
        return result | conditional.result(labels, classes, n_classes)

    def _critic_test_accuracy(self, critic: nn.Module) -> float | None:
        """A semi-supervised critic's accuracy on the whole held-out split (None without its
        labels)."""
        source = self.source
        if not isinstance(source, ImageSource):  # stacked images have no labels
            return None
        labels = source.holdout_labels(len(source.held))
        if labels is None:
            return None
        return critic_accuracy(critic, source.holdout(len(labels)), labels)


JUDGE_TRAIN_SEED = 0  # the subsample of a training split larger than judges.MAX_TRAIN
JUDGE_MIN_PER_CLASS = 5  # fewer training images of some class: no judges (null keys)
_JUDGES: dict[str, Judges] = {}  # fitted judges by training-split fingerprint, for this process


def cached_judges(train: ImageSplit) -> Judges | None:
    """The outside judges of a labelled training split, fitted at the first call (at most
    `judges.MAX_TRAIN` images, a seeded subsample beyond); None for a split too small to fit
    them (under 5 images of some class). 2 to 4 s on the 1438 training digits at 8x8, one
    CPU thread."""
    import numpy as np

    from wgan.metrics.judges import fit_judges, training_index

    labels = train.labels
    if labels is None or len(labels) == 0 or np.bincount(labels).min() < JUDGE_MIN_PER_CLASS:
        return None
    key = train.fingerprint()
    if key not in _JUDGES:
        # Only the images fitted on are converted: the subsample fit_judges would take itself.
        index = training_index(len(train), JUDGE_TRAIN_SEED)
        _JUDGES[key] = fit_judges(train.take(index), labels[index], seed=JUDGE_TRAIN_SEED)
    return _JUDGES[key]


def _judged(judges: Judges, fake: Tensor, held: Tensor) -> dict[str, Any]:
    """The judges' keys of an evaluation: per judge the mean top-class probability of the
    generated and of the held-out images and the classes covered; the largest gap (held-out
    minus generated) and the fewest classes over the judges."""
    from wgan.metrics.judges import judge_scores

    scores = judge_scores(judges, fake.float().cpu().numpy(), held.float().cpu().numpy())
    return {
        "judges": scores,
        "judges_confidence_gap": max(
            float(s["confidence_real"]) - float(s["confidence"]) for s in scores.values()
        ),
        "judges_classes_covered": min(int(s["classes_covered"]) for s in scores.values()),
    }


def _stacked_modes(classifier: Any, fake: Tensor) -> dict[str, Any]:
    """The mode keys of stacked samples (n, k, H, W): each channel classified on its own."""
    from wgan.metrics.modes import stacked_modes

    n, k = fake.shape[:2]
    probs = classifier(fake.reshape(n * k, 1, *fake.shape[2:])).probs
    modes = stacked_modes(probs.argmax(1).reshape(n, k), classifier.n_classes)
    return {"modes_covered": modes.covered, "modes_total": modes.total, "mode_kl": modes.kl}


def _kid(real: Tensor, fake: Tensor) -> tuple[float, float]:
    """KID (mean, spread over subsets) of two feature sets (n, d)."""
    from wgan.metrics.fid import kid_from_features

    return kid_from_features(real.numpy(), fake.numpy(), subset_size=min(1000, len(real) // 2))


def _fid(real: Tensor, fake: Tensor) -> float:
    from wgan.metrics.fid import fid_from_features

    return fid_from_features(real.numpy(), fake.numpy())


def _w1(real: Tensor, fake: Tensor) -> float:
    from wgan.distances import wasserstein

    return wasserstein(real, fake)


# The distances between feature sets whose noise floors an evaluation reports.
FEATURE_DISTANCES: dict[str, Callable[[Tensor, Tensor], float]] = {
    "fid": _fid,
    "kid": lambda real, fake: _kid(real, fake)[0],
    "w1": _w1,
}
