"""BigGAN's pieces: the generator's shapes and its use of the label, the critic's spectral norm,
orthogonal regularisation against hand-computed values, and truncated z."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize

from conftest import tiny_image_config
from wgan.data.sources import build_source
from wgan.losses import orthogonal_regularization
from wgan.models import regularised_weights
from wgan.models.biggan import BigGANGenerator
from wgan.models.layers import upsampling_stages
from wgan.training.kinds import make_kind
from wgan.training.sampling import truncated_normal


def _generator(resolution: int, channels: int = 1, condition_dim: int = 10) -> BigGANGenerator:
    torch.manual_seed(0)
    return BigGANGenerator(
        latent_dim=9,
        condition_dim=condition_dim,
        channels=channels,
        resolution=resolution,
        width=4,
    )


@pytest.mark.parametrize("resolution", [4, 8, 16, 28, 32])
@pytest.mark.parametrize("channels", [1, 3])
def test_generator_shapes_and_hierarchical_chunks(resolution: int, channels: int) -> None:
    generator = _generator(resolution, channels)
    k, _ = upsampling_stages(resolution)
    assert len(generator.blocks) == k and len(generator.chunks) == k + 1
    assert sum(generator.chunks) == 9
    images = generator(torch.randn(5, 19))
    assert images.shape == (5, channels, resolution, resolution)
    assert images.abs().max() <= 1.0


def _label_changes_output(generator: BigGANGenerator) -> bool:
    """Do two labels with the same z give different images (in eval mode: no batch statistics)?"""
    generator.eval()
    z = torch.randn(4, 9).repeat(2, 1)
    labels = torch.eye(10)[torch.tensor([0, 0, 0, 0, 1, 1, 1, 1])]
    images = generator(torch.cat([z, labels], dim=1))
    return not torch.allclose(images[:4], images[4:])


def test_conditional_batchnorm_uses_the_label() -> None:
    generator = _generator(8)
    # Untrained, the gains and biases are small; scale the conditional maps up to see them.
    with torch.no_grad():
        for module in generator.modules():
            if isinstance(module, nn.Linear) and module is not generator.project:
                module.weight.mul_(10.0)
    assert _label_changes_output(generator)
    # The label's every route into the images is the shared embedding: cut it, the test fails.
    assert generator.shared is not None
    with torch.no_grad():
        generator.shared.weight.zero_()
    assert not _label_changes_output(generator)


def test_each_block_gets_its_own_chunk_of_z() -> None:
    generator = _generator(8).eval()
    x = torch.cat([torch.randn(3, 9), torch.eye(10)[:3]], dim=1)
    for start in (generator.chunks[0], generator.chunks[0] + generator.chunks[1]):
        moved = x.clone()
        moved[:, start] += 3.0  # the first entry of block 1's chunk, then of block 2's
        assert not torch.allclose(generator(x), generator(moved))


def test_unconditional_generator_has_no_embedding() -> None:
    generator = _generator(8, condition_dim=0)
    assert generator.shared is None
    assert generator(torch.randn(3, 9)).shape == (3, 1, 8, 8)


def test_critic_is_a_spectrally_normalised_projection_critic() -> None:
    config = tiny_image_config(
        gan="cgan",
        loss="hinge",
        lipschitz={"method": "sn"},
        model={"arch": "biggan", "latent_dim": 9, "generator_width": 4, "critic_width": 4},
    )
    kind = make_kind(config, build_source(config, torch.device("cpu")))
    generator, critic = kind.models((1, 8, 8))
    assert isinstance(generator, BigGANGenerator)
    layers = [m for m in critic.modules() if isinstance(m, nn.Linear | nn.Conv2d)]
    assert len(layers) >= 6 and all(parametrize.is_parametrized(m, "weight") for m in layers)
    x, labels = torch.randn(8, 1, 8, 8), torch.arange(8)
    for _ in range(100):  # power iteration converges in train mode
        critic(x, labels)
    for layer in layers:
        sigma = torch.linalg.matrix_norm(layer.weight.flatten(1).detach(), ord=2)
        assert sigma == pytest.approx(1.0, abs=0.05)
    assert critic(x, labels).shape == (8, 1)


def test_orthogonal_regularisation_by_hand() -> None:
    w = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    # rows (1, 2), (3, 4): Gram [[5, 11], [11, 25]]; the two off-diagonal 11s squared.
    assert orthogonal_regularization([w]).item() == pytest.approx(242.0)
    # A kernel (out, in, k, k) counts as the matrix (out, in * k * k); terms add over weights.
    kernel = w.reshape(2, 1, 1, 2)
    assert orthogonal_regularization([w, kernel]).item() == pytest.approx(484.0)
    q, _ = torch.linalg.qr(torch.randn(6, 6, generator=torch.Generator().manual_seed(0)))
    # Orthogonal rows of any norms: zero (the diagonal, the norms, is not penalised).
    scaled = q * torch.arange(1.0, 7.0)[:, None]
    assert orthogonal_regularization([q, scaled]).item() == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ValueError, match="at least one weight"):
        orthogonal_regularization([])


def test_regularised_weights_leave_out_the_shared_embedding() -> None:
    generator = _generator(8)
    assert generator.shared is not None
    weights = regularised_weights(generator)
    assert all(w.dim() >= 2 for w in weights)
    assert not any(w is generator.shared.weight for w in weights)
    assert any(w is generator.project.weight for w in weights)


@pytest.mark.parametrize("threshold", [0.1, 0.5, 2.0])
def test_truncated_normal_stays_within_the_threshold(threshold: float) -> None:
    rng = torch.Generator().manual_seed(0)
    z = truncated_normal((2000, 16), threshold, generator=rng, device=torch.device("cpu"))
    assert z.shape == (2000, 16) and z.abs().max() <= threshold
    # Still spread over the interval, and symmetric.
    assert z.abs().max() > 0.9 * threshold and abs(z.mean()) < 0.05 * threshold
    # Resampled, not clamped: no mass piles up at the bounds.
    assert (z.abs() == threshold).sum() == 0
    plain = truncated_normal((5, 3), None, generator=torch.Generator().manual_seed(1),
                             device=torch.device("cpu"))  # fmt: skip
    torch.testing.assert_close(plain, torch.randn(5, 3, generator=torch.Generator().manual_seed(1)))
    with pytest.raises(ValueError, match="positive"):
        truncated_normal((2, 2), 0.0, generator=rng, device=torch.device("cpu"))
