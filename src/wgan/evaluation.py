"""What a run is measured by at each evaluation: one evaluator for points, one for images.

The trainer picks its evaluator once, from the kind of data. An evaluator draws no number from
the training random streams (its sets are fixed, its samples use the evaluation seed), so
evaluating never changes how a run trains.

Conditional runs add a key: cGAN and AC-GAN `label_accuracy`, the share of samples generated for
a label that the data's classifier gives that label (`wgan.metrics.conditional`); InfoGAN
`code_class_agreement`, how well the categorical code matches the classes up to a renaming. A
cGAN or AC-GAN is evaluated on samples generated with the held-out set's labels, an InfoGAN on
samples with each code value equally often.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import torch
from torch import Tensor, nn

from wgan.codes import LABELLED_GANS, LatentCodes
from wgan.config import Config
from wgan.data.sources import DataSource, ImageSource
from wgan.errors import UserError
from wgan.metrics.conditional import matched_accuracy, nearest_modes, neighbour_labels
from wgan.metrics.features import FeatureExtractor, Features
from wgan.metrics.modes import mode_coverage


class Generate(Protocol):
    """n samples of the sampling generator, fp32; a conditional run's for the given labels."""

    def __call__(self, n: int, *, labels: Tensor | None = None) -> Tensor: ...


class Evaluator(Protocol):
    def __call__(
        self, *, step: int, generate: Generate, critic: nn.Module, n: int, real: Tensor | None
    ) -> dict[str, Any]: ...


@torch.no_grad()
def critic_estimate(
    critic: nn.Module,
    real: Tensor,
    fake: Tensor,
    *,
    labels: Tensor | None = None,
    chunk: int = 500,
) -> float:
    """mean f(real) - mean f(fake), the critic in eval mode (its state left as it was).

    A cGAN critic f(x, y) takes `labels` (n,), the labels of the real samples and of the
    generated ones alike.
    """
    was_training = critic.training
    critic.eval()
    try:
        scores = []
        for x in (real, fake):
            parts = []
            for i in range(0, len(x), chunk):
                extra = () if labels is None else (labels[i : i + chunk],)
                parts.append(critic(x[i : i + chunk], *extra).float())
            scores.append(torch.cat(parts).mean())
    finally:
        critic.train(was_training)
    return float(scores[0] - scores[1])


class ConditionalMetrics:
    """The labels to generate with, and the key that says how well a conditional run obeys them."""

    def __init__(self, gan: str, codes: LatentCodes | None, device: torch.device) -> None:
        self.gan = gan
        self.n_classes = 0 if codes is None else codes.n_classes
        self.device = device

    def labels(self, m: int, held_labels: Tensor | None) -> Tensor | None:
        """cGAN, AC-GAN: the held-out labels (every class equally often without them);
        InfoGAN: each categorical code equally often; None for the other kinds."""
        if not self.n_classes:
            return None
        if self.gan in LABELLED_GANS and held_labels is not None and len(held_labels) == m:
            return held_labels.to(self.device)
        return torch.arange(m, device=self.device) % self.n_classes

    def critic_estimate(
        self,
        critic: nn.Module,
        held: Tensor,
        fake: Tensor,
        labels: Tensor | None,
        *,
        held_labels: Tensor | None,
    ) -> float | None:
        """The critic's W estimate; a cGAN critic scores each real sample with its own label
        (and the generated samples had the same labels), so without held-out labels (real
        samples given to `wgan evaluate --data`) there is none."""
        if self.gan != "cgan":
            return critic_estimate(critic, held, fake)
        if held_labels is None:
            return None
        return critic_estimate(critic, held, fake, labels=labels)

    def result(
        self, labels: Tensor | None, classes: Tensor | None, n_data_classes: int
    ) -> dict[str, float | None]:
        """{'label_accuracy': ...} or {'code_class_agreement': ...} from the classes a classifier
        of the data gives the generated samples (None when the data has no classifier)."""
        if labels is None:
            return {}
        if classes is not None:
            classes = classes.to(labels.device)
        if self.gan in LABELLED_GANS:
            value = None if classes is None else float((classes == labels).double().mean())
            return {"label_accuracy": value}
        agreement = None
        if classes is not None:
            agreement = matched_accuracy(
                labels.cpu().numpy(),
                classes.cpu().numpy(),
                n_codes=self.n_classes,
                n_classes=max(n_data_classes, int(classes.max()) + 1),
            )
        return {"code_class_agreement": agreement}


