"""The fast step computes what the plain reference computes (benchmarks/reference_wgan_gp.py).

Same initial weights, same real batches, z and eps: wgan's fp32 critic and generator steps (one
real/fake pass, masked activations, fused Adam, no generator graph, frozen critic) and the
reference's (three critic passes, torch's ReLUs, the default Adam) give the same losses and
gradients, to float32's default tolerances (rtol 1.3e-6, atol 1e-5). Weights after an Adam step
are not compared there: Adam's first steps are about lr * sign(gradient), so a gradient that is
0 in one and 1e-9 in the other (a dead unit, rounding) moves a weight by lr in one only. The
fused Adam is compared with the default on the same gradients instead.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from conftest import benchmark_script, tiny_config, tiny_image_config
from wgan import losses
from wgan.config import Config
from wgan.training.trainer import Trainer

reference = benchmark_script("reference_wgan_gp")
GP = {"method": "gp", "gp_lambda": 10.0}  # a large lambda: the penalty weighs in the gradients


def _config(arch: str) -> Config:
    if arch == "mlp":
        return tiny_config(lipschitz=GP, optimizer={"betas": (0.5, 0.9)})
    return tiny_image_config(lipschitz=GP, model={"arch": arch, "critic_norm": "none"})


def _recording(fn: Callable[..., Any], keep: Callable[..., Any], log: list[Any]) -> Any:
    """fn, also appending keep(result, *args, **kwargs) to log at each call."""

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        result = fn(*args, **kwargs)
        log.append(keep(result, *args, **kwargs))
        return result

    return wrapped


def _same_gradients(a: nn.Module, b: nn.Module) -> None:
    for (name, x), y in zip(a.named_parameters(), b.parameters(), strict=True):
        torch.testing.assert_close(x.grad, y.grad, msg=lambda m, name=name: f"{name}: {m}")


@pytest.mark.parametrize("arch", ["mlp", "dcgan", "resnet"])
def test_fast_step_equals_reference_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, arch: str
) -> None:
    config = _config(arch)
    assert config.precision == "fp32" and config.optimizer.name == "adam"
    trainer = Trainer(config, tmp_path, quiet=True)
    plain = reference.ReferenceWGANGP(
        copy.deepcopy(trainer.generator),
        copy.deepcopy(trainer.critic),
        config=config,
        device=torch.device("cpu"),
    )
    assert trainer.d_opt.defaults["fused"] and not plain.d_opt.defaults["fused"]
    reals: list[torch.Tensor] = []
    zs: list[torch.Tensor] = []
    epss: list[torch.Tensor] = []
    monkeypatch.setattr(
        trainer.source, "batch", _recording(trainer.source.batch, lambda r, *a, **k: r, reals)
    )
    monkeypatch.setattr(trainer, "_generator", _recording(trainer._generator, lambda r, z: z, zs))
    monkeypatch.setattr(
        losses,
        "gradient_penalty",
        _recording(losses.gradient_penalty, lambda r, *a, **k: k["eps"], epss),
    )
    lam = config.lipschitz.gp_lambda
    for _ in range(2):  # the second step starts from updated weights
        fast = trainer.critic_step()
        slow = plain.critic_step(reals[-1], zs[-1], epss[-1])
        torch.testing.assert_close(
            fast["critic_loss"] + lam * fast["penalty"], torch.tensor(slow["critic_loss"])
        )
        torch.testing.assert_close(fast["penalty"], torch.tensor(slow["penalty"]))
        torch.testing.assert_close(
            fast["critic_w_estimate"], torch.tensor(slow["critic_w_estimate"])
        )
        _same_gradients(trainer.critic, plain.critic)
        plain.critic.load_state_dict(trainer.critic.state_dict())  # see the module docstring
    fast = trainer.generator_step()
    slow = plain.generator_step(zs[-1])
    torch.testing.assert_close(fast["generator_loss"], torch.tensor(slow["generator_loss"]))
    _same_gradients(trainer.generator, plain.generator)
    for x, y in zip(trainer.critic.parameters(), plain.critic.parameters(), strict=True):
        assert torch.equal(x, y)  # the generator step leaves the critic alone


def test_fused_adam_steps_like_the_default_adam() -> None:
    torch.manual_seed(0)
    params = [torch.randn(300), torch.randn(20, 30)]
    fused = [p.clone().requires_grad_(True) for p in params]
    plain = [p.clone().requires_grad_(True) for p in params]
    opts = [
        torch.optim.Adam(fused, lr=1e-3, betas=(0.5, 0.9), fused=True),
        torch.optim.Adam(plain, lr=1e-3, betas=(0.5, 0.9)),
    ]
    for _ in range(5):
        grads = [torch.randn_like(p) for p in params]
        for group, opt in zip((fused, plain), opts, strict=True):
            for p, g in zip(group, grads, strict=True):
                p.grad = g.clone()
            opt.step()
    for a, b in zip(fused, plain, strict=True):
        torch.testing.assert_close(a, b)
