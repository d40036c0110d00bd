"""The conditional critics, the translators and the conditional gradient penalty."""

from __future__ import annotations

import functools

import pytest
import torch
from torch import nn

from conftest import tiny_config, tiny_image_config
from wgan.data.sources import build_source
from wgan.errors import UserError
from wgan.lipschitz import gradient_penalty
from wgan.models import build_translation_models
from wgan.models.conditional import (
    AuxiliaryCritic,
    LabelConcatCritic,
    ProjectionCritic,
    label_planes,
)
from wgan.models.dcgan import DCGANCritic
from wgan.models.mlp import MLPCritic
from wgan.models.translation import ImageTranslator, build_translator
from wgan.training.codes import LatentCodes
from wgan.training.kinds import make_kind


def _mlp_critic(dim: int) -> MLPCritic:
    torch.manual_seed(0)
    return MLPCritic(dim, width=16, depth=2, activation="silu")


def test_projection_critic_is_linear_head_plus_label_embedding_projection() -> None:
    critic = ProjectionCritic(_mlp_critic(2), n_classes=3)
    x, labels = torch.randn(5, 2), torch.tensor([0, 1, 2, 1, 0])
    phi = critic.base.features(x)
    head = critic.base.head
    expected = phi @ head.weight.T + head.bias + (critic.embed.weight[labels] * phi).sum(1, True)
    torch.testing.assert_close(critic(x, labels), expected)
    assert not torch.allclose(critic(x, labels), critic(x, (labels + 1) % 3))


def test_concat_critic_sees_one_hot_labels_as_inputs_or_planes() -> None:
    points = LabelConcatCritic(_mlp_critic(2 + 3), n_classes=3)
    x, labels = torch.randn(4, 2), torch.tensor([2, 0, 1, 2])
    expected = points.base(torch.cat([x, nn.functional.one_hot(labels, 3).float()], 1))
    torch.testing.assert_close(points(x, labels), expected)
    images = torch.randn(4, 1, 8, 8)
    planes = label_planes(labels, 3, images)
    assert planes.shape == (4, 3, 8, 8)
    assert torch.equal(planes[:, :, 5, 2], nn.functional.one_hot(labels, 3).float())
    conv = LabelConcatCritic(DCGANCritic(channels=4, resolution=8, width=4, norm="none"), 3)
    assert conv(images, labels).shape == (4, 1)


def test_auxiliary_critic_scores_as_its_base_and_heads_its_features() -> None:
    critic = AuxiliaryCritic(_mlp_critic(2), out_dim=7)
    x = torch.randn(6, 2)
    scores, auxiliary = critic.with_auxiliary(x)
    torch.testing.assert_close(scores, critic.base(x))
    torch.testing.assert_close(critic(x), scores)
    torch.testing.assert_close(auxiliary, critic.auxiliary(critic.base.features(x)))
    assert auxiliary.shape == (6, 7)


def test_conditional_penalty_takes_each_interpolate_with_its_own_label() -> None:
    critic = ProjectionCritic(_mlp_critic(2), n_classes=4)
    real, fake = torch.randn(6, 2), torch.randn(6, 2)
    labels, eps = torch.tensor([0, 1, 2, 3, 0, 1]), torch.rand(6)
    penalty, norms = gradient_penalty(functools.partial(critic, labels=labels), real, fake, eps=eps)
    expected = []
    for i in range(6):  # one sample at a time: the gradient of f(., y_i) at x_hat_i
        x_hat = (eps[i] * real[i] + (1 - eps[i]) * fake[i]).reshape(1, 2).requires_grad_(True)
        (grad,) = torch.autograd.grad(critic(x_hat, labels[i : i + 1]).sum(), x_hat)
        expected.append(grad.norm())
    torch.testing.assert_close(norms, torch.stack(expected))
    torch.testing.assert_close(penalty, ((torch.stack(expected) - 1) ** 2).mean())
    _, other = gradient_penalty(
        functools.partial(critic, labels=(labels + 1) % 4), real, fake, eps=eps
    )
    assert not torch.allclose(norms, other)  # the labels matter


@pytest.mark.parametrize(
    ("gan", "fields", "critic_type", "input_dim"),
    [
        ("cgan", {"cgan": {"critic": "projection"}}, ProjectionCritic, 2 + 5),
        ("cgan", {"cgan": {"critic": "concat"}}, LabelConcatCritic, 2 + 5),
        ("acgan", {}, AuxiliaryCritic, 2 + 5),
        ("infogan", {"infogan": {"categories": 5, "continuous": 2}}, AuxiliaryCritic, 2 + 7),
    ],
)
def test_build_models_of_each_kind(
    gan: str, fields: dict[str, object], critic_type: type, input_dim: int
) -> None:
    config = tiny_config(gan=gan, **fields)
    source = build_source(config, torch.device("cpu"))
    kind = make_kind(config, source)
    assert kind.codes is not None
    kind.codes = LatentCodes(n_classes=5, n_continuous=2 if gan == "infogan" else 0)
    generator, critic = kind.models((2,))
    assert isinstance(critic, critic_type)
    assert generator(torch.randn(3, input_dim)).shape == (3, 2)


def test_cyclegan_models_are_pairs_of_translators_and_critics() -> None:
    config = tiny_image_config(
        gan="cyclegan", data_b={"name": "digits", "resolution": 8, "transform": "invert"}
    )
    generator, critic = build_translation_models(config, (1, 8, 8), (3, 8, 8))
    assert isinstance(generator, nn.ModuleDict) and isinstance(critic, nn.ModuleDict)
    assert generator["ab"](torch.randn(2, 1, 8, 8)).shape == (2, 3, 8, 8)
    assert generator["ba"](torch.randn(2, 3, 8, 8)).shape == (2, 1, 8, 8)
    assert critic["b"](torch.randn(2, 3, 8, 8)).shape == (2, 1)


def test_translators_keep_the_size_and_refuse_other_shapes() -> None:
    translator = ImageTranslator(c_in=1, c_out=1, width=4, blocks=2)
    out = translator(torch.randn(3, 1, 8, 8))
    assert out.shape == (3, 1, 8, 8) and out.abs().max() <= 1
    assert build_translator((2,), (3,), width=8, depth=1, activation="relu")(
        torch.randn(4, 2)
    ).shape == (4, 3)
    with pytest.raises(UserError, match="same side"):
        build_translator((1, 8, 8), (1, 16, 16), width=4, depth=1, activation="relu")
    with pytest.raises(UserError, match="both domains"):
        build_translator((2,), (1, 8, 8), width=4, depth=1, activation="relu")
