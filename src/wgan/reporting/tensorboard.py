"""Loggers that receive every record written to metrics.jsonl, which stays the source of truth.

`log.logger: tensorboard` (the `tensorboard` extra) also writes TensorBoard event files to
RUN_DIR/tensorboard/:

- scalars: every number of a train line as ``train/<key>`` (critic_w_estimate, critic_loss,
  generator_loss, penalty, grad_norm, steps_per_s) and of an evaluation as ``eval/<key>`` (w1,
  w1_noise_floor, critic_w_estimate, precision, recall, density, coverage, modes_covered,
  high_quality; fid, kid_mean, ... for images), with custom-scalars charts that draw the critic's
  W estimate beside the exact W1, and precision, recall, density and coverage together;
- at each evaluation, ``samples``: a grid of the fixed-z images, or generated points over held-out
  ones (with the critic's level sets for 2-D data);
- at each train line, histograms ``critic_grad_norm/{real,generated,interpolates}`` of the
  critic's input-gradient norms ||grad_x f(x)|| at held-out real points, generated points and
  random interpolates between them (where the gradient penalty acts), the critic in eval mode.

Nothing here draws from the training random streams, so a run logs the same numbers to
metrics.jsonl with and without TensorBoard. A resumed run, or one rolled back after a NaN, hides
the events written after the step it continues from (SummaryWriter's `purge_step`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import torch
from torch import Tensor, nn

from wgan import distributed
from wgan.errors import UserError
from wgan.lipschitz import interpolate
from wgan.metrics.critic import critic_scores, input_gradient_norms

if TYPE_CHECKING:
    from torch.utils.tensorboard import SummaryWriter

    from wgan.config import Config


class LoggedRun(Protocol):
    """What the logger reads of a training run (a trainer of `wgan.training`)."""

    config: Config
    run_dir: Path
    step: int
    device: torch.device

    def holdout(self, n: int) -> Tensor:
        """The first n held-out real samples."""

    def sample(self, n: int) -> Tensor:
        """n samples of the fixed evaluation z."""

    def sample_critic(self) -> nn.Module | None:
        """The critic as a function of samples alone (None where it takes more: cGAN, CycleGAN)."""


RecordSink = Callable[[dict[str, Any]], None]

TENSORBOARD_DIR = "tensorboard"
HISTOGRAM_SAMPLES = 256  # points per gradient-norm histogram (fewer if the batch is smaller)
SCATTER_SAMPLES = 1000  # points of each kind in the samples figure of a point run
_FLUSH_SECS = 5  # how stale a live `tensorboard --logdir` view may get
_INTERPOLATION_STREAM = 5_000_011  # seeds the fixed interpolation weights of the histograms


def summary_writer_class() -> type[SummaryWriter]:
    """torch's SummaryWriter; a UserError naming the extra when tensorboard is not installed."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise UserError(
            "log.logger 'tensorboard' needs the tensorboard package: "
            "pip install 'wgan[tensorboard]' (or set log.logger=jsonl)"
        ) from None
    return SummaryWriter


def check_logger(name: str) -> None:
    """Raise a UserError now, before a run touches the disk, if logger `name` cannot work."""
    if name == "tensorboard":
        summary_writer_class()


def _ignore(record: dict[str, Any]) -> None:
    pass


@contextmanager
def open_logger(trainer: LoggedRun) -> Iterator[RecordSink]:
    """The logger of the trainer's config for one call of the training loop: a function of a record.

    Rank 0 alone logs; elsewhere, and for `log.logger: jsonl`, the function does nothing.
    """
    if trainer.config.log.logger != "tensorboard" or not distributed.is_main():
        yield _ignore
        return
    logger = TensorBoardLogger(trainer)
    try:
        yield logger
    finally:
        logger.close()


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class TensorBoardLogger:
    """Writes a trainer's records, samples and critic gradient norms as TensorBoard events."""

    def __init__(self, trainer: LoggedRun) -> None:
        self.trainer = trainer
        self.writer = self._open()

    def _open(self) -> SummaryWriter:
        step = self.trainer.step
        writer = summary_writer_class()(
            str(self.trainer.run_dir / TENSORBOARD_DIR),
            purge_step=step + 1 if step else 0,  # what a resume or rollback redoes is hidden
            flush_secs=_FLUSH_SECS,
        )
        writer.add_custom_scalars(
            {
                "W1": {
                    "critic W estimate vs exact W1": [
                        "Multiline",
                        ["train/critic_w_estimate", "eval/w1", "eval/w1_noise_floor"],
                    ]
                },
                "fidelity and diversity": {
                    "precision, recall, density, coverage": [
                        "Multiline",
                        ["eval/precision", "eval/recall", "eval/density", "eval/coverage"],
                    ]
                },
            }
        )
        return writer

    def __call__(self, record: dict[str, Any]) -> None:
        kind, step = record["kind"], record["step"]
        if kind == "rollback":  # training continues from `step`: hide what came after it
            self.writer.close()
            self.writer = self._open()
        for key, value in record.items():
            if key not in ("kind", "step") and _is_number(value):
                self.writer.add_scalar(f"{kind}/{key}", value, step)
        if kind == "train" and self.trainer.sample_critic() is not None:
            for where, norms in self._critic_gradient_norms().items():
                self.writer.add_histogram(f"critic_grad_norm/{where}", norms.cpu(), step)
        elif kind == "eval":
            self._add_samples(step)

    def close(self) -> None:
        self.writer.close()

    def _critic_gradient_norms(self) -> dict[str, Tensor]:
        trainer = self.trainer
        real = trainer.holdout(min(trainer.config.batch_size, HISTOGRAM_SAMPLES))
        real = real.to(trainer.device, torch.float32)
        fake = trainer.sample(len(real))
        stream = torch.Generator(device=trainer.device)
        stream.manual_seed(trainer.config.seed + _INTERPOLATION_STREAM)
        eps = torch.rand(len(real), generator=stream, device=trainer.device)
        critic = trainer.sample_critic()
        assert critic is not None
        was_training = critic.training
        critic.eval()  # BatchNorm statistics and spectral-norm iterations stay as they are
        try:
            with torch.enable_grad():
                return {
                    "real": input_gradient_norms(critic, real),
                    "generated": input_gradient_norms(critic, fake),
                    "interpolates": input_gradient_norms(critic, interpolate(real, fake, eps)),
                }
        finally:
            critic.train(was_training)

    def _add_samples(self, step: int) -> None:
        import matplotlib.pyplot as plt

        from wgan.reporting import figures, image_figures  # (set matplotlib's file-only backend)

        trainer = self.trainer
        if trainer.config.is_image_run:
            grid = image_figures.image_grid(trainer.sample(image_figures.GRID_SIZE).cpu().numpy())
            self.writer.add_image("samples", grid, step, dataformats="HWC")
            return
        real = trainer.holdout(SCATTER_SAMPLES).cpu().numpy()
        fake = trainer.sample(len(real)).cpu().numpy()
        critic = trainer.sample_critic()
        contours = None
        if critic is not None and real.shape[1] == 2:
            contours = functools.partial(critic_scores, critic, device=trainer.device)
        figure, ax = plt.subplots(figsize=(5, 5))
        figures.plot_points(ax, real, fake, contours, title=f"step {step}")
        figure.tight_layout()
        self.writer.add_figure("samples", figure, step)  # closes the figure