def _split_real(real: Tensor, n: int, device: torch.device) -> tuple[Tensor, Tensor]:
    """User-given real data: its first n samples are the reference, the next n the floor's."""
    if len(real) < 4:
        raise UserError(f"the evaluation data holds {len(real)} samples; give at least 4")
    real = real.to(device, torch.float32)
    n = min(n, len(real) // 2)
    return real[:n], real[n : 2 * n]


class PointEvaluator:
    """Exact W1 to held-out points, its noise floor, the critic's estimate and mode coverage.

    The noise floor is W1 between two real sets of the same size: what a perfect generator
    would score.
    """

    def __init__(
        self, source: DataSource, device: torch.device, conditional: ConditionalMetrics
    ) -> None:
        self.source = source
        self.device = device
        self.conditional = conditional
        self._floors: dict[int, float] = {}  # W1 between the two fixed real sets, by size

    def __call__(
        self, *, step: int, generate: Generate, critic: nn.Module, n: int, real: Tensor | None
    ) -> dict[str, Any]:
        from wgan.distances import wasserstein

        held_labels = None
        if real is None:
            held = self.source.holdout(n)
            held_labels = self.source.holdout_labels(n)
            if len(held) not in self._floors:
                reference = self.source.reference(len(held))
                self._floors[len(held)] = wasserstein(reference.cpu().double(), held.cpu().double())
            floor = self._floors[len(held)]
        else:
            held, reference = _split_real(real, n, self.device)
            floor = wasserstein(reference.cpu().double(), held.cpu().double())
        conditional = self.conditional
        labels = conditional.labels(len(held), held_labels)
        fake = generate(len(held), labels=labels)
        result: dict[str, Any] = {
            "step": step,
            "w1": wasserstein(fake.cpu().double(), held.cpu().double()),
            "w1_noise_floor": floor,
            "critic_w_estimate": conditional.critic_estimate(
                critic, held, fake, labels, held_labels=held_labels
            ),
            "modes_covered": None,
            "modes_total": None,
            "high_quality": None,
        }
        modes = self.source.modes
        if modes is not None:
            covered, total, quality = mode_coverage(fake, modes)
            result |= {"modes_covered": covered, "modes_total": total, "high_quality": quality}
        classes = None if labels is None else self._classes(fake, n)
        return result | conditional.result(labels, classes, self.source.n_classes or 0)

    def _classes(self, samples: Tensor, n: int) -> Tensor | None:
        """The classes of samples by the data's classifier: the nearest mode of a labelled
        mixture, else a vote of the nearest of n labelled held-out points; None without labels."""
        source = self.source
        if source.n_classes is None:
            return None
        if source.modes is not None:
            return nearest_modes(samples, source.modes)
        held_labels = source.holdout_labels(n)
        if held_labels is None:
            return None
        return neighbour_labels(samples, source.holdout(n), held_labels)


IMAGE_KEYS = (
    "step", "n", "fid", "fid_noise_floor", "kid_mean", "kid_std", "feature_extractor",
    "inception_score", "inception_score_std", "classes_covered", "classes_total", "confidence",
    "confidence_real", "classifier_accuracy", "w1_pixels", "w1_pixels_noise_floor",
    "sliced_w1_pixels", "critic_w_estimate",
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
        conditional: ConditionalMetrics,
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
            held, reference = _split_real(real, n, self.device)
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


def build_evaluator(
    config: Config,
    source: DataSource,
    device: torch.device,
    *,
    quiet: bool,
    codes: LatentCodes | None = None,
) -> Evaluator:
    """The evaluator of a run's data; `codes`, those of a conditional run's generator."""
    conditional = ConditionalMetrics(config.gan, codes, device)
    if isinstance(source, ImageSource):
        return ImageEvaluator(
            source,
            inception_weights=config.eval.inception_weights,
            device=device,
            quiet=quiet,
            conditional=conditional,
        )
    return PointEvaluator(source, device, conditional)
