"""The Python face of wgan: start or open a run, train it, sample from it, evaluate it.

>>> import wgan
>>> run = wgan.train(wgan.Config.from_preset(steps=200), out="runs/quick")  # doctest: +SKIP
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
from wgan.viz import read_metrics, write_image_report, write_report


class Run:
    """A training run on disk: its config, models and metrics, at its current step.

    Made by `wgan.train` (a new run) or `wgan.load_run` (an existing one); the run directory
    holds config.yaml, metrics.jsonl, checkpoints/ and the report.
    """

    def __init__(self, trainer: Trainer) -> None:
        self._trainer = trainer

    @property
    def path(self) -> Path:
        """The run directory."""
        return self._trainer.run_dir

    @property
    def config(self) -> Config:
        """The run's resolved config (as in config.yaml)."""
        return self._trainer.config

    @property
    def step(self) -> int:
        """Generator steps trained so far."""
        return self._trainer.step

    def train(self, steps: int | None = None) -> bool:
        """Train on to a total of `steps` generator steps, as `wgan resume --steps` does.

        Each generator step follows ``config.n_critic`` critic steps. Metrics go to
        metrics.jsonl every ``log.every`` steps, evaluations every ``eval.every``, checkpoints
        every ``checkpoint.every`` and at the end.

        Parameters
        ----------
        steps : int, optional
            The total to reach (not additional steps); default ``config.steps``.

        Returns
        -------
        bool
            True when `steps` was reached; False when Ctrl-C or SIGTERM stopped training (a
            checkpoint is saved first; `stop_signal` says which).
        """
        return self._trainer.train(self.config.steps if steps is None else steps)

    @property
    def stop_signal(self) -> int:
        """The signal that stopped the last `train` call (SIGINT or SIGTERM), 0 if none did."""
        return self._trainer.stop_signal

    def sample(self, n: int, *, seed: int | None = None) -> np.ndarray:
        """Generated samples x = G(z), z ~ N(0, I), from the generator in eval mode.

        The generator is the EMA copy when ``ema_decay`` is set.

        Parameters
        ----------
        n : int
            Number of samples.
        seed : int, optional
            Seeds z. Default: the run's fixed evaluation z, the same at every step (so samples
            of successive steps are comparable).

        Returns
        -------
        numpy.ndarray
            float32, (n, d) for point runs; (n, C, H, W) in [-1, 1] for image runs.
        """
        return self._trainer.sample(n, seed=seed).cpu().numpy()

    def interpolations(self, rows: int = 8, steps: int = 10, *, seed: int = 1) -> np.ndarray:
        """Samples along spherical paths between pairs of latent vectors.

        z(t) = sin((1 - t) omega) / sin(omega) a + sin(t omega) / sin(omega) b with
        cos(omega) = a.b / (|a| |b|), t in [0, 1]: slerp keeps the path at the typical norm of
        z ~ N(0, I), where a straight line would pass through the unlikely region near 0.

        Returns
        -------
        numpy.ndarray
            (rows, steps, *sample_shape) float32.
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
        """The run's metrics at its current step, as `wgan evaluate` prints them.

        Point runs: ``w1`` is the exact W1 (the optimal-transport linear program) between n
        generated and n held-out real points, ``w1_noise_floor`` the W1 between two real sets
        of that size (what a perfect generator would score), ``critic_w_estimate`` is
        mean f(real) - mean f(generated) on them, and ``modes_covered``, ``modes_total``,
        ``high_quality`` (share of samples within 3 standard deviations of a mode) are null
        for data without known modes. Image runs: ``fid``, ``kid_mean``, ``kid_std``,
        ``feature_extractor`` and more (docs/images.md).

        Parameters
        ----------
        n : int, optional
            Samples per side; default ``config.eval.n``.
        real : numpy.ndarray, optional
            Real samples to compare with, (m, d) or, for images, (m, C, H, W) in [-1, 1] at
            the run's shape (see `load_real_images`): the first n are the reference, the next
            n the noise floor's. Default: the run's held-out data.

        Returns
        -------
        dict
            The keys above and ``step``.
        """
        return self._trainer.evaluate(n, real=None if real is None else torch.as_tensor(real))

    def metrics(self, kind: str | None = None) -> list[dict[str, Any]]:
        """The records of the run's metrics.jsonl, oldest first.

        Parameters
        ----------
        kind : {"train", "eval", "rollback"}, optional
            Keep only the records of this kind; default: all.

        Returns
        -------
        list of dict
            Each record has ``kind`` and ``step``. Train lines hold averages over the steps
            since the previous line: ``critic_w_estimate`` (mean f(x) - mean f(G(z)) on the
            training batches), ``critic_loss``, ``generator_loss``, ``penalty`` and ``grad_norm``
            (gradient-penalty runs) and ``steps_per_s``; evaluations hold the keys of
            `evaluate`.
        """
        return [r for r in read_metrics(self.path) if kind is None or r["kind"] == kind]

    def critic_scores(self, x: np.ndarray) -> np.ndarray:
        """The critic's scores f(x) (n,) for samples x (n, *sample_shape), in fp32."""
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
    """Train a new run to ``config.steps`` generator steps and write its report.

    Parameters
    ----------
    config : Config or str, optional
        A `Config`, a preset name or a YAML path; default: the default preset.
    out : str or Path, optional
        The run directory; default ``runs/<config.name>``.
    overwrite : bool
        Replace a run already in `out` (otherwise that is a `UserError`).
    quiet : bool
        No progress bar.

    Returns
    -------
    Run
        The trained run (stopped early, with a checkpoint, if Ctrl-C or SIGTERM came).
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

    Parameters
    ----------
    path : str or Path
        The run directory (it holds config.yaml).
    quiet : bool
        No progress bar when the run trains on.
    inception_weights : str or Path, optional
        Evaluate image runs with Inception-v3 features from this weights file.

    Returns
    -------
    Run
        At the checkpoint's step; ``run.train(steps)`` continues it exactly.
    """
    weights = None if inception_weights is None else str(inception_weights)
    return Run(open_run(Path(path), quiet=quiet, inception_weights=weights))
