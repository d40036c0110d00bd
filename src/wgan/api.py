"""The Python face of wgan: start or open a run, train it, sample from it, evaluate it.

>>> import wgan
>>> run = wgan.train(wgan.load_config(steps=200), out="runs/quick")  # doctest: +SKIP
>>> run.evaluate()["w1"]  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from wgan import distributed
from wgan.config import Config, load_config
from wgan.train import Trainer, open_run, start_run
from wgan.viz import write_image_report, write_report


class Run:
    """A training run on disk: its config, models and metrics, at its current step."""

    def __init__(self, trainer: Trainer) -> None:
        self._trainer = trainer

    @property
    def path(self) -> Path:
        return self._trainer.run_dir

    @property
    def config(self) -> Config:
        return self._trainer.config

    @property
    def step(self) -> int:
        return self._trainer.step

    def train(self, steps: int | None = None) -> bool:
        """Train until generator step `steps` (default: the config's). False if stopped by Ctrl-C
        or SIGTERM (after saving a checkpoint)."""
        return self._trainer.train(self.config.steps if steps is None else steps)

    @property
    def stop_signal(self) -> int:
        """The signal that stopped the last `train` call (SIGINT or SIGTERM), 0 if none did."""
        return self._trainer.stop_signal

    def sample(self, n: int, *, seed: int | None = None) -> np.ndarray:
        """n generated samples as a float32 array (n, *sample_shape); images (n, C, H, W) in [-1, 1]."""
        return self._trainer.sample(n, seed=seed).cpu().numpy()

    def interpolations(self, rows: int = 8, steps: int = 10, *, seed: int = 1) -> np.ndarray:
        """Samples along spherical paths between pairs of latent vectors: (rows, steps, *shape).

        slerp keeps the path at the typical norm of z ~ N(0, I), where a straight line would
        pass through the unlikely region near 0.
        """
        ends = self._trainer.eval_noise(2 * rows, seed=seed).double()
        a, b = ends[:rows], ends[rows:]
        cos = (a * b).sum(1, keepdim=True) / (
            a.norm(dim=1, keepdim=True) * b.norm(dim=1, keepdim=True)
        )
        omega = torch.arccos(cos.clamp(-1.0, 1.0))  # (rows, 1)
        t = torch.linspace(0.0, 1.0, steps, dtype=torch.float64, device=a.device)
        weights_a = torch.sin((1.0 - t) * omega) / torch.sin(omega)  # (rows, steps)
        weights_b = torch.sin(t * omega) / torch.sin(omega)
        z = weights_a[..., None] * a[:, None] + weights_b[..., None] * b[:, None]
        images = self._trainer.generate(z.reshape(rows * steps, -1).float())
        return images.reshape(rows, steps, *images.shape[1:]).cpu().numpy()

    def evaluate(self, n: int | None = None, real: np.ndarray | None = None) -> dict[str, Any]:
        """The DESIGN.md evaluation keys; against `real` samples when given, else held-out data.

        Image runs: `real` is (m, C, H, W) in [-1, 1] at the run's shape (see `load_real_images`).
        """
        return self._trainer.evaluate(n, real=None if real is None else torch.as_tensor(real))

    def critic_scores(self, x: np.ndarray) -> np.ndarray:
        """f(x) for points x (n, *sample_shape), in fp32."""
        critic = self._trainer.critic
        was_training = critic.training
        critic.eval()  # eval mode: a spectral norm's power iteration must not advance here
        try:
            with torch.no_grad():
                inputs = torch.as_tensor(x, dtype=torch.float32, device=self._trainer.device)
                return critic(inputs).float().squeeze(-1).cpu().numpy()
        finally:
            critic.train(was_training)

    def write_report(self) -> Path:
        """report.png and report.md in the run directory; returns the picture's path."""
        n = self.config.eval.n
        real = self._trainer.source.holdout(n).cpu().numpy()
        if self.config.is_image_run:
            return write_image_report(
                self.path,
                real=real,
                fake=self.sample(64),
                interpolations=self.interpolations(),
                config=self.config.to_dict(),
            )
        return write_report(
            self.path,
            real=real,
            fake=self.sample(len(real)),
            critic=self.critic_scores,
            config=self.config.to_dict(),
        )


def train(
    config: Config | str | None = None,
    *,
    out: str | Path | None = None,
    overwrite: bool = False,
    quiet: bool = True,
) -> Run:
    """Train a new run to `config.steps` and write its report.

    `config` is a Config, a preset name or a YAML path (default: the default preset). The run lives
    in `out` (default: runs/<config name>).
    """
    if not isinstance(config, Config):
        config = load_config(config)
    run = Run(
        start_run(config, Path(out or Path("runs") / config.name), overwrite=overwrite, quiet=quiet)
    )
    if run.train() and distributed.is_main():
        run.write_report()
    return run


def load_real_images(run: Run, path: str | Path, n: int) -> np.ndarray:
    """Up to n images from image data at `path`, at the run's resolution and channels.

    The data's held-out split first (MNIST t10k, CIFAR-10 test_batch), then its training images:
    (m, C, H, W) float32 in [-1, 1].
    """
    from wgan.data.images import load_image_data, to_unit_range

    channels, resolution, _ = run._trainer.source.sample_shape
    data = load_image_data(path, resolution=resolution, channels=channels)
    parts, left = [], n
    for images in (data.test, data.train):
        if images is None or left <= 0:
            continue
        index = np.arange(min(left, len(images)))
        parts.append(to_unit_range(images, index, channels=channels, resolution=resolution))
        left -= len(index)
    return torch.cat(parts).numpy()


def load_run(
    path: str | Path, *, quiet: bool = True, inception_weights: str | Path | None = None
) -> Run:
    """Open an existing run at its newest readable checkpoint.

    `inception_weights`: evaluate image runs with Inception-v3 features from this file.
    """
    weights = None if inception_weights is None else str(inception_weights)
    return Run(open_run(Path(path), quiet=quiet, inception_weights=weights))
