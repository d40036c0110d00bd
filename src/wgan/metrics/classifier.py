"""A small CNN classifier of a labelled image set, for metrics that need no downloads.

Trained once on the labelled training split (digits, MNIST, CIFAR-10, any set with labels) at the
run's resolution and channels, and cached in the user cache directory: ``$WGAN_CACHE_DIR``, else
``$XDG_CACHE_HOME/wgan``, else ``~/.cache/wgan``, as ``classifiers/<key>.safetensors``. The key
hashes the training pixels and labels, the image shape and the recipe, so another data set, split
or size trains another classifier. Its 128-d penultimate features serve FID/KID; its class
probabilities give the classes a generator covers and its confidence on generated images.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file
from torch import Tensor, nn

from wgan.metrics.features import Features, in_chunks, weights_digest

TakeFn = Callable[[npt.NDArray[np.int64]], Tensor]  # training-split positions -> images

RECIPE = "cnn-32-64-128-fc128/adam1e-3/b128/v1"  # change when the network or training changes
BATCH = 128


def cache_dir() -> Path:
    """Where wgan caches what it computes once: $WGAN_CACHE_DIR, $XDG_CACHE_HOME/wgan, ~/.cache/wgan."""
    if os.environ.get("WGAN_CACHE_DIR"):
        return Path(os.environ["WGAN_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "wgan"


class ImageClassifier(nn.Module):
    """images (B, C, H, W) in [-1, 1] -> (features (B, 128), logits (B, n_classes))."""

    def __init__(self, channels: int, n_classes: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, 32, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(32, 64, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(64, 128, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(2),
            nn.Flatten(),
            nn.Linear(512, 128),
            nn.ReLU(),
        )
        self.head = nn.Linear(128, n_classes)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        features = self.body(x)
        return features, self.head(features)


def training_steps(n_train: int) -> int:
    """About 10 epochs, at least 500 and at most 3000 steps of batch 128."""
    return int(np.clip(10 * n_train // BATCH, 500, 3000))


def _train(
    take: TakeFn,
    labels: npt.NDArray[np.int64],
    *,
    channels: int,
    n_classes: int,
    device: torch.device,
) -> ImageClassifier:
    model = ImageClassifier(channels, n_classes).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    targets = torch.from_numpy(labels)
    steps = training_steps(len(labels))
    perm, pos = rng.permutation(len(labels)), 0
    for _ in range(steps):
        if pos + BATCH > len(perm):
            perm, pos = rng.permutation(len(labels)), 0
        index = perm[pos : pos + BATCH]
        pos += BATCH
        _, logits = model(take(index).to(device))
        loss = nn.functional.cross_entropy(logits, targets[index].to(device))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return model.eval()


class ClassifierFeatures:
    """The feature extractor of a trained ImageClassifier (see the module docstring)."""

    name = "classifier"
    resize = None  # it sees the images at the run's resolution

    def __init__(self, model: ImageClassifier, *, accuracy: float, device: torch.device) -> None:
        self.model = model.to(device).eval().requires_grad_(False)
        self.accuracy = accuracy  # on the held-out split
        self.n_classes = model.head.out_features
        self.device = device
        self.weights_sha256 = weights_digest(self.model)

    def __call__(self, images: Tensor) -> Features:
        return in_chunks(self.model, images, device=self.device)


def cached_classifier(
    *,
    key: str,
    train_take: TakeFn,
    train_labels: npt.NDArray[np.int64],
    held_images: Tensor,
    held_labels: npt.NDArray[np.int64],
    channels: int,
    device: torch.device,
    quiet: bool = True,
) -> ClassifierFeatures:
    """The classifier for a labelled split, from the cache or trained (and cached) now.

    `key` identifies the training split (see `ImageSplit.fingerprint`); `train_take(index)`
    returns its images (m, C, H, W) in [-1, 1]. Training does not touch the global torch random
    state, so it can happen in the middle of a run without changing the run.
    """
    if (train_labels < 0).any() or (held_labels < 0).any():
        raise ValueError("labels must be non-negative class indices")
    n_classes = int(max(train_labels.max(), held_labels.max(initial=0))) + 1
    digest = hashlib.sha256(f"{RECIPE}|{key}|{n_classes}|{channels}".encode()).hexdigest()[:24]
    path = cache_dir() / "classifiers" / f"{digest}.safetensors"
    # Building and training draw from the global torch stream: fork it, the run's stays as it was.
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(0)
        extractor = _load(path, channels, n_classes, device)
        if extractor is not None:
            return extractor
        if not quiet:
            print(f"wgan: training the evaluation classifier, cached as {path}", file=sys.stderr)
        with torch.enable_grad():
            model = _train(
                train_take, train_labels, channels=channels, n_classes=n_classes, device=device
            )
    extractor = ClassifierFeatures(model, accuracy=0.0, device=device)
    predicted = extractor(held_images).probs.argmax(1)  # type: ignore[union-attr]
    extractor.accuracy = float((predicted == held_labels).mean())
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(tmp), metadata={"accuracy": repr(extractor.accuracy), "recipe": RECIPE})
    os.replace(tmp, path)
    return extractor


def _load(
    path: Path, channels: int, n_classes: int, device: torch.device
) -> ClassifierFeatures | None:
    """The cached classifier at `path`, or None when it is missing or unreadable."""
    model = ImageClassifier(channels, n_classes)
    try:
        with safe_open(str(path), framework="pt") as handle:
            model.load_state_dict({name: handle.get_tensor(name) for name in handle.keys()})
            accuracy = float(handle.metadata()["accuracy"])
    except (FileNotFoundError, SafetensorError, KeyError, RuntimeError, ValueError, OSError):
        return None
    return ClassifierFeatures(model, accuracy=accuracy, device=device)


def class_coverage(
    probs: npt.NDArray[np.float64], n_classes: int, *, min_share: float = 0.1
) -> int:
    """Classes predicted for at least `min_share` of their fair share (n / K) of the samples.

    With min_share 0.1 and 1000 samples of 10 classes, a class counts when 10 or more samples are
    classified as it: a handful of stray predictions does not make a class covered.
    """
    counts = np.bincount(probs.argmax(1), minlength=n_classes)
    return int((counts >= max(1.0, min_share * len(probs) / n_classes)).sum())
