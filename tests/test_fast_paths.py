"""The speed options change how a step runs, not what it computes."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from conftest import tiny_config, tiny_image_config
from wgan.config import Config
from wgan.data import sources
from wgan.data.sources import build_source
from wgan.errors import UserError
from wgan.training import trainer as trainer_module
from wgan.training.trainer import Trainer


def _weights(trainer: Trainer) -> list[torch.Tensor]:
    return [*trainer.generator.state_dict().values(), *trainer.critic.state_dict().values()]


def test_compiled_steps_compute_the_eager_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The "eager" backend runs dynamo's captured graphs as they are: what compile changes in
    # the step (which passes go through the compiled modules) without inductor's minutes.
    monkeypatch.setattr(trainer_module, "COMPILE_BACKEND", "eager")
    torch._dynamo.reset()
    config = tiny_config(model={"critic_width": 16, "generator_width": 16})
    eager = Trainer(config, tmp_path / "eager", quiet=True)
    compiled = Trainer(config.model_copy(update={"compile": True}), tmp_path / "c", quiet=True)
    # the first-order passes go through compile
    assert compiled._generator is not compiled.generator
    assert hasattr(compiled._critic_call, "_torchdynamo_orig_callable")
    for _ in range(2):
        eager.train_step()
        compiled.train_step()
    for a, b in zip(_weights(eager), _weights(compiled), strict=True):
        assert torch.equal(a, b)
    torch._dynamo.reset()


def test_channels_last_gives_the_same_gradients(tmp_path: Path) -> None:
    config = tiny_image_config(model={"arch": "dcgan", "critic_width": 8, "generator_width": 8})
    plain = Trainer(config, tmp_path / "a", quiet=True)
    nhwc = Trainer(config.model_copy(update={"channels_last": True}), tmp_path / "b", quiet=True)
    conv = next(m for m in nhwc.critic.modules() if isinstance(m, torch.nn.Conv2d))
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    for trainer in (plain, nhwc):
        trainer.critic_step()
    for a, b in zip(plain.critic.parameters(), nhwc.critic.parameters(), strict=True):
        torch.testing.assert_close(a.grad, b.grad)  # other kernels: equal to float rounding


def test_channels_last_is_refused_for_point_data() -> None:
    with pytest.raises(UserError, match="channels_last"):
        tiny_config(channels_last=True)


def _batches(config: Config, n: int) -> list[torch.Tensor]:
    source = build_source(config, torch.device("cpu"))
    generator = torch.Generator().manual_seed(0)
    return [source.batch(8, generator) for _ in range(n)]


def test_resident_images_give_the_converted_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    config = tiny_image_config(data={"name": "digits", "resolution": 12})  # resized: 8 -> 12
    resident = _batches(config, 5)
    assert build_source(config, torch.device("cpu")).resident is not None
    monkeypatch.setattr(sources, "RESIDENT_IMAGE_BYTES", 0)  # too big: converted per batch
    assert build_source(config, torch.device("cpu")).resident is None
    for a, b in zip(resident, _batches(config, 5), strict=True):
        assert torch.equal(a, b)
    assert len({float(b.sum()) for b in resident}) == 5  # the batches do differ


def test_bf16_keeps_weights_optimizer_state_and_losses_in_fp32(tmp_path: Path) -> None:
    trainer = Trainer(tiny_config(precision="bf16"), tmp_path, quiet=True)
    stats = trainer.critic_step() | trainer.generator_step()
    assert all(v.dtype == torch.float32 for v in stats.values())
    for model in (trainer.generator, trainer.critic):
        assert all(p.dtype == torch.float32 for p in model.parameters())
        assert all(p.grad is None or p.grad.dtype == torch.float32 for p in model.parameters())
    for opt in (trainer.g_opt, trainer.d_opt):
        for state in opt.state.values():
            assert all(v.dtype == torch.float32 for k, v in state.items() if k != "step")
