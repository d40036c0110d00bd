"""The semi-supervised GAN against two baselines on the same labelled examples.

For each number of labels and each seed, on the same `data.labelled` examples (drawn evenly over
the classes with the seed, `wgan.data.labelled`), three classifiers are scored on the whole
held-out split (359 digits for the built-in 8x8 digits, the 10 000 t10k digits for MNIST):

- sgan: `wgan train digits-sgan --seed S --set data.labelled=L` on the CPU, timed from the first
  step to the last (its evaluations and checkpoints included); `critic_test_accuracy` of the
  trained run, as `wgan evaluate` reports it;
- supervised: the same critic network (same initial weights, optimizer, batch size and input
  noise as the preset's critic) trained on the labelled examples alone, the cross-entropy of its
  class logits, for as many critic updates as the SGAN run makes (steps x n_critic): the
  supervised updates SGAN's critic gets, so that what differs is the unlabelled data and the
  generator's samples;
- svm: scikit-learn's RBF SVC on the labelled examples' pixels (in [-1, 1]), with its defaults
  (C 1, gamma 'scale'), and with C in {1, 10, 100} x gamma in {'scale', 0.01, 0.001} chosen by
  stratified cross-validation on the labelled examples only (as many folds as the smallest
  class has examples, at most 5).

    python benchmarks/sgan_digits.py --labels 50 100 --seeds 0 1 2 --results benchmarks/results
    python benchmarks/sgan_digits.py --mnist ~/data/mnist --labels 100 --seeds 0 \\
        --results benchmarks/results   # MNIST IDX files with their labels

Results go to RESULTS/sgan_digits.json (sgan_mnist.json with --mnist) and a markdown table
beside it, with the machine, the torch version and threads, the command and the seeds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from wgan import losses
from wgan.api import Run
from wgan.config import Config, load_config
from wgan.demos.bench import machine_description
from wgan.evaluation.common import critic_accuracy
from wgan.training.rundir import start_run
from wgan.training.trainer import Trainer

PRESET = "digits-sgan"
SVM_GRID = {"C": [1.0, 10.0, 100.0], "gamma": ["scale", 0.01, 0.001]}


def config_for(labels: int, seed: int, mnist: str | None, overrides: list[str]) -> Config:
    """The preset with `labels` labelled examples and the seed; on MNIST's files at 28 x 28."""
    data: dict[str, Any] = {"labelled": labels}
    if mnist is not None:
        data |= {"name": "images", "path": mnist, "resolution": 28}
    return load_config(PRESET, overrides, device="cpu", seed=seed, data=data)


def held_out(trainer: Trainer) -> tuple[torch.Tensor, torch.Tensor]:
    """The whole held-out split and its labels."""
    source = trainer.source
    labels = source.holdout_labels(1 << 30)
    assert labels is not None
    return source.holdout(len(labels)), labels


def sgan(config: Config, out: Path) -> dict[str, Any]:
    trainer = start_run(config, out, overwrite=True, quiet=True)
    start = time.perf_counter()
    Run(trainer).train()
    seconds = time.perf_counter() - start
    accuracy = trainer.evaluate()["critic_test_accuracy"]
    return {"accuracy": accuracy, "train_seconds": round(seconds, 1)}


def supervised(config: Config, out: Path) -> dict[str, Any]:
    """The SGAN critic, as initialised for the run, trained on the labelled batches alone."""
    trainer = Trainer(config, out, quiet=True)
    critic, kind = trainer.critic, trainer.kind
    updates = config.steps * config.n_critic
    start = time.perf_counter()
    for _ in range(updates):
        batch = kind.labelled_batch(config.batch_size, trainer.rng)
        assert batch is not None
        x = trainer.noisy(batch[0], trainer.instance_noise_std())  # the preset's input noise
        loss = losses.auxiliary_classifier_loss(critic.logits(x), batch[1])
        trainer.d_opt.zero_grad(set_to_none=True)
        loss.backward()
        trainer.d_opt.step()
    seconds = time.perf_counter() - start
    x, y = held_out(trainer)
    return {
        "accuracy": critic_accuracy(critic, x, y),
        "train_seconds": round(seconds, 1),
        "updates": updates,
    }


def svm(config: Config, out: Path) -> dict[str, Any]:
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from sklearn.svm import SVC

    trainer = Trainer(config, out, quiet=True)
    examples = trainer.kind.examples  # type: ignore[attr-defined]
    x, y = trainer.source.labelled_items(examples.index)  # type: ignore[attr-defined]
    train_x, train_y = x.flatten(1).numpy(), y.numpy()
    test_x, test_y = (t.numpy() for t in held_out(trainer))
    test_x = test_x.reshape(len(test_x), -1)
    start = time.perf_counter()
    default = SVC(kernel="rbf").fit(train_x, train_y)
    default_s = time.perf_counter() - start
    record: dict[str, Any] = {
        "accuracy_default": float((default.predict(test_x) == test_y).mean()),
        "seconds_default": round(default_s, 2),
        "accuracy_grid": None,  # cross-validation needs 2 examples of each class
    }
    folds = int(min(5, np.bincount(train_y).min()))
    if folds < 2:
        return record
    start = time.perf_counter()
    search = GridSearchCV(
        SVC(kernel="rbf"),
        SVM_GRID,
        cv=StratifiedKFold(n_splits=folds, shuffle=True, random_state=config.seed),
    ).fit(train_x, train_y)
    return record | {
        "accuracy_grid": float((search.predict(test_x) == test_y).mean()),
        "grid_choice": search.best_params_,
        "grid_folds": folds,
        "seconds_grid": round(time.perf_counter() - start, 2),
    }


