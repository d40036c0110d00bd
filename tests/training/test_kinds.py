"""The GAN kinds: chosen once from the config, one critic call signature for all, each kind's own
loss terms against their formulas, and the frozen critic of the generator step."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from conftest import tiny_config
from wgan import losses
from wgan.data.sources import build_source
from wgan.training.base import frozen
from wgan.training.codes import Code
from wgan.training.kinds import ACGAN, CGAN, KINDS, SGAN, InfoGAN, Unconditional, make_kind
from wgan.training.trainer import Trainer

CPU = torch.device("cpu")
FIELDS = {
    "unconditional": {},
    "cgan": {"gan": "cgan"},
    "acgan": {"gan": "acgan"},
    "infogan": {"gan": "infogan", "infogan": {"categories": 4, "continuous": 2}},
}


def _kind(gan: str) -> Unconditional:
    config = tiny_config(**FIELDS[gan])
    return make_kind(config, build_source(config, CPU))


def test_every_gan_of_one_critic_has_a_kind_and_only_those() -> None:
    # sgan needs a finite labelled training split: tests/training/test_sgan.py
    assert set(KINDS) == {*FIELDS, "sgan"}
    assert KINDS["sgan"] is SGAN
    types = {gan: type(_kind(gan)) for gan in FIELDS}
    assert types == {
        "unconditional": Unconditional,
        "cgan": CGAN,
        "acgan": ACGAN,
        "infogan": InfoGAN,
    }


@pytest.mark.parametrize("gan", list(FIELDS))
def test_one_critic_call_signature_for_every_kind(gan: str) -> None:
    kind = _kind(gan)
    generator, critic = kind.models((2,))
    code = kind.draw_code(6, torch.Generator().manual_seed(0))
    z = torch.randn(6, tiny_config().model.latent_dim)
    x = generator(kind.generator_input(z, code))
    scores, auxiliary = kind.critic_call(critic)(x, code.labels)
    assert scores.shape == (6, 1)
    width = {"unconditional": None, "cgan": None, "acgan": 8, "infogan": 4 + 2}[gan]
    assert (auxiliary is None) == (width is None)
    if auxiliary is not None:
        assert auxiliary.shape == (6, width)
    # The penalty differentiates f(., y) of the same labels, with samples alone as input.
    penalised = kind.penalty_critic(critic, code.labels)(x)
    torch.testing.assert_close(penalised, scores)


def test_acgan_terms_are_the_weighted_class_losses() -> None:
    kind = _kind("acgan")
    real_out, fake_out = torch.randn(5, 8), torch.randn(5, 8)
    labels = torch.tensor([0, 3, 7, 1, 1])
    term, stats = kind.critic_terms(real_out, fake_out, Code(labels, None))
    expected = losses.auxiliary_classifier_loss(
        real_out, labels
    ) + losses.auxiliary_classifier_loss(fake_out, labels)
    assert term is not None
    torch.testing.assert_close(term, kind.config.acgan.class_weight * expected)
    assert set(stats) == {"class_loss_real", "class_loss_fake"}
    term, stats = kind.generator_terms(fake_out, Code(labels, None))
    assert term is not None and set(stats) == {"generator_class_loss"}


def test_infogan_term_is_minus_lambda_times_the_bound() -> None:
    kind = _kind("infogan")
    q = torch.randn(5, 6)
    code = Code(torch.tensor([0, 1, 2, 3, 0]), torch.rand(5, 2) * 2 - 1)
    term, stats = kind.critic_terms(None, q, code)
    loss = losses.mutual_information_loss(q[:, :4], q[:, 4:], code.labels, code.continuous)
    assert term is not None
    torch.testing.assert_close(term, kind.config.infogan.weight * loss)
    torch.testing.assert_close(stats["mi_lower_bound"], -loss)


def test_frozen_releases_the_critic_also_when_the_step_fails() -> None:
    critic = torch.nn.Linear(2, 1)
    with pytest.raises(RuntimeError), frozen(critic):
        assert not any(p.requires_grad for p in critic.parameters())
        raise RuntimeError("a failing generator step")
    assert all(p.requires_grad for p in critic.parameters())


def test_logged_critic_statistics_average_the_n_critic_steps(tmp_path: Path) -> None:
    trainer = Trainer(tiny_config(n_critic=3), tmp_path, quiet=True)
    seen: list[dict[str, torch.Tensor]] = []
    step = trainer.critic_step

    def recorded() -> dict[str, torch.Tensor]:
        seen.append(step())
        return seen[-1]

    trainer.critic_step = recorded  # type: ignore[method-assign]
    trainer.train_step()
    assert len(seen) == 3 and trainer.count == 1
    for key in ("critic_loss", "critic_w_estimate", "penalty", "grad_norm"):
        mean = torch.stack([s[key] for s in seen]).mean()
        torch.testing.assert_close(trainer.sums[key], mean)
        assert not torch.equal(trainer.sums[key], seen[-1][key])  # not the last step's alone
