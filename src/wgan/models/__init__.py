"""Generator and critic networks, built from a config and the shape of one data sample."""

from __future__ import annotations

from typing import TYPE_CHECKING

from torch import Tensor, nn

from wgan.config import Config
from wgan.lipschitz import spectral_normalize_
from wgan.models.autoencoder import AutoencoderCritic
from wgan.models.conditional import AuxiliaryCritic, LabelConcatCritic, ProjectionCritic
from wgan.models.dcgan import DCGANCritic, DCGANGenerator
from wgan.models.mlp import MLPCritic, mlp
from wgan.models.resnet import ResNetCritic, ResNetGenerator
from wgan.models.translation import build_translator

if TYPE_CHECKING:
    from wgan.codes import LatentCodes


def build_models(
    config: Config,
    sample_shape: tuple[int, ...],
    *,
    codes: LatentCodes | None = None,
    sample_shape_b: tuple[int, ...] | None = None,
) -> tuple[nn.Module, nn.Module]:
    """(generator, critic): the generator maps z (B, latent_dim) to samples (B, *sample_shape),
    the critic maps samples to scores (B, 1).

    Points (d,) get MLPs: the critic is EBGAN's autoencoder for loss 'ebgan', else an MLP (with
    minibatch discrimination when stabilizers.minibatch.kernels > 0); both have `features(x)`
    (B, k). Images (C, R, R) get the DCGAN or ResNet pair sized from R and C.
    lipschitz.method 'sn' spectrally normalises every critic weight.

    Conditional GANs (`codes`): the generator takes z with the codes appended (B, latent_dim +
    codes.dim); the critic is wrapped as `gan` says (`wgan.models.conditional`). CycleGAN
    (`sample_shape_b`, the second domain's): the generator is a ModuleDict of the translators
    `ab` (A -> B) and `ba`, the critic a ModuleDict of the critics `a` and `b` of each domain.
    """
    if config.gan == "cyclegan":
        assert sample_shape_b is not None
        m = config.model
        shapes = {"a": sample_shape, "b": sample_shape_b}
        generator: nn.Module = nn.ModuleDict(
            {
                f"{x}{y}": build_translator(
                    shapes[x],
                    shapes[y],
                    width=m.generator_width,
                    depth=m.generator_depth,
                    activation=m.activation,
                )
                for x, y in ("ab", "ba")
            }
        )
        critic: nn.Module = nn.ModuleDict({x: _critic(config, shapes[x]) for x in "ab"})
    else:
        code_dim = 0 if codes is None else codes.dim
        generator = _generator(config, config.model.latent_dim + code_dim, sample_shape)
        critic = _conditional_critic(config, sample_shape, codes)
    if config.lipschitz.method == "sn":
        spectral_normalize_(critic)
    return generator, critic


def _conditional_critic(
    config: Config, sample_shape: tuple[int, ...], codes: LatentCodes | None
) -> nn.Module:
    if codes is None:
        return _critic(config, sample_shape)
    if config.gan == "infogan":
        return AuxiliaryCritic(_critic(config, sample_shape), codes.dim)
    if config.gan == "acgan":
        return AuxiliaryCritic(_critic(config, sample_shape), codes.n_classes)
    if config.cgan.critic == "projection":
        return ProjectionCritic(_critic(config, sample_shape), codes.n_classes)
    widened = (sample_shape[0] + codes.n_classes, *sample_shape[1:])  # the label's K inputs
    return LabelConcatCritic(_critic(config, widened), codes.n_classes)


def _generator(config: Config, in_dim: int, sample_shape: tuple[int, ...]) -> nn.Module:
    m = config.model
    if m.arch == "mlp":
        (dim,) = sample_shape
        return mlp(
            in_dim, dim, width=m.generator_width, depth=m.generator_depth, activation=m.activation
        )
    channels, resolution, _ = sample_shape
    kind = DCGANGenerator if m.arch == "dcgan" else ResNetGenerator
    return kind(
        latent_dim=in_dim, channels=channels, resolution=resolution, width=m.generator_width
    )


def _critic(config: Config, sample_shape: tuple[int, ...]) -> nn.Module:
    m = config.model
    if m.arch == "mlp":
        (dim,) = sample_shape
        if config.loss == "ebgan":
            return AutoencoderCritic(
                dim,
                width=m.critic_width,
                depth=m.critic_depth,
                code_dim=config.ebgan.code_dim,
                activation=m.activation,
            )
        minibatch = config.stabilizers.minibatch
        return MLPCritic(
            dim,
            width=m.critic_width,
            depth=m.critic_depth,
            activation=m.activation,
            minibatch_kernels=minibatch.kernels,
            minibatch_kernel_dim=minibatch.kernel_dim,
        )
    channels, resolution, _ = sample_shape
    if m.arch == "dcgan":
        return DCGANCritic(
            channels=channels, resolution=resolution, width=m.critic_width, norm=m.critic_norm
        )
    return ResNetCritic(channels=channels, width=m.critic_width, norm=m.critic_norm)


def critic_features(critic: nn.Module, x: Tensor) -> Tensor:
    """The critic's features of x (B, k): what feature matching and the pulling-away term use."""
    features = critic.features
    assert callable(features), f"{type(critic).__name__} has no features(x)"
    return features(x)
