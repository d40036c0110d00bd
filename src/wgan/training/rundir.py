"""A run's directory: starting a new run, opening (resuming) one, metrics.jsonl, checkpoints and
sample grids on disk.

RUN_DIR/config.yaml is the run's resolved config; metrics.jsonl one JSON record a line (`kind`
train, eval or rollback, and `step`); checkpoints/ the newest `checkpoint.keep` checkpoints;
samples/ the fixed-z grids of an image run; report.png and report.md the report.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

from wgan import distributed
from wgan.atomic import write_atomically
from wgan.config import Config, build_config, read_yaml, save_config
from wgan.data.notes import point_notes
from wgan.data.sources import DataSource, TensorSource
from wgan.errors import UserError
from wgan.reporting.image_figures import GRID_SIZE, save_image_grid
from wgan.reporting.tensorboard import TENSORBOARD_DIR, check_logger
from wgan.training.base import TrainerBase, config_differences
from wgan.training.checkpoint import (
    checkpoint_path,
    list_checkpoints,
    load_latest,
    prune_checkpoints,
    save_checkpoint,
)
from wgan.training.cycle import CycleTrainer
from wgan.training.trainer import Trainer

RUN_FILES = (
    "config.yaml",
    "metrics.jsonl",
    "checkpoints",
    "samples",
    "report.png",
    "report.md",
    TENSORBOARD_DIR,
)


def append_metrics(run_dir: Path, record: dict[str, Any]) -> None:
    """One line of metrics.jsonl; opened per line, so that a rewrite of the file (a rollback)
    never leaves a handle on the old one."""
    with open(run_dir / "metrics.jsonl", "a") as metrics:
        metrics.write(json.dumps(record) + "\n")


def read_metrics(run_dir: Path) -> list[dict[str, Any]]:
    """The records of a run's metrics.jsonl, oldest first ([] before the first)."""
    path = Path(run_dir) / "metrics.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def truncate_metrics(run_dir: Path, step: int) -> None:
    """Drop log lines written after the checkpoint a run resumes from, and a line a kill cut short."""
    path = run_dir / "metrics.jsonl"
    if not path.exists():
        return
    kept = []
    for line in path.read_text().splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if record["step"] <= step:
            kept.append(line + "\n")
    write_atomically(path, "".join(kept).encode())


def save_checkpoint_of(trainer: TrainerBase) -> Path:
    """Write the trainer's checkpoint of this step (atomically) and delete all but the newest
    `checkpoint.keep`."""
    run_dir = trainer.run_dir
    path = checkpoint_path(run_dir, trainer.step)
    try:
        save_checkpoint(path, trainer.state_dict())
    except OSError as err:  # a full disk, a quota, a read-only file system
        raise UserError(
            f"could not write checkpoint {path} ({err.strerror or err}); the earlier "
            f"checkpoints are kept. Free some space, then `wgan resume {run_dir}`"
        ) from None
    prune_checkpoints(run_dir, trainer.config.checkpoint.keep)
    return path


def save_sample_grid(trainer: TrainerBase) -> Path:
    """samples/step-XXXXXXXX.png: a grid of the fixed-z samples at this step (image runs)."""
    path = trainer.run_dir / "samples" / f"step-{trainer.step:08d}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    save_image_grid(path, trainer.sample(GRID_SIZE).cpu().numpy())
    return path


def make_trainer(config: Config, run_dir: Path, *, quiet: bool = False) -> TrainerBase:
    """The trainer of a config: a CycleTrainer for gan 'cyclegan', else a Trainer."""
    if config.gan == "cyclegan":
        return CycleTrainer(config, run_dir, quiet=quiet)
    return Trainer(config, run_dir, quiet=quiet)


def start_run(
    config: Config,
    run_dir: Path,
    *,
    overwrite: bool = False,
    resume: bool = False,
    quiet: bool = False,
) -> TrainerBase:
    """A fresh Trainer for `run_dir`; refuses a directory that holds a run unless `overwrite`.

    With `resume`, and in a worker that torchrun restarted (`wgan.distributed.restarted`), a
    directory that holds a run of this same config is opened and continued from its newest
    checkpoint instead (`overwrite` is then ignored: a restart never wipes the run it continues);
    a run of another config there is refused, naming the keys that differ. Everything is checked
    (on every process) before rank 0 touches the disk, and a directory another live process is
    writing is refused (`wgan.training.lock`).
    """
    run_dir = Path(run_dir)
    config = config.with_schedule()
    resume = resume or distributed.restarted()
    with distributed.all_or_none():
        continuing = resume and (run_dir / "config.yaml").is_file()
        if continuing:
            _refuse_another_config(config, run_dir)
    if continuing:
        return open_run(run_dir, quiet=quiet, write=True)
    with distributed.all_or_none():
        existing = [name for name in RUN_FILES if (run_dir / name).exists()]
        if existing and not overwrite:
            raise UserError(
                f"{run_dir} already holds a run; continue it with `wgan resume {run_dir}` "
                "(or `wgan train ... --resume`), choose another --out, or pass --overwrite"
            )
        check_logger(config.log.logger)
        trainer = make_trainer(config, run_dir, quiet=quiet)  # checks the data before writing
        if distributed.is_main():
            trainer.lock.acquire()  # before a file of a live run could be touched
            if not quiet:
                for note in data_notes(trainer.source):
                    print(f"wgan: note: {note}", file=sys.stderr)
    if distributed.is_main():
        for name in existing:
            target = run_dir / name
            shutil.rmtree(target) if target.is_dir() else target.unlink()
        run_dir.mkdir(parents=True, exist_ok=True)
        save_config(config, run_dir / "config.yaml")
    return trainer


