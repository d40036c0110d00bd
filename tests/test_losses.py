from __future__ import annotations

import pytest
import torch

from wgan.config import load_config
from wgan.errors import UserError
from wgan.losses import (
    LOSSES,
    critic_objective,
    ebgan_critic_loss,
    ebgan_generator_loss,
    feature_matching_loss,
    hinge_critic_loss,
    hinge_generator_loss,
    loss_pair,
    lsgan_critic_loss,
    lsgan_generator_loss,
    minimax_critic_loss,
    minimax_generator_loss,
    nonsaturating_generator_loss,
    pullaway_term,
    wasserstein_critic_loss,
    wasserstein_generator_loss,
)


def test_wasserstein_losses_by_hand() -> None:
    real = torch.tensor([[1.0], [3.0]])  # mean 2
    fake = torch.tensor([[-1.0], [0.0], [4.0]])  # mean 1
    torch.testing.assert_close(wasserstein_critic_loss(real, fake), torch.tensor(-1.0))
    torch.testing.assert_close(wasserstein_generator_loss(fake), torch.tensor(-1.0))


def test_critic_loss_pushes_real_scores_up_and_fake_down() -> None:
    real = torch.zeros(4, 1, requires_grad=True)
    fake = torch.zeros(4, 1, requires_grad=True)
    wasserstein_critic_loss(real, fake).backward()
    assert real.grad is not None and fake.grad is not None
    torch.testing.assert_close(real.grad, torch.full((4, 1), -0.25))
    torch.testing.assert_close(fake.grad, torch.full((4, 1), 0.25))


def test_minimax_losses_against_the_formula() -> None:
    real = torch.tensor([[0.5], [-1.0], [2.0]])
    fake = torch.tensor([[-0.3], [1.5]])
    d_real, d_fake = torch.sigmoid(real), torch.sigmoid(fake)
    expected = -(torch.log(d_real).mean() + torch.log(1 - d_fake).mean())
    torch.testing.assert_close(minimax_critic_loss(real, fake), expected)
    torch.testing.assert_close(minimax_generator_loss(fake), torch.log(1 - d_fake).mean())
    torch.testing.assert_close(nonsaturating_generator_loss(fake), -torch.log(d_fake).mean())


def test_minimax_is_stable_for_confident_discriminators() -> None:
    fake = torch.tensor([[-200.0]], requires_grad=True)  # D(G(z)) = sigmoid(-200), about 1e-87
    minimax_generator_loss(fake).backward()
    assert fake.grad is not None and fake.grad.abs().item() < 1e-60  # saturated: no signal
    fake.grad = None
    nonsaturating_generator_loss(fake).backward()
    torch.testing.assert_close(fake.grad, torch.tensor([[-1.0]]))  # full-strength signal
    assert torch.isfinite(minimax_critic_loss(torch.tensor([300.0]), torch.tensor([-300.0])))


# ---- the GAN family: values at known scores, sign conventions, gradients ------------------------

REAL = torch.tensor([[2.0], [0.5], [-1.5]])
FAKE = torch.tensor([[-3.0], [0.25]])


def test_hinge_losses_by_hand() -> None:
    # relu(1 - real) = (0, 0.5, 2.5), mean 1; relu(1 + fake) = (0, 1.25), mean 0.625.
    torch.testing.assert_close(hinge_critic_loss(REAL, FAKE), torch.tensor(1.625))
    torch.testing.assert_close(hinge_generator_loss(FAKE), torch.tensor(1.375))


def test_lsgan_losses_by_hand() -> None:
    # (real - 1)^2 = (1, 0.25, 6.25), mean 2.5; fake^2 = (9, 0.0625), mean 4.53125.
    torch.testing.assert_close(
        lsgan_critic_loss(REAL, FAKE), torch.tensor(0.5 * 2.5 + 0.5 * 4.53125)
    )
    # (fake - 1)^2 = (16, 0.5625), mean 8.28125.
    torch.testing.assert_close(lsgan_generator_loss(FAKE), torch.tensor(0.5 * 8.28125))


