"""Critics for the conditional GANs: critics that see the label, critics with a second head, and
the semi-supervised GAN's critic of K class logits.

The generators need no wrapper: a conditional generator is the plain generator whose input is z
with the one-hot label appended (cGAN, AC-GAN), or z with InfoGAN's codes appended
(`wgan.training.codes.LatentCodes`), as Mirza & Osindero (2014) and Chen et al. (2016) feed them.

The critics wrap a base critic that has `features(x)` (B, k) and a linear `head` (k -> 1), so
that f(x) = head(features(x)) (the MLP, DCGAN and ResNet critics).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from wgan.lipschitz import LipschitzBounds
from wgan.losses import semi_supervised_logit


def _split(base: nn.Module) -> tuple[Callable[[Tensor], Tensor], nn.Linear]:
    """A base critic's `features` and linear `head`."""
    features, head = base.features, base.head
    if not callable(features) or not isinstance(head, nn.Linear):
        raise TypeError(f"{type(base).__name__} has no features(x) and linear head")
    return features, head


def label_planes(labels: Tensor, n_classes: int, like: Tensor) -> Tensor:
    """One-hot labels shaped to be concatenated to `like`: (B, K) for points (B, d), or K
    constant planes (B, K, H, W) for images (B, C, H, W)."""
    one_hot = F.one_hot(labels, n_classes).to(like.dtype)  # (B, K)
    if like.dim() == 2:
        return one_hot
    return one_hot[:, :, None, None].expand(-1, -1, *like.shape[2:])


class LabelConcatCritic(nn.Module):
    """f(x, y) = f0([x, onehot(y)]): the label appended to the input (Mirza & Osindero 2014).

    For images the one-hot label is K extra input channels, constant over the image; the base
    critic is built for C + K channels (d + K inputs for points).
    """

    def __init__(self, base: nn.Module, n_classes: int) -> None:
        super().__init__()
        self.base = base
        self.n_classes = n_classes

    def forward(self, x: Tensor, labels: Tensor) -> Tensor:
        planes = label_planes(labels, self.n_classes, x)
        return self.base(torch.cat([x, planes], dim=1))  # (B, 1)

    def lipschitz_bound(self, shape: tuple[int, ...], bounds: LipschitzBounds) -> float | None:
        """The base's on the widened input: f(., y) varies only its first C inputs."""
        return bounds.of(self.base, (shape[0] + self.n_classes, *shape[1:]))


class ProjectionCritic(nn.Module):
    r"""The projection critic of Miyato & Koyama (2018):

    .. math:: f(x, y) = w^\top \phi(x) + b + e_y^\top \phi(x)

    phi(x) (B, k) are the base critic's features, (w, b) its head, and e_y a learnt embedding
    (K, k) of the label: the label enters as an inner product with the features rather than as
    an input.
    """

    def __init__(self, base: nn.Module, n_classes: int) -> None:
        super().__init__()
        self.base = base
        _, head = _split(base)
        self.embed = nn.Embedding(n_classes, head.in_features)
        nn.init.normal_(self.embed.weight, std=head.in_features**-0.5)

    def forward(self, x: Tensor, labels: Tensor) -> Tensor:
        features, head = _split(self.base)
        phi = features(x)  # (B, k)
        projection = (self.embed(labels).to(phi.dtype) * phi).sum(1, keepdim=True)
        return head(phi) + projection  # (B, 1)

    def lipschitz_bound(self, shape: tuple[int, ...], bounds: LipschitzBounds) -> float | None:
        """f(., y) = (w + e_y) . phi + b: the features' layers, then the K rows w + e_y as one
        linear layer, whose norm is at least each row's."""
        _, head = _split(self.base)
        rows = nn.Linear(
            head.in_features, self.embed.num_embeddings, bias=False, device=head.weight.device
        )
        rows.weight.data = (head.weight + self.embed.weight).detach()
        layers = self.base.feature_layers()  # type: ignore[operator]
        return bounds.chain([*layers, rows], shape)


class AuxiliaryCritic(nn.Module):
    """A critic f(x) with a second head on the same features: a(x) (B, out_dim).

    AC-GAN's class logits (Odena et al. 2017), InfoGAN's Q, the estimate of the codes (Chen et
    al. 2016). The head is Linear, LeakyReLU(0.2), Linear, as InfoGAN's Q. `forward` returns the
    scores alone, so the gradient penalty sees the critic as it is.
    """

    def __init__(self, base: nn.Module, out_dim: int) -> None:
        super().__init__()
        self.base = base
        width = _split(base)[1].in_features
        self.auxiliary = nn.Sequential(
            nn.Linear(width, width), nn.LeakyReLU(0.2), nn.Linear(width, out_dim)
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.base(x)  # (B, 1)

    def lipschitz_bound(self, shape: tuple[int, ...], bounds: LipschitzBounds) -> float | None:
        return bounds.of(self.base, shape)

    def with_auxiliary(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(scores (B, 1), auxiliary outputs (B, out_dim)) from one pass through the features."""
        features, head = _split(self.base)
        phi = features(x)
        return head(phi), self.auxiliary(phi)


class ClassifierCritic(nn.Module):
    """The critic of a semi-supervised GAN (Salimans et al. 2016): K class logits l(x) (B, K) on
    the base critic's features, the generated class's logit fixed at 0 (none is learnt), and as
    its score log Z(x) = log sum_k exp l_k(x), the logit of D(x) = Z / (Z + 1)
    (`wgan.losses.semi_supervised_logit`).

    The base critic's linear head is widened to K outputs: the class logits are its head.
    """

    def __init__(self, base: nn.Module, n_classes: int) -> None:
        super().__init__()
        _, head = _split(base)
        logits = nn.Linear(head.in_features, n_classes)
        if isinstance(base, nn.Sequential):  # the MLP critic: its head is its last layer
            base[-1] = logits
        else:
            base.head = logits
        self.base = base

    def forward(self, x: Tensor) -> Tensor:
        return semi_supervised_logit(self.base(x))  # (B, 1)

    def features(self, x: Tensor) -> Tensor:
        """The base critic's features (B, k), those feature matching compares."""
        return _split(self.base)[0](x)

    def logits(self, x: Tensor) -> Tensor:
        """The K class logits (B, K)."""
        return self.base(x)

    def with_auxiliary(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(scores log Z (B, 1), class logits (B, K)) from one pass."""
        logits = self.base(x)
        return semi_supervised_logit(logits), logits

    def lipschitz_bound(self, shape: tuple[int, ...], bounds: LipschitzBounds) -> float | None:
        """The base's with its K-output head: log-sum-exp is 1-Lipschitz in the Euclidean norm
        (its gradient, the softmax, has norm at most 1)."""
        return bounds.of(self.base, shape)
