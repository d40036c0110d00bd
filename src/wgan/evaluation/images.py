"""The evaluation of image runs: FID/KID (and IS) in a feature space, class coverage and
confidence, W1 in pixel space."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from wgan.data.sources import ImageSource
from wgan.evaluation.common import Generate, split_real
from wgan.evaluation.conditional import Conditioning
from wgan.lipschitz import critic_lipschitz_bound
from wgan.metrics.features import FeatureExtractor, Features

IMAGE_KEYS = (
    "step", "n", "fid", "fid_noise_floor", "kid_mean", "kid_std", "feature_extractor",
    "inception_score", "inception_score_std", "classes_covered", "classes_total", "confidence",
    "confidence_real", "classifier_accuracy", "w1_pixels", "w1_pixels_noise_floor",
    "sliced_w1_pixels", "critic_w_estimate", "critic_lipschitz_bound",
)  # fmt: skip


class ImageEvaluator:
    """FID/KID (and IS) in a feature space, class coverage and confidence, W1 in pixel space.

    Features come from Inception-v3 when a weights file is given, else from a classifier
    trained on the data's labels (`wgan.metrics.classifier`), else there are none and the
    feature keys are null. Both extractors are built at the first evaluation, not before.
    """

    def __init__(
        self,
        source: ImageSource,
        *,
        inception_weights: str | None,
        device: torch.device,
        quiet: bool,
        conditional: Conditioning,
    ) -> None:
        self.source = source
        self.conditional = conditional
        self.inception_weights = inception_weights
        self.device = device
        self.quiet = quiet
        self._ready = False
        self.extractor: FeatureExtractor | None = None
        self.classifier: Any = None  # ClassifierFeatures when the data has labels
        self._cache: dict[tuple[str, int], Any] = {}  # fixed-set quantities, by name and size

    def _build(self) -> None:
        from wgan.metrics.classifier import cached_classifier
        from wgan.metrics.inception import InceptionFeatures

        train, held = self.source.train, self.source.held
        if train.labels is not None and held.labels is not None:
            self.classifier = cached_classifier(
                key=train.fingerprint(),
                train_take=train.take,
                train_labels=train.labels,
                held_images=held.first(len(held)),
                held_labels=held.labels,
                channels=self.source.sample_shape[0],
                device=self.device,
                quiet=self.quiet,
            )
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
        from wgan.metrics.fid import (
            fid_from_features,
            inception_score_from_probs,
            kid_from_features,
        )

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
        fake = generate(m, labels=labels)
        flat_held, flat_fake = held.flatten(1).cpu().double(), fake.flatten(1).cpu().double()
        result: dict[str, Any] = dict.fromkeys(IMAGE_KEYS)
        result |= {
            "step": step,
            "n": m,
            "w1_pixels": wasserstein(flat_fake, flat_held),
            "w1_pixels_noise_floor": self._fixed(
                "w1_floor",
                m,
                lambda: wasserstein(reference.flatten(1).cpu().double(), flat_held),
                fixed,
            ),
            "sliced_w1_pixels": wasserstein(flat_fake, flat_held, method="sliced", seed=0),
            "critic_w_estimate": conditional.critic_estimate(
                critic, held, fake, labels, held_labels=held_labels
            ),
            "critic_lipschitz_bound": critic_lipschitz_bound(critic, self.source.sample_shape),
        }
        if self.extractor is not None:
            extractor = self.extractor
            real_f: Features = self._fixed("real", m, lambda: extractor(held), fixed)
            ref_f: Features = self._fixed("ref", m, lambda: extractor(reference), fixed)
            fake_f = extractor(fake)
            kid_mean, kid_std = kid_from_features(
                real_f.features, fake_f.features, subset_size=min(1000, m // 2)
            )
            result |= {
                "feature_extractor": extractor.name,
                "fid": fid_from_features(real_f.features, fake_f.features),
                "fid_noise_floor": self._fixed(
                    "fid_floor",
                    m,
                    lambda: fid_from_features(real_f.features, ref_f.features),
                    fixed,
                ),
                "kid_mean": kid_mean,
                "kid_std": kid_std,
            }
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
        classes = None
        if labels is not None and self.classifier is not None:
            classes = torch.from_numpy(fake_p.argmax(1))
        n_classes = 0 if self.classifier is None else self.classifier.n_classes
        return result | conditional.result(labels, classes, n_classes)