def test_ebgan_losses_take_negated_energies() -> None:
    real_energy = torch.tensor([[0.1], [0.3]])  # mean 0.2
    fake_energy = torch.tensor([[0.2], [1.5], [0.9]])  # m = 1: max(0, m - E) = (0.8, 0, 0.1)
    loss = ebgan_critic_loss(-real_energy, -fake_energy, margin=1.0)
    torch.testing.assert_close(loss, torch.tensor(0.2 + 0.3))
    torch.testing.assert_close(ebgan_generator_loss(-fake_energy), torch.tensor(2.6 / 3))
    with pytest.raises(ValueError, match="margin"):
        ebgan_critic_loss(-real_energy, -fake_energy, margin=0.0)


def test_margins_stop_the_gradient_beyond_them() -> None:
    real = torch.tensor([[1.5]], requires_grad=True)  # past the hinge's real margin of 1
    fake = torch.tensor([[-1.5]], requires_grad=True)  # past -1
    hinge_critic_loss(real, fake).backward()
    assert real.grad is not None and fake.grad is not None
    assert real.grad.item() == 0.0 and fake.grad.item() == 0.0
    fake_energy = torch.tensor([[2.0]])  # above EBGAN's margin 1: no push
    fake_scores = (-fake_energy).requires_grad_(True)
    ebgan_critic_loss(torch.zeros(1, 1), fake_scores, margin=1.0).backward()
    assert fake_scores.grad is not None and fake_scores.grad.item() == 0.0


CRITIC_LOSSES = {
    "wasserstein": wasserstein_critic_loss,
    "minimax": minimax_critic_loss,
    "hinge": hinge_critic_loss,
    "lsgan": lsgan_critic_loss,
    "ebgan": lambda r, f: ebgan_critic_loss(r, f, margin=1.0),
}
GENERATOR_LOSSES = {
    "wasserstein": wasserstein_generator_loss,
    "minimax": minimax_generator_loss,
    "nonsaturating": nonsaturating_generator_loss,
    "hinge": hinge_generator_loss,
    "lsgan": lsgan_generator_loss,
    "ebgan": ebgan_generator_loss,
}


@pytest.mark.parametrize("name", sorted(CRITIC_LOSSES))
def test_critic_losses_push_real_scores_up_and_fake_scores_down(name: str) -> None:
    # Scores inside every margin (hinge: |s| < 1; EBGAN: energies below m = 1; LSGAN: between
    # the labels 0 and 1), where each loss has a gradient.
    real = torch.full((4, 1), 0.3, dtype=torch.float64, requires_grad=True)
    fake = torch.full((3, 1), -0.6, dtype=torch.float64, requires_grad=True)
    if name == "lsgan":
        fake = torch.full((3, 1), 0.6, dtype=torch.float64, requires_grad=True)
    CRITIC_LOSSES[name](real, fake).backward()
    assert real.grad is not None and fake.grad is not None
    assert (real.grad < 0).all(), name  # descending the loss raises real scores
    assert (fake.grad > 0).all(), name  # and lowers generated ones


@pytest.mark.parametrize("name", sorted(GENERATOR_LOSSES))
def test_generator_losses_push_fake_scores_up(name: str) -> None:
    fake = torch.full((3, 1), 0.4, dtype=torch.float64, requires_grad=True)
    GENERATOR_LOSSES[name](fake).backward()
    assert fake.grad is not None and (fake.grad < 0).all(), name


@pytest.mark.parametrize("name", sorted(CRITIC_LOSSES))
def test_critic_loss_gradients_match_finite_differences(name: str) -> None:
    gen = torch.Generator().manual_seed(3)
    real = torch.randn(5, 1, generator=gen, dtype=torch.float64).requires_grad_(True)
    fake = torch.randn(4, 1, generator=gen, dtype=torch.float64).requires_grad_(True)
    assert torch.autograd.gradcheck(CRITIC_LOSSES[name], (real, fake))


