"""BigGAN runs end to end on a tiny digits config: orthogonal regularisation in the generator's
step, `wgan sample --truncation`, `Run.latent_arithmetic` and its report panel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from conftest import tiny_image_config
from wgan.api import Run, load_run
from wgan.cli import main
from wgan.config import Config, load_config
from wgan.errors import UserError
from wgan.reporting import image_figures
from wgan.training.rundir import make_trainer, start_run

BIGGAN: dict[str, Any] = {
    "gan": "cgan",
    "loss": "hinge",
    "lipschitz": {"method": "sn"},
    "model": {"arch": "biggan", "latent_dim": 9, "generator_width": 4, "critic_width": 4},
    "stabilizers": {"orthogonal_reg": 1e-4},
}


def _config(**fields: Any) -> Config:
    return tiny_image_config(**{**BIGGAN, **fields})


def test_presets_are_biggan_configs() -> None:
    digits = load_config("digits-biggan")
    cifar = load_config("cifar10-biggan", data={"path": "cifar-10-batches-py"})
    for config in (digits, cifar):
        assert (config.model.arch, config.gan) == ("biggan", "cgan")
        assert config.cgan.critic == "projection"
        assert (config.loss, config.lipschitz.method) == ("hinge", "sn")
        assert config.stabilizers.orthogonal_reg == 1e-4 and config.optimizer.betas == (0.0, 0.999)
    assert (cifar.batch_size, cifar.n_critic, cifar.optimizer.lr_generator) == (50, 4, 2e-4)
    with pytest.raises(UserError, match="is for images"):
        load_config(None, model={"arch": "biggan"})


def test_orthogonal_regularisation_enters_the_generator_step(tmp_path: Path) -> None:
    def generator_after_one_step(beta: float) -> list[torch.Tensor]:
        config = _config(stabilizers={"orthogonal_reg": beta}, n_critic=1)
        trainer = make_trainer(config, tmp_path / f"beta-{beta}", quiet=True)
        trainer.generator_step()
        return [p.detach().clone() for p in trainer.generator.parameters()]

    plain, regularised = generator_after_one_step(0.0), generator_after_one_step(10.0)
    assert any(not torch.equal(a, b) for a, b in zip(plain, regularised, strict=True))


@pytest.mark.usefixtures("fast_classifier")
def test_sample_with_truncation_from_the_cli(tmp_path: Path) -> None:
    out = tmp_path / "run"
    Run(start_run(_config(steps=2), out, quiet=True)).train()
    samples = {}
    for truncation in ("0.1", "3"):
        path = tmp_path / f"t{truncation}.npy"
        args = ["sample", str(out), "-n", "64", "-o", str(path), "--label", "3", "--seed", "5"]
        assert main([*args, "--truncation", truncation]) == 0
        samples[truncation] = np.load(path)
        assert samples[truncation].shape == (64, 1, 8, 8)
    assert main(["sample", str(out), "-n", "4", "-o", str(tmp_path / "t.png"),
                 "--truncation", "0.5"]) == 0  # fmt: skip
    # A tighter truncation makes the samples of one label more alike.
    assert samples["0.1"].std(0).mean() < samples["3"].std(0).mean()
    assert main(["sample", str(out), "-n", "4", "-o", str(tmp_path / "bad.npy"),
                 "--truncation", "0"]) == 2  # fmt: skip
    assert not (tmp_path / "bad.npy").exists()
    # Latent arithmetic from the command line: the rows of Run.latent_arithmetic.
    rows = tmp_path / "arithmetic.npy"
    assert main(["sample", str(out), "-n", "2", "-o", str(rows), "--seed", "3",
                 "--arithmetic", "2,5,7"]) == 0  # fmt: skip
    expected = load_run(out).latent_arithmetic(2, 5, 7, rows=2, seed=3)
    assert np.array_equal(np.load(rows), expected) and expected.shape == (2, 4, 1, 8, 8)
    grid = tmp_path / "arithmetic.png"
    assert main(["sample", str(out), "-n", "2", "-o", str(grid), "--arithmetic", "2,5,7"]) == 0
    assert grid.stat().st_size > 0
    with pytest.raises(SystemExit):  # argparse: three groups or none
        main(["sample", str(out), "-n", "2", "-o", str(rows), "--arithmetic", "2,5"])
    assert main(["sample", str(out), "-n", "2", "-o", str(rows), "--arithmetic", "2,5,7",
                 "--label", "1"]) == 2  # fmt: skip


def test_latent_arithmetic_combines_the_groups_mean_inputs(tmp_path: Path) -> None:
    run = Run(make_trainer(_config(), tmp_path, quiet=True))
    result = run.latent_arithmetic(2, 5, 7, per_group=3, rows=2, seed=4)
    assert result.shape == (2, 4, 1, 8, 8)
    # By hand: 3 inputs [z, onehot(label)] a group, z from the seed's stream, groups a, b, c in
    # turn in each row; the mean of each group, then m_a - m_b + m_c.
    sampler = run._trainer.sampler  # type: ignore[attr-defined]
    z = sampler.noise(18, seed=4).reshape(2, 3, 3, 9)
    onehots = torch.eye(10)[[2, 5, 7]]  # (3, 10)
    means = torch.cat([z.mean(2), onehots.expand(2, 3, 10)], dim=2)  # (rows, 3, 19)
    combined = means[:, 0] - means[:, 1] + means[:, 2]
    assert torch.equal(combined[0, 9:], torch.eye(10)[2] - torch.eye(10)[5] + torch.eye(10)[7])
    expected = sampler.decode(torch.cat([means, combined[:, None]], dim=1).flatten(0, 1))
    np.testing.assert_allclose(result.reshape(8, 1, 8, 8), expected.numpy(), atol=1e-6)
    # The combination differs from any one group's mean.
    assert not np.allclose(result[:, 3], result[:, 0])
    with pytest.raises(UserError, match="label 10 is not a class"):
        run.latent_arithmetic(0, 1, 10)


def test_latent_arithmetic_of_infogan_codes_and_without_groups(tmp_path: Path) -> None:
    config = tiny_image_config(gan="infogan", infogan={"categories": 3, "continuous": 2})
    info = Run(make_trainer(config, tmp_path / "info", quiet=True))
    grid = info.latent_arithmetic(0, 1, 2, per_group=2, rows=3)
    assert grid.shape == (3, 4, 1, 8, 8) and np.isfinite(grid).all()
    plain = Run(make_trainer(tiny_image_config(), tmp_path / "plain", quiet=True))
    with pytest.raises(UserError, match="latent_arithmetic is for runs of gan cgan"):
        plain.latent_arithmetic(0, 1, 2)


@pytest.mark.usefixtures("fast_classifier")
def test_report_shows_the_latent_arithmetic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: dict[str, np.ndarray] = {}
    draw = image_figures._show_grid

    def record(ax: Any, grid: np.ndarray, title: str) -> None:
        shown[title] = grid
        draw(ax, grid, title)

    monkeypatch.setattr(image_figures, "_show_grid", record)
    run = Run(start_run(_config(steps=2), tmp_path / "run", quiet=True))
    run.train()
    path = run.write_report()
    assert path.stat().st_size > 20_000
    (title,) = [t for t in shown if t.startswith("latent arithmetic")]
    assert "G(m_0 - m_1 + m_2)" in title
    assert shown[title].shape == (8 * 9 + 1, 4 * 9 + 1, 3)  # 8 rows of 4 images 8x8, padded
    shown.clear()
    plain = Run(start_run(tiny_image_config(steps=2), tmp_path / "plain", quiet=True))
    plain.train()
    plain.write_report()
    assert shown and not any(t.startswith("latent arithmetic") for t in shown)
