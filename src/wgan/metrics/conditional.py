"""How well a conditional generator obeys its labels, and an InfoGAN's codes line up with classes.

The label accuracy of a conditional generator is the share of its samples for label k that a
classifier of the data puts in class k. The classifiers:

- `nearest_modes`: on a Gaussian mixture of equal spreads whose label is the mode, the nearest
  mode (the Bayes classifier of such a mixture with equal weights).
- `neighbour_labels`: a vote of the nearest labelled real points, for labelled point sets
  without known modes.
- images: the evaluation classifier of `wgan.metrics.classifier`.

Codes:
- `matched_accuracy`: the agreement between two labellings up to a renaming of the classes, the
  best one-to-one matching found by the Hungarian algorithm (as clustering accuracy is measured).
  InfoGAN's categorical code is unsupervised, so code 3 may well draw the digit 7.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import torch
from scipy.optimize import linear_sum_assignment
from torch import Tensor

from wgan.data.toy import Modes


def nearest_modes(samples: Tensor, modes: Modes) -> Tensor:
    """The index of each sample's nearest mode centre (n,)."""
    centres = modes.centres.to(samples.device, torch.float64)
    return torch.cdist(samples.double(), centres).argmin(dim=1)


def neighbour_labels(
    samples: Tensor, reference: Tensor, reference_labels: Tensor, *, k: int = 5
) -> Tensor:
    """The majority label among each sample's k nearest reference points (n,); ties go to the
    smaller label."""
    k = min(k, len(reference))
    nearest = torch.cdist(samples.double(), reference.double()).topk(k, largest=False).indices
    votes = torch.nn.functional.one_hot(reference_labels[nearest]).sum(dim=1)  # (n, K)
    return votes.argmax(dim=1)


def matched_accuracy(
    codes: npt.ArrayLike, classes: npt.ArrayLike, *, n_codes: int, n_classes: int
) -> float:
    r"""Agreement of two labellings of the same n items under the best one-to-one renaming.

    .. math:: \max_{\pi} \frac{1}{n} \sum_i [\pi(c_i) = y_i]

    over injective maps pi from codes to classes (or classes to codes, whichever set is
    smaller), found by the Hungarian algorithm on the n_codes x n_classes contingency table
    (`scipy.optimize.linear_sum_assignment`). 1 when the codes are the classes renamed; about
    1/K for independent uniform labellings of K classes (a little above, since the best of the
    K! renamings is kept).

    Parameters
    ----------
    codes, classes : array_like of int, shape (n,)
        Values in [0, n_codes) and [0, n_classes).
    """
    c = np.asarray(codes, dtype=np.int64)
    y = np.asarray(classes, dtype=np.int64)
    if c.shape != y.shape or c.ndim != 1 or len(c) == 0:
        raise ValueError(f"codes {c.shape} and classes {y.shape} must be the same non-empty (n,)")
    if c.min() < 0 or c.max() >= n_codes or y.min() < 0 or y.max() >= n_classes:
        raise ValueError("codes and classes must lie in [0, n_codes) and [0, n_classes)")
    table = np.zeros((n_codes, n_classes), dtype=np.int64)
    np.add.at(table, (c, y), 1)
    rows, cols = linear_sum_assignment(table, maximize=True)
    return float(table[rows, cols].sum() / len(c))