@pytest.mark.parametrize("name", sorted(GENERATOR_LOSSES))
def test_generator_loss_gradients_match_finite_differences(name: str) -> None:
    fake = torch.randn(6, 1, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    assert torch.autograd.gradcheck(GENERATOR_LOSSES[name], (fake.requires_grad_(True),))


def test_pullaway_term_of_orthogonal_parallel_and_mixed_codes() -> None:
    torch.testing.assert_close(pullaway_term(torch.eye(3)), torch.tensor(0.0))
    torch.testing.assert_close(
        pullaway_term(torch.tensor([[1.0, 2.0], [-2.0, -4.0]])), torch.tensor(1.0)
    )
    # Codes at 0, 60 and 90 degrees: cos^2 = 1/4, 0, 3/4 for the pairs (a, b), (a, c), (b, c);
    # each unordered pair counted twice, divided by B (B - 1) = 6.
    codes = torch.tensor([[1.0, 0.0], [0.5, 3**0.5 / 2], [0.0, 2.0]])
    torch.testing.assert_close(pullaway_term(codes), torch.tensor(2 * (0.25 + 0.0 + 0.75) / 6))
    with pytest.raises(ValueError, match="at least 2"):
        pullaway_term(torch.ones(1, 3))


def test_feature_matching_loss_by_hand() -> None:
    real = torch.tensor([[1.0, 0.0], [3.0, 2.0]])  # mean (2, 1)
    fake = torch.tensor([[0.0, 1.0], [0.0, 3.0], [3.0, 2.0]])  # mean (1, 2)
    torch.testing.assert_close(feature_matching_loss(fake, real), torch.tensor(2.0))
    torch.testing.assert_close(feature_matching_loss(real[[1, 0]], real), torch.tensor(0.0))


def test_loss_pairs_of_the_config_names() -> None:
    assert loss_pair("wasserstein") == (wasserstein_critic_loss, wasserstein_generator_loss)
    assert loss_pair("minimax") == (minimax_critic_loss, minimax_generator_loss)
    assert loss_pair("nonsaturating") == (minimax_critic_loss, nonsaturating_generator_loss)
    assert loss_pair("hinge") == (hinge_critic_loss, hinge_generator_loss)
    assert loss_pair("lsgan") == (lsgan_critic_loss, lsgan_generator_loss)
    critic_loss, generator_loss = loss_pair("ebgan", margin=0.5)
    assert generator_loss is ebgan_generator_loss
    energies = torch.tensor([[0.2]])
    torch.testing.assert_close(critic_loss(-energies, -energies), torch.tensor(0.2 + 0.3))
    with pytest.raises(ValueError, match="unknown loss"):
        loss_pair("wgan")
    with pytest.raises(ValueError, match="needs margin"):
        loss_pair("ebgan")


def test_the_config_accepts_exactly_the_registered_losses() -> None:
    for name in LOSSES:
        method = "gp" if name == "wasserstein" else "none"
        assert load_config(loss=name, lipschitz={"method": method}).loss == name
    with pytest.raises(UserError, match="unknown loss 'wgan'; known: wasserstein, minimax"):
        load_config(loss="wgan")


class _Penalty:
    method, gp_lambda = "gp", 4.0


class _NoPenalty:
    method, gp_lambda = "clip", 4.0


def test_critic_objective_adds_lambda_times_the_penalty_only_for_penalty_methods() -> None:
    critic = torch.nn.Linear(2, 1)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([[3.0, 4.0]]))  # gradient norm 5 everywhere
    real, fake = torch.randn(6, 2), torch.randn(6, 2)
    real_scores, fake_scores = critic(real), critic(fake)
    eps = torch.rand(6)
    plain = critic_objective(
        real_scores, fake_scores, loss=wasserstein_critic_loss, lipschitz=_NoPenalty()
    )
    assert plain.penalty is None and set(plain.stats) == {"critic_loss", "critic_w_estimate"}
    gap = real_scores.mean() - fake_scores.mean()
    torch.testing.assert_close(plain.total, -gap)
    penalised = critic_objective(
        real_scores,
        fake_scores,
        loss=wasserstein_critic_loss,
        lipschitz=_Penalty(),
        critic=critic,
        real=real,
        fake=fake,
        eps=eps,
        extra=torch.tensor(0.5),
    )
    # (||grad|| - 1)^2 = 16 at every interpolate; lambda 4; the kind's extra term 0.5
    torch.testing.assert_close(penalised.total, -gap + 0.5 + 4.0 * 16.0)
    torch.testing.assert_close(penalised.stats["penalty"], torch.tensor(16.0))
    torch.testing.assert_close(penalised.stats["grad_norm"], torch.tensor(5.0))
    torch.testing.assert_close(penalised.stats["critic_loss"], -gap.detach())
    with pytest.raises(ValueError, match="needs critic"):
        critic_objective(
            real_scores, fake_scores, loss=wasserstein_critic_loss, lipschitz=_Penalty()
        )
