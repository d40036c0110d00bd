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
from wgan.errors import UserError
from wgan.evaluation.common import critic_classes
from wgan.metrics.critic import critic_scores
from wgan.reporting.figures import write_report
from wgan.reporting.image_figures import ARITHMETIC_GROUPS, write_image_report
from wgan.reporting.structured import codes_markdown, write_codes_figure, write_cycle_report
from wgan.training.base import TrainerBase
from wgan.training.codes import Code
from wgan.training.cycle import CycleTrainer
from wgan.training.loop import train_until
from wgan.training.rundir import open_run, read_metrics, start_run
from wgan.training.sampling import Sampler
from wgan.training.trainer import Trainer


class Run:
    """A training run on disk: its config, models and metrics, at its current step.

    Made by `wgan.train` (a new run) or `wgan.load_run` (an existing one); the run directory
    holds config.yaml, metrics.jsonl, checkpoints/ and the report.
    """

    def __init__(self, trainer: TrainerBase) -> None:
        self._trainer = trainer

    def _sampler(self, what: str) -> Sampler:
        """The sampler of a run with a latent space (every kind but CycleGAN)."""
        if not isinstance(self._trainer, Trainer):
            raise ValueError(f"{what} needs a latent space; a CycleGAN run translates samples")
        return self._trainer.sampler

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
        return train_until(self._trainer, self.config.steps if steps is None else steps)

    @property
    def sample_shape(self) -> tuple[int, ...]:
        """The shape of one sample: (d,) for points, (C, H, W) for images."""
        return tuple(self._trainer.source.sample_shape)

    @property
    def stop_signal(self) -> int:
        """The signal that stopped the last `train` call (SIGINT or SIGTERM), 0 if none did."""
        return self._trainer.stop_signal

    @property
    def n_classes(self) -> int:
        """The classes a conditional run generates (cGAN, AC-GAN: the data's; InfoGAN: the
        categorical code's values); 0 for the other runs."""
        trainer = self._trainer
        codes = trainer.kind.codes if isinstance(trainer, Trainer) else None
        return 0 if codes is None else codes.n_classes

    def sample(
        self,
        n: int,
        *,
        seed: int | None = None,
        label: int | None = None,
        truncation: float | None = None,
    ) -> np.ndarray:
        """n generated samples as a float32 array (n, *sample_shape); images (n, C, H, W) in [-1, 1].

        `label`: the class of every sample of a cGAN or AC-GAN run, the categorical code of an
        InfoGAN run (default: drawn, with the classes' shares in the data). `truncation`: z
        drawn from the normal truncated at +-truncation (> 0; each entry beyond it drawn again),
        BigGAN's truncation trick: the smaller, the more typical and the less varied the
        samples. A CycleGAN run gives the translations G(a) of the first n held-out samples of
        domain A (at most all of them).
        """
        labels = None
        if label is not None:
            labels = torch.full((n,), self._label(label, "--label"), dtype=torch.long)
        if truncation is not None and not truncation > 0:
            raise UserError(f"the truncation must be a positive number, got {truncation}")
        if isinstance(self._trainer, CycleTrainer):  # a translation: no latent z to seed
            if truncation is not None:
                raise UserError("--truncation needs a latent space; a CycleGAN run has none")
            return self._trainer.sample(n).cpu().numpy()
        sampler = self._sampler("sample")
        return sampler.sample(n, seed=seed, labels=labels, truncation=truncation).cpu().numpy()

    def _label(self, label: int, what: str) -> int:
        """`label`, checked to be a class (or categorical code) of this run; `what` names the
        option in the error."""
        if not self.n_classes:
            raise UserError(
                f"{what} is for runs of gan cgan, acgan or infogan (with categories); "
                f"{self.path} is a '{self.config.gan}' run"
            )
        if not 0 <= label < self.n_classes:
            raise UserError(
                f"label {label} is not a class of {self.path}; its classes are "
                f"0..{self.n_classes - 1}"
            )
        return label

    def class_grid(self, per_class: int = 10, *, seed: int = 1) -> np.ndarray:
        """Samples of every class (InfoGAN: every categorical code) with the same z and
        continuous codes across classes: (n_classes, per_class, *sample_shape)."""
        k = self.n_classes
        sampler = self._sampler("class_grid")
        z = sampler.noise(per_class, seed=seed).repeat(k, 1)
        continuous = sampler.code(per_class, seed=seed).continuous
        labels = torch.arange(k, device=z.device).repeat_interleave(per_class)
        code = Code(labels, None if continuous is None else continuous.repeat(k, 1))
        samples = sampler.generate(z, code)
        return samples.reshape(k, per_class, *samples.shape[1:]).cpu().numpy()

    def code_traversal(
        self, index: int, rows: int = 10, steps: int = 9, *, seed: int = 1
    ) -> np.ndarray:
        """An InfoGAN run's continuous code `index` swept over [-1, 1] in `steps` while z and
        the other codes stay fixed, one row each: (rows, steps, *sample_shape)."""
        sampler = self._sampler("code_traversal")
        codes = sampler.kind.codes
        if codes is None or not 0 <= index < codes.n_continuous:
            raise ValueError(f"this run has no continuous code {index}")
        z = sampler.noise(rows, seed=seed).repeat_interleave(steps, dim=0)
        code = sampler.code(rows, seed=seed).repeat_interleave(steps)
        assert code.continuous is not None
        code.continuous[:, index] = torch.linspace(-1.0, 1.0, steps, device=z.device).repeat(rows)
        samples = sampler.generate(z, code)
        return samples.reshape(rows, steps, *samples.shape[1:]).cpu().numpy()

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
        sampler = self._sampler("interpolations")
        ends = sampler.noise(2 * rows, seed=seed).double()
        a, b = ends[:rows], ends[rows:]
        cos = (a * b).sum(1, keepdim=True) / (
            a.norm(dim=1, keepdim=True) * b.norm(dim=1, keepdim=True)
        )
        omega = torch.arccos(cos.clamp(-1.0, 1.0))  # (rows, 1)
        t = torch.linspace(0.0, 1.0, steps, dtype=torch.float64, device=a.device)
        weights_a = torch.sin((1.0 - t) * omega) / torch.sin(omega)  # (rows, steps)
        weights_b = torch.sin(t * omega) / torch.sin(omega)
        z = weights_a[..., None] * a[:, None] + weights_b[..., None] * b[:, None]
        code = sampler.code(rows, seed=seed).repeat_interleave(steps)  # fixed along a row
        images = sampler.generate(z.reshape(rows * steps, -1).float(), code)
        return images.reshape(rows, steps, *images.shape[1:]).cpu().numpy()

    def latent_arithmetic(
        self, a: int, b: int, c: int, *, per_group: int = 3, rows: int = 8, seed: int = 1
    ) -> np.ndarray:
        """Vector arithmetic on the generator's inputs (Radford et al. 2016, section 6.3.2).

        Each group is the samples of one class (cGAN, AC-GAN) or categorical code value
        (InfoGAN): `per_group` inputs x = [z, codes] of that group, as the generator takes them
        (z ~ N(0, I), the one-hot label or codes appended), and their mean m. The result is the
        generator at the combination

            m_a - m_b + m_c

        which for the label part is onehot(a) - onehot(b) + onehot(c), and for z the three
        groups' mean z combined. Radford et al. average 3 samples a group, as the default here.

        Returns
        -------
        numpy.ndarray
            (rows, 4, *sample_shape) float32: per row (a fresh draw of the groups) G(m_a),
            G(m_b), G(m_c) and G(m_a - m_b + m_c).
        """
        for label in (a, b, c):
            self._label(label, "latent_arithmetic")
        if per_group < 1 or rows < 1:
            raise ValueError(f"per_group and rows must be at least 1, got {per_group}, {rows}")
        sampler = self._sampler("latent_arithmetic")
        n = rows * 3 * per_group
        groups = torch.tensor([a, b, c]).repeat_interleave(per_group).repeat(rows)  # (n,)
        code = sampler.code(n, seed=seed, labels=groups)
        inputs = sampler.kind.generator_input(sampler.noise(n, seed=seed), code)  # (n, in_dim)
        means = inputs.reshape(rows, 3, per_group, -1).mean(2)  # (rows, 3, in_dim)
        combined = means[:, 0] - means[:, 1] + means[:, 2]
        samples = sampler.decode(torch.cat([means, combined[:, None]], dim=1).flatten(0, 1))
        return samples.reshape(rows, 4, *samples.shape[1:]).cpu().numpy()

    def evaluate(self, n: int | None = None, real: np.ndarray | None = None) -> dict[str, Any]:
        """The run's metrics at its current step, as `wgan evaluate` prints them.

        Point runs: ``w1`` is the exact W1 (the optimal-transport linear program) between n
        generated and n held-out real points, ``w1_noise_floor`` the W1 between two real sets
        of that size (what a perfect generator would score; the mean over 8 pairs, with
        ``w1_noise_floor_std`` their standard deviation), ``critic_w_estimate`` is
        mean f(real) - mean f(generated) on them (on standardised points, data.standardize,
        read against ``w1_standardized``, the exact W1 of the same sets standardised; null
        otherwise), ``critic_lipschitz_bound`` an upper bound on
        the critic's Lipschitz constant (null where none exists), and ``modes_covered``,
        ``modes_total``, ``high_quality`` (share of samples within 3 standard deviations of a
        mode) are null for data without known modes; ``precision``, ``recall``, ``density`` and
        ``coverage`` judge fidelity and diversity apart, and ``protocol`` says how the numbers
        were obtained (docs/metrics.md). Image runs: ``fid``, ``kid_mean``, ``kid_std``,
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
        """f(x) for points x (n, *sample_shape), in fp32 (runs whose critic scores x alone)."""
        critic = self._trainer.sample_critic()
        if critic is None:
            raise ValueError(
                "a cGAN critic scores (x, label) and a CycleGAN run has a critic per domain; "
                "critic_scores is for the other runs"
            )
        return critic_scores(critic, x, device=self._trainer.device)

    def classify(self, x: np.ndarray) -> np.ndarray:
        """The classes (n,) int64 that a semi-supervised run's critic gives samples x
        (n, *sample_shape), images in [-1, 1] as `sample` returns them: the largest of its K
        class logits (docs/semi-supervised.md)."""
        if self.config.gan != "sgan":
            raise UserError(
                f"classify is for runs of gan sgan, whose critic classifies; {self.path} is a "
                f"'{self.config.gan}' run"
            )
        trainer = self._trainer
        samples = torch.as_tensor(np.asarray(x, dtype=np.float32), device=trainer.device)
        return critic_classes(trainer.critic, samples).cpu().numpy()

    def write_report(self) -> Path:
        """report.png and report.md in the run directory (and codes.png for a conditional run);
        returns the picture's path."""
        if isinstance(self._trainer, CycleTrainer):
            return self._write_cycle_report(self._trainer)
        n = self.config.eval.n
        real = self._trainer.holdout(n).cpu().numpy()
        records = read_metrics(self.path)
        if self.config.is_image_run:
            path = write_image_report(
                self.path,
                real=real,
                fake=self.sample(64),
                interpolations=self.interpolations(),
                arithmetic=self.latent_arithmetic(*ARITHMETIC_GROUPS)
                if self.n_classes >= len(ARITHMETIC_GROUPS)
                else None,
                config=self.config.to_dict(),
                records=records,
            )
        else:
            critic = self._trainer.sample_critic()
            path = write_report(
                self.path,
                real=real,
                fake=self.sample(len(real)),
                critic=None if critic is None else self.critic_scores,
                config=self.config.to_dict(),
                records=records,
            )
        codes = self._sampler("write_report").kind.codes
        if codes is not None:
            images = self.config.is_image_run
            traversals = [
                self.code_traversal(j, rows=10 if images else 40, steps=9 if images else 21)
                for j in range(codes.n_continuous)
            ]
            write_codes_figure(
                self.path,
                gan=self.config.gan,
                class_grid=self.class_grid(10 if images else 300),
                traversals=traversals,
            )
            with open(self.path / "report.md", "a") as report:
                report.write(codes_markdown(self.config.gan))
        return path

    def _write_cycle_report(self, trainer: CycleTrainer) -> Path:
        from wgan.data.transforms import transform_samples

        n = min(self.config.eval.n, 500)
        held = {x: trainer.domains[x].holdout(n) for x in "ab"}
        translated = {
            "b": trainer.translate(held["a"], "ab"),
            "a": trainer.translate(held["b"], "ba"),
        }
        cycled = {
            "a": trainer.translate(translated["b"], "ba"),
            "b": trainer.translate(translated["a"], "ab"),
        }
        truth = None
        if trainer.transform is not None:
            truth = {
                "b": transform_samples(trainer.transform, held["a"]),
                "a": transform_samples(trainer.transform, held["b"], inverse=True),
            }

        def arrays(tensors: dict[str, torch.Tensor]) -> dict[str, np.ndarray]:
            return {x: t.cpu().numpy() for x, t in tensors.items()}

        return write_cycle_report(
            self.path,
            held=arrays(held),
            translated=arrays(translated),
            cycled=arrays(cycled),
            truth=None if truth is None else arrays(truth),
            config=self.config.to_dict(),
            records=read_metrics(self.path),
        )


def train(
    config: Config | str | None = None,
    *,
    out: str | Path | None = None,
    overwrite: bool = False,
    resume: bool = False,
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
    resume : bool
        If `out` holds a run of this same config, continue it from its newest checkpoint (a run
        of another config there is a `UserError`).
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
        start_run(
            config,
            Path(out or Path("runs") / config.name),
            overwrite=overwrite,
            resume=resume,
            quiet=quiet,
        )
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

    if run.config.data.stack != 1:
        raise UserError(
            "a stacked run (data.stack) is evaluated on stacks of its own held-out images; "
            "leave out --data"
        )
    channels, resolution, _ = run.sample_shape
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
