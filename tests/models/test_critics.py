from __future__ import annotations

import torch

from wgan.models.autoencoder import AutoencoderCritic
from wgan.models.minibatch import MinibatchDiscrimination
from wgan.models.mlp import MLPCritic, mlp


def _naive_minibatch_features(layer: MinibatchDiscrimination, f: torch.Tensor) -> torch.Tensor:
    """o(f)_{i,k} = mean over j != i of exp(-||M_ik - M_jk||_1), by loops (the paper's formula)."""
    b = f.shape[0]
    m = (f.double() @ layer.T.double()).view(b, layer.kernels, layer.kernel_dim)
    o = torch.zeros(b, layer.kernels, dtype=torch.float64)
    for i in range(b):
        for j in range(b):
            if i != j:
                o[i] += torch.exp(-(m[i] - m[j]).abs().sum(-1))
    return torch.cat([f.double(), o / max(b - 1, 1)], dim=1)


def test_mlp_critic_is_mlp_with_features() -> None:
    torch.manual_seed(0)
    plain = mlp(2, 1, width=16, depth=3, activation="relu")
    torch.manual_seed(0)
    critic = MLPCritic(2, width=16, depth=3, activation="relu")
    assert critic.state_dict().keys() == plain.state_dict().keys()
    for a, b in zip(critic.state_dict().values(), plain.state_dict().values(), strict=True):
        assert torch.equal(a, b)  # same layers, same initial weights: checkpoints stay compatible
    x = torch.randn(5, 2)
    torch.testing.assert_close(critic(x), plain(x))
    features = critic.features(x)
    assert features.shape == (5, 16)
    torch.testing.assert_close(critic[-1](features), critic(x))  # the head reads the features


def test_minibatch_layer_against_the_formula() -> None:
    torch.manual_seed(1)
    layer = MinibatchDiscrimination(6, kernels=4, kernel_dim=3)
    f = torch.randn(7, 6)
    out = layer(f)
    assert out.shape == (7, 10)
    torch.testing.assert_close(
        out.double(), _naive_minibatch_features(layer, f), rtol=1e-5, atol=1e-6
    )
    assert ((out[:, 6:] >= 0) & (out[:, 6:] <= 1)).all()


def test_minibatch_layer_in_chunks_equals_one_block() -> None:
    torch.manual_seed(2)
    layer = MinibatchDiscrimination(3, kernels=2, kernel_dim=2)
    f = torch.randn(1100, 3)  # more rows than one chunk
    out = layer(f)
    m = (f @ layer.T).view(1100, 2, 2).transpose(0, 1)
    whole = (torch.exp(-torch.cdist(m, m, p=1)).sum(-1) - 1.0).T / 1099
    torch.testing.assert_close(out[:, 3:], whole)


def test_minibatch_features_follow_the_batch() -> None:
    torch.manual_seed(3)
    layer = MinibatchDiscrimination(4, kernels=3, kernel_dim=2)
    f = torch.randn(6, 4)
    perm = torch.randperm(6)
    torch.testing.assert_close(layer(f)[perm], layer(f[perm]))  # permutation equivariant
    collapsed = layer(f[:1].expand(6, 4))  # identical samples: every similarity is exp(0) = 1
    torch.testing.assert_close(collapsed[:, 4:], torch.ones(6, 3))
    torch.testing.assert_close(layer(f[:1])[:, 4:], torch.zeros(1, 3))  # alone in its batch


def test_critic_with_minibatch_discrimination() -> None:
    critic = MLPCritic(
        2, width=8, depth=2, activation="relu", minibatch_kernels=5, minibatch_kernel_dim=3
    )
    assert isinstance(critic[-2], MinibatchDiscrimination)
    assert critic[-1].in_features == 8 + 5
    x = torch.randn(10, 2)
    assert critic(x).shape == (10, 1)
    assert critic.features(x).shape == (10, 8)  # before the batch-dependent layer


def test_autoencoder_critic_scores_are_negated_reconstruction_errors() -> None:
    torch.manual_seed(4)
    critic = AutoencoderCritic(2, width=16, depth=2, code_dim=3, activation="relu")
    x = torch.randn(9, 2)
    expected = -(critic.decoder(critic.encoder(x)) - x).norm(dim=1, keepdim=True)
    torch.testing.assert_close(critic(x), expected)
    assert (critic(x) <= 0).all()
    torch.testing.assert_close(critic.features(x), critic.encoder(x))


def test_autoencoder_energy_keeps_fp32_under_bf16_autocast() -> None:
    torch.manual_seed(5)
    critic = AutoencoderCritic(2, width=32, depth=2, code_dim=2, activation="relu")
    with torch.no_grad():  # a near-identity autoencoder: tiny energies of O(1) inputs
        critic.decoder[-1].bias.zero_()
    x = 3.0 + torch.randn(64, 2)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        scores = critic(x)
    assert scores.dtype == torch.float32
    # The output layer and the difference run in fp32: only the hidden layers carry bf16 error.
    hidden = critic.decoder[:-1](critic.encoder(x))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        hidden_bf16 = critic.decoder[:-1](critic.encoder(x)).float()
    reference = -(critic.decoder[-1](hidden_bf16) - x).norm(dim=1, keepdim=True)
    torch.testing.assert_close(scores, reference)
    assert not torch.equal(hidden_bf16, hidden)  # the hidden layers did run in bf16