def run(labels: int, seed: int, mnist: str | None, overrides: list[str], work: Path) -> dict:
    config = config_for(labels, seed, mnist, overrides)
    record: dict[str, Any] = {"labels": labels, "seed": seed, "load_before": os.getloadavg()[0]}
    record["svm"] = svm(config, work / "svm")
    record["supervised"] = supervised(config, work / "supervised")
    record["sgan"] = sgan(config, work / "sgan")
    record["load_after"] = os.getloadavg()[0]
    return record


def _mean_sd(values: list[float | None]) -> str:
    if any(value is None for value in values):
        return "n/a"
    if len(values) == 1:
        return f"{values[0]:.1%}"
    return f"{statistics.fmean(values):.1%} ± {statistics.stdev(values):.1%}"


def _baselines(record: dict[str, Any]) -> list[float]:
    """The held-out accuracies of a record's baselines: the critic alone and the SVMs."""
    svm = record["svm"]
    found = [record["supervised"]["accuracy"], svm["accuracy_default"], svm["accuracy_grid"]]
    return [accuracy for accuracy in found if accuracy is not None]


def markdown(result: dict[str, Any]) -> str:
    records = result["records"]
    lines = [
        f"# {result['title']}",
        "",
        "Written by benchmarks/sgan_digits.py. Held-out accuracy (mean ± sd over seeds; every",
        "seed in the JSON) of three classifiers on the same labelled examples: the SGAN",
        "preset's critic, the same critic trained on the labelled examples alone (as many",
        "updates as the SGAN critic makes), and an RBF SVM (defaults; and C, gamma chosen by",
        "cross-validation on the labelled examples). Seconds: training time, mean over seeds.",
        "",
        f"- machine: {result['machine']}; torch {result['torch']}, {result['threads']} thread(s)",
        f"- command: `{result['command']}`",
        f"- seeds: {', '.join(str(s) for s in result['seeds'])}",
        "",
        "| labels | SGAN | s | critic alone | s | SVM default | SVM grid | SGAN above all three |",
        "|---:|---:|---:|---:|---:|---:|---:|:---|",
    ]
    for labels in dict.fromkeys(r["labels"] for r in records):
        group = [r for r in records if r["labels"] == labels]
        sgan_acc = [r["sgan"]["accuracy"] for r in group]
        alone = [r["supervised"]["accuracy"] for r in group]
        svm_default = [r["svm"]["accuracy_default"] for r in group]
        svm_grid = [r["svm"]["accuracy_grid"] for r in group]
        best = all(r["sgan"]["accuracy"] > max(_baselines(r)) for r in group)
        lines.append(
            f"| {labels} | {_mean_sd(sgan_acc)} "
            f"| {statistics.fmean(r['sgan']['train_seconds'] for r in group):.0f} "
            f"| {_mean_sd(alone)} "
            f"| {statistics.fmean(r['supervised']['train_seconds'] for r in group):.0f} "
            f"| {_mean_sd(svm_default)} | {_mean_sd(svm_grid)} "
            f"| {'every seed' if best else 'not at every seed'} |"
        )
    loads = [load for r in records for load in (r["load_before"], r["load_after"])]
    lines += [
        "",
        f"Load average (1 min) of the shared machine at the runs' starts and ends: "
        f"{min(loads):.1f} to {max(loads):.1f}.",
        "",
        "| labels | seed | SGAN | s | critic alone | SVM default | SVM grid (C, gamma) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in records:
        svm = r["svm"]
        grid = "n/a"
        if svm["accuracy_grid"] is not None:
            choice = svm["grid_choice"]
            grid = f"{svm['accuracy_grid']:.1%} ({choice['C']:g}, {choice['gamma']})"
        lines.append(
            f"| {r['labels']} | {r['seed']} | {r['sgan']['accuracy']:.1%} "
            f"| {r['sgan']['train_seconds']:.0f} | {r['supervised']['accuracy']:.1%} "
            f"| {svm['accuracy_default']:.1%} | {grid} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=int, nargs="+", default=[50, 100])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--mnist", help="a directory of MNIST IDX files with their labels")
    parser.add_argument("--set", action="append", default=[], help="key=value on the preset")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--results", type=Path, help="where to write the JSON and markdown")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    records = []
    with tempfile.TemporaryDirectory() as tmp:
        for labels in args.labels:
            for seed in args.seeds:
                work = Path(tmp) / f"{labels}-{seed}"
                records.append(run(labels, seed, args.mnist, args.set, work))
                print(json.dumps(records[-1]), flush=True)
    name = "sgan_mnist" if args.mnist else "sgan_digits"
    result = {
        "title": "SGAN on MNIST" if args.mnist else "SGAN on the 8x8 digits",
        "machine": machine_description(torch.device("cpu")),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "command": "python benchmarks/sgan_digits.py " + " ".join(argv or sys.argv[1:]),
        "seeds": args.seeds,
        "overrides": args.set,
        "records": records,
    }
    if args.results is not None:
        args.results.mkdir(parents=True, exist_ok=True)
        (args.results / f"{name}.json").write_text(json.dumps(result, indent=1) + "\n")
        (args.results / f"{name}.md").write_text(markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
