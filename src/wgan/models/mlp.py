"""Fully connected networks, as in the WGAN-GP paper's toy experiments (512 units, 3 hidden layers),
with the parts of PacGAN's toy networks: maxout units in the critic, BatchNorm in the generator."""

from __future__ import annotations

from itertools import islice

from torch import Tensor, nn

from wgan.lipschitz.bounds import LipschitzBounds, Shape
from wgan.models.layers import MaskedLeakyReLU, MaskedReLU
from wgan.models.minibatch import MinibatchDiscrimination

# ReLU and leaky ReLU as torch's, with a cheaper double backward for the gradient penalty.
ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": MaskedReLU,
    "leaky_relu": MaskedLeakyReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "tanh": nn.Tanh,
}


class Maxout(nn.Module):
    """Each output unit the largest of `pieces` consecutive inputs, (B, width * pieces) ->
    (B, width): after a Linear layer, a maxout layer (Goodfellow et al. 2013). It is 1-Lipschitz
    in the Euclidean norm (each unit moves at most as much as its largest piece)."""

    def __init__(self, pieces: int) -> None:
        super().__init__()
        self.pieces = pieces

    def forward(self, x: Tensor) -> Tensor:
        return x.unflatten(1, (-1, self.pieces)).amax(dim=2)

    def lipschitz_bound(self, shape: Shape, bounds: LipschitzBounds) -> float:
        return 1.0


def mlp(
    in_dim: int,
    out_dim: int,
    *,
    width: int,
    depth: int,
    activation: str,
    maxout: int = 0,
    batchnorm: bool = False,
) -> nn.Sequential:
    """`depth` hidden layers of `width` units, each Linear then activation, then a Linear output.

    `maxout` k > 1: each hidden unit is the largest of k linear pieces in place of the activation.
    `batchnorm`: BatchNorm between each hidden Linear layer (then without its bias, which the
    BatchNorm's shift replaces) and its activation; for generators only: a critic built this way
    (out_dim 1) has no BatchNorm, so the gradient penalty, which is per sample, stays well defined.
    """
    layers: list[nn.Module] = []
    size = in_dim
    for _ in range(depth):
        if maxout > 1:
            layers += [nn.Linear(size, width * maxout), Maxout(maxout)]
        elif batchnorm:
            layers += [
                nn.Linear(size, width, bias=False),
                nn.BatchNorm1d(width, momentum=0.05),  # PacGAN's running-statistics update
                ACTIVATIONS[activation](),
            ]
        else:
            layers += [nn.Linear(size, width), ACTIVATIONS[activation]()]
        size = width
    layers.append(nn.Linear(size, out_dim))
    return nn.Sequential(*layers)


class MLPCritic(nn.Sequential):
    """x (B, d) -> scores (B, 1): the layers of `mlp(d, 1, ...)`, with an optional minibatch
    discrimination layer before the output layer.

    `features(x)` is the last hidden layer's output (B, width), the layer that feature matching
    compares. Without minibatch discrimination the layers, their order and their initial weights
    are those of `mlp`.
    """

    def __init__(
        self,
        in_dim: int,
        *,
        width: int,
        depth: int,
        activation: str,
        maxout: int = 0,
        minibatch_kernels: int = 0,
        minibatch_kernel_dim: int = 5,
    ) -> None:
        layers = list(
            mlp(in_dim, 1, width=width, depth=depth, activation=activation, maxout=maxout)
        )
        n_feature_layers = len(layers) - 1
        if minibatch_kernels:
            layers[-1:] = [
                MinibatchDiscrimination(
                    width, kernels=minibatch_kernels, kernel_dim=minibatch_kernel_dim
                ),
                nn.Linear(width + minibatch_kernels, 1),
            ]
        super().__init__(*layers)
        self.n_feature_layers = n_feature_layers

    def features(self, x: Tensor) -> Tensor:
        for layer in islice(self, self.n_feature_layers):
            x = layer(x)
        return x  # (B, width)

    def feature_layers(self) -> list[nn.Module]:
        """Layers whose composition is `features` (for Lipschitz bounds)."""
        return list(islice(self, self.n_feature_layers))

    def lipschitz_bound(self, shape: tuple[int, ...], bounds: LipschitzBounds) -> float | None:
        """None with minibatch discrimination (a sample's score depends on its batch)."""
        return bounds.chain(list(self), shape)

    @property
    def head(self) -> nn.Module:
        """The output layer; without minibatch discrimination, scores = head(features(x))."""
        return self[-1]