def open_run(
    run_dir: Path,
    *,
    steps: int | None = None,
    quiet: bool = False,
    inception_weights: str | None = None,
    write: bool = False,
    schedule: str = "stretch",
) -> TrainerBase:
    """The Trainer of an existing run, restored from its newest readable checkpoint.

    A run stopped before its first checkpoint starts again from step 0 (the seed fixes the same
    numbers). `inception_weights` sets eval.inception_weights for this session only (not saved).

    Without `write` this is a reader: it takes no lock and changes no file, so it may open a run
    that another process is training (checkpoints are renamed into place whole: it reads the
    newest complete one). With `write` (`wgan resume`) it takes the run's lock, refusing a run
    another live process is writing, and saves a new `steps` total to config.yaml. Nothing is
    written unless the run opens on every process.

    A `steps` total past the step where a linear learning-rate decay reaches zero moves that
    step to the new total (`schedule` 'stretch': the rates rise again and decay to zero at the
    new total) or keeps it ('keep': the rates stay at zero past it); either way the run is no
    longer the one that a single run to the new total would be, and rank 0 says so.
    """
    run_dir = Path(run_dir)
    config_path = run_dir / "config.yaml"
    warnings: list[str] = []
    with distributed.all_or_none():
        if not config_path.is_file():
            raise UserError(
                f"{run_dir} is not a wgan run (no config.yaml); start one with `wgan train`"
            )
        saved = build_config(_saved_config(read_yaml(config_path))).with_schedule()
        config, note = _extended(saved, steps, schedule)
        session = config
        if inception_weights is not None:
            eval_config = config.eval.model_copy(update={"inception_weights": inception_weights})
            session = config.model_copy(update={"eval": eval_config})
        trainer = make_trainer(session, run_dir, quiet=quiet)
        if write and distributed.is_main():
            trainer.lock.acquire()
        if list_checkpoints(run_dir):
            _, _, warnings = load_latest(run_dir, trainer.load_state_dict)
        elif write:
            warnings = [f"{run_dir} has no checkpoint yet; training starts again from step 0"]
        else:
            warnings = [f"{run_dir} has no checkpoint yet; its models are those of step 0"]
    seen = distributed.gather_ints(trainer.step)
    if len(set(seen)) > 1:
        raise UserError(
            f"the processes found different checkpoints (steps {seen}); put the run "
            "directory on a file system that every node shares"
        )
    if distributed.is_main():
        for warning in warnings:
            print(f"wgan: warning: {warning}", file=sys.stderr)
        if note and steps is not None and steps > trainer.step:
            print(f"wgan: note: {note}", file=sys.stderr)
        if write and steps is not None and steps != saved.steps and steps > trainer.step:
            save_config(config, config_path)  # the new total, for a later plain `wgan resume`
    return trainer


SCHEDULES = ("stretch", "keep")  # what an extension past a linear decay's end does to it


def data_notes(source: DataSource) -> list[str]:
    """The notes of `wgan.data.notes` on a points file's training split (none for other data)."""
    if not isinstance(source, TensorSource):
        return []
    return point_notes(source.train_data, len(source.holdout_data))


def _saved_config(raw: dict[str, Any]) -> dict[str, Any]:
    """A run's saved config as it was trained: runs saved before `data.standardize` existed
    trained on their points unstandardised."""
    for key in ("data", "data_b"):
        section = raw.get(key)
        if isinstance(section, dict) and "standardize" not in section:
            raw[key] = {**section, "standardize": False}
    return raw


def _extended(config: Config, steps: int | None, schedule: str) -> tuple[Config, str]:
    """The config of a run continued to a total of `steps` generator steps, and a note when that
    changes its learning-rate schedule ('' when it does not)."""
    if schedule not in SCHEDULES:
        raise UserError(f"--schedule {schedule!r}: give one of {', '.join(SCHEDULES)}")
    if steps is None:
        return config, ""
    extended = config.model_copy(update={"steps": steps})
    opt = config.optimizer
    if opt.lr_decay != "linear" or opt.decay_steps is None or steps <= opt.decay_steps:
        return build_config(extended.to_dict()), ""
    end = opt.decay_steps
    if schedule == "keep":
        return build_config(extended.to_dict()), (
            f"the learning rates' linear decay reached zero at step {end} and stays there "
            "(--schedule keep): the steps past it do not change the models but for the EMA"
        )
    optimizer = opt.model_copy(update={"decay_steps": steps})
    stretched = extended.model_copy(update={"optimizer": optimizer})
    return build_config(stretched.to_dict()), (
        f"the learning rates' linear decay now reaches zero at step {steps} instead of {end} "
        "(--schedule stretch): from here the run follows that schedule, so it will not equal a "
        f"run trained to {steps} in one go; --schedule keep leaves the decay ending at {end}"
    )


def _refuse_another_config(config: Config, run_dir: Path) -> None:
    """A UserError when the run in `run_dir` was made with another config than `config`."""
    saved = build_config(_saved_config(read_yaml(run_dir / "config.yaml"))).with_schedule()
    differences = [key for key, _, _ in config_differences(saved.to_dict(), config.to_dict())]
    if differences:
        shown = ", ".join(differences[:5]) + (" ..." if len(differences) > 5 else "")
        raise UserError(
            f"{run_dir} holds a run of another config ({shown} differ); resume it with "
            f"`wgan resume {run_dir}`, or choose another --out"
        )
