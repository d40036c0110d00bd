"""The `wgan` command line: a thin layer that builds a config and calls the library."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wgan import __version__
from wgan.errors import UserError


def _data_override(config: Any, section: Any, path: Path) -> dict[str, Any]:
    """The data section for `--data PATH`: points for a point preset, images for an image one.

    `section` is the config's data section the path replaces (data, or a CycleGAN's data_b).
    """
    from wgan.config import IMAGE_DATASETS, TOY_DATASETS
    from wgan.data.images import looks_like_images

    if section.name in IMAGE_DATASETS:
        return {"name": "images", "path": str(path), "transform": "none"}
    if section.name in TOY_DATASETS and path.exists() and looks_like_images(path):
        raise UserError(
            f"--data {path} holds images and {config.name} is a preset for points; train it with "
            "an image preset, e.g. `wgan train mnist-wgan-gp --data PATH` (`wgan presets`)"
        )
    data = {"path": str(path), "transform": "none"}
    if section.name in TOY_DATASETS:
        data["name"] = "points"
    return data


def _config_from_args(args: argparse.Namespace) -> Any:
    from wgan.config import TOY_DATASETS, build_config, load_config, merge

    fields: dict[str, Any] = {}
    if args.steps is not None:
        fields["steps"] = args.steps
    if args.seed is not None:
        fields["seed"] = args.seed
    if args.device is not None:
        fields["device"] = args.device
    paths: list[Path] = args.data or []
    if len(paths) > 2:
        raise UserError(f"--data is given {len(paths)} times; give one path, or two for CycleGAN")
    # Before validation: presets such as mnist-wgan-gp need a path.
    for key, path in zip(("data", "data_b"), paths, strict=False):
        fields[key] = {"path": str(path)}
    config = load_config(args.config, args.set or [], **fields)  # refuses data_b but for CycleGAN
    if paths:
        sections = {"data": config.data, "data_b": config.data_b}
        diff: dict[str, Any] = {
            key: _data_override(config, sections[key], path)
            for key, path in zip(("data", "data_b"), paths, strict=False)
        }
        toy = config.data.name
        if toy in TOY_DATASETS and config.name.startswith(toy):
            # Named after the user's data: moons.npy with 8gaussians-wgan-gp is moons-wgan-gp.
            diff["name"] = paths[0].stem + config.name.removeprefix(toy)
        config = build_config(merge(config.to_dict(), diff))
    return config


def _print_summary(run: Any, seconds: float) -> None:
    from rich.console import Console

    from wgan.reporting.tables import columns_of, terminal_table
    from wgan.training.rundir import read_metrics

    evals = [r for r in read_metrics(run.path) if r["kind"] == "eval"]
    title = f"{run.config.name}: {run.step} generator steps in {seconds:.0f} s"
    console = Console()
    console.print(terminal_table(columns_of(run.config.to_dict()), evals, title))
    if run.n_classes:
        console.print("codes: codes.png")
    console.print(f"report: {run.path / 'report.png'} and {run.path / 'report.md'}")


def _train_to_end(run: Any, steps: int) -> int:
    from wgan import distributed

    start = time.perf_counter()
    finished = run.train(steps)
    if not distributed.is_main():
        return 0 if finished else 128 + run.stop_signal
    if not finished:
        print(
            f"wgan: stopped at step {run.step}; checkpoint saved. Continue with `wgan resume {run.path}`",
            file=sys.stderr,
        )
        return 128 + run.stop_signal  # 130 after Ctrl-C, 143 after SIGTERM
    run.write_report()
    _print_summary(run, time.perf_counter() - start)
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    from wgan.api import Run
    from wgan.training.rundir import start_run

    if args.time is not None and args.steps is not None:
        raise UserError("give --time or --steps, not both")
    config = _config_from_args(args)
    out = args.out or Path("runs") / config.name
    if args.time is not None:
        config = _budgeted(config, args.time, out, resume=args.resume, quiet=args.quiet)
    run = Run(
        start_run(config, out, overwrite=args.overwrite, resume=args.resume, quiet=args.quiet)
    )
    return _train_to_end(run, config.steps)


def _budgeted(config: Any, text: str, out: Path, *, resume: bool, quiet: bool) -> Any:
    """The config with the steps that fit in the `--time` budget, resolved from a short timing
    (`wgan.training.budget`); a run continued with --resume keeps the steps it resolved."""
    from wgan import distributed
    from wgan.config import build_config, merge, read_yaml
    from wgan.training.budget import parse_duration, plan_steps

    seconds = parse_duration(text)
    if distributed.world_size() > 1:
        raise UserError(
            "--time resolves the step count from a timing of one process; under torchrun give "
            "--steps (run `wgan train --time ...` once without torchrun to see the count)"
        )
    saved = out / "config.yaml"
    if resume and saved.is_file():
        steps = read_yaml(saved).get("steps", config.steps)
    else:
        plan = plan_steps(config, seconds)
        steps = plan.steps
        if not quiet:
            print(f"wgan: {plan.describe(seconds)}", file=sys.stderr)
    return build_config(merge(config.to_dict(), {"steps": steps, "time_budget_s": seconds}))


def _cmd_resume(args: argparse.Namespace) -> int:
    from wgan import distributed
    from wgan.api import Run
    from wgan.training.rundir import open_run

    run = Run(
        open_run(
            args.run_dir, steps=args.steps, quiet=args.quiet, write=True, schedule=args.schedule
        )
    )
    target = run.config.steps
    if run.step >= target:
        if distributed.is_main():
            print(f"{args.run_dir} is at step {run.step}, which reaches {target}; nothing to do")
        return 0
    return _train_to_end(run, target)


def _say_what_was_read(run: Any) -> None:
    """One line on stderr: the step of the checkpoint read, and whether the run is training."""
    from wgan.training.lock import is_being_written

    live = " (it is training: this is its newest complete checkpoint)"
    print(
        f"wgan: {run.path} at step {run.step}{live if is_being_written(run.path) else ''}",
        file=sys.stderr,
    )


def _cmd_sample(args: argparse.Namespace) -> int:
    import numpy as np

    from wgan.api import load_run
    from wgan.reporting.figures import save_points_figure
    from wgan.reporting.image_figures import save_image_grid

    suffix = args.output.suffix.lower()
    if suffix not in (".npy", ".png"):
        raise UserError(f"-o {args.output}: give a .npy or .png file name")
    if args.n < 1:
        raise UserError(f"-n must be at least 1, got {args.n}")
    run = load_run(args.run_dir)
    if args.arithmetic is not None:
        return _sample_arithmetic(run, args)
    samples = run.sample(args.n, seed=args.seed, label=args.label, truncation=args.truncation)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".npy":
        np.save(args.output, samples)
    elif run.config.is_image_run:
        save_image_grid(args.output, samples)
    else:
        save_points_figure(args.output, samples)
    print(f"wrote {len(samples)} samples to {args.output}")
    _say_what_was_read(run)
    return 0


def _sample_arithmetic(run: Any, args: argparse.Namespace) -> int:
    """`wgan sample --arithmetic A,B,C`: n rows of G(m_A), G(m_B), G(m_C), G(m_A - m_B + m_C)."""
    import numpy as np

    from wgan.reporting.image_figures import save_image_grid

    if args.label is not None or args.truncation is not None:
        raise UserError(
            "--arithmetic draws its own groups; give it without --label or --truncation"
        )
    a, b, c = args.arithmetic
    seed = {} if args.seed is None else {"seed": args.seed}
    rows = run.latent_arithmetic(a, b, c, rows=args.n, **seed)  # (n, 4, ...)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    if args.output.suffix.lower() == ".npy":
        np.save(args.output, rows)
    elif run.config.is_image_run:
        save_image_grid(args.output, rows.reshape(-1, *rows.shape[2:]), ncols=4)
    else:
        raise UserError("--arithmetic of a point run writes a .npy file (n, 4, d)")
    print(
        f"wrote {len(rows)} rows of G(m_{a}), G(m_{b}), G(m_{c}), G(m_{a} - m_{b} + m_{c}) to {args.output}"
    )
    _say_what_was_read(run)
    return 0


def _arithmetic_groups(text: str) -> tuple[int, int, int]:
    try:
        groups = tuple(int(item) for item in _comma_list(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"three integers A,B,C, got {text!r}") from None
    if len(groups) != 3:
        raise argparse.ArgumentTypeError(f"three groups A,B,C, got {text!r}")
    return groups


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from wgan.api import load_real_images, load_run
    from wgan.data.points import load_points

    run = load_run(args.run_dir, inception_weights=args.inception_weights)
    if args.n is not None and args.n < 10:
        raise UserError(f"--n must be at least 10, got {args.n}")
    n = args.n or run.config.eval.n
    real = None
    if args.data is not None:
        if run.config.is_image_run:
            real = load_real_images(run, args.data, 2 * n)
        else:
            real = load_points(args.data)
    print(json.dumps(run.evaluate(n, real=real)))
    _say_what_was_read(run)
    return 0


def _cmd_presets(args: argparse.Namespace) -> int:
    from wgan.presets import preset_descriptions

    entries = preset_descriptions()
    width = max(len(name) for name, _ in entries)
    for name, description in entries:
        print(f"{name:<{width}}  {description}")
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    import tempfile

    import torch

    from wgan.config import raw_config
    from wgan.demos.bench import format_report, random_image_data, run_bench

    if args.threads is not None:
        if args.threads < 1:
            raise UserError(f"--threads must be at least 1, got {args.threads}")
        torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory(prefix="wgan-bench-data-") as tmp:
        synthetic = False
        if args.data is None:
            data = random_image_data(raw_config(args.config, args.set or []), Path(tmp))
            args.data = None if data is None else [data]
            synthetic = data is not None
        config = _config_from_args(args)
        result = run_bench(
            config, steps=args.bench_steps, evaluate=not args.no_eval, synthetic_data=synthetic
        )
    print(json.dumps(result) if args.json else format_report(result))
    return 0


def _add_bench_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bench = sub.add_parser(
        "bench",
        help="measure training speed: steps/s, GFLOP/s against the matmul peak, time split",
        description="Train a config for a few steps in a temporary directory and report "
        "generator and critic steps/s, the matmul/convolution GFLOP/s against this machine's "
        "matmul peak in the same precision (measured in the same run), the time split of a step, "
        "the evaluation's cost and peak memory. Image presets without --data use random images.",
    )
    bench.add_argument(
        "config",
        nargs="?",
        default=None,
        help="preset name (see `wgan presets`) or CONFIG.yaml (default: 8gaussians-wgan-gp)",
    )
    bench.add_argument(
        "--steps",
        dest="bench_steps",
        metavar="N",
        type=int,
        default=10,
        help="generator steps timed (after 2 warm-up steps; default: 10)",
    )
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    bench.add_argument(
        "--data",
        type=Path,
        action="append",
        metavar="PATH",
        help="data as for `wgan train`, twice for a CycleGAN (default: the preset's, or random "
        "images)",
    )
    bench.add_argument(
        "--device", choices=("auto", "cpu", "cuda"), help="where to run (default: auto)"
    )
    bench.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="override a config field, e.g. --set precision=fp32 (repeatable)",
    )
    bench.add_argument(
        "--threads",
        type=int,
        help="CPU threads for torch; on a shared machine, the idle cores (default: torch's, one "
        "per core)",
    )
    bench.add_argument(
        "--no-eval", action="store_true", help="skip timing an evaluation (default: time one)"
    )
    bench.set_defaults(func=_cmd_bench, steps=None, seed=None)


def _demo_training(out: Path | None) -> int:
    from wgan.api import Run
    from wgan.config import load_config
    from wgan.training.rundir import start_run

    config = load_config()
    out = out or Path("runs") / "demo"
    print(f"training the default preset {config.name} into {out} ({config.steps} generator steps)")
    run = Run(start_run(config, out, overwrite=True, quiet=False))
    return _train_to_end(run, config.steps)


def _demo_distances(out: Path | None) -> int:
    from wgan.demos.distances import run_demo

    return run_demo(out)


def _demo_theory(out: Path | None) -> int:
    from wgan.demos.theory.demo import run_demo

    return run_demo(out)


def _demo_findings(out: Path | None) -> int:
    from wgan.demos.findings import run_demo

    return run_demo(out)


def _demo_critic_fidelity(out: Path | None) -> int:
    from wgan.demos.critic_fidelity import run_demo

    return run_demo(out)


# `wgan demo TOPIC`: each topic writes its figures and tables into an output directory.
DEMOS: dict[str, tuple[str, Callable[[Path | None], int]]] = {
    "training": ("train the default preset and write its report", _demo_training),
    "distances": ("KL, JS, TV and W on textbook examples, against closed forms", _demo_distances),
    "theory": ("optimal D, the JS identity, saturation, the xy game, continuity", _demo_theory),
    "findings": (
        "the WGAN papers' findings on toy data: critic estimate vs exact W1, weight clipping, "
        "the optimal critic, saturation of the minimax loss",
        _demo_findings,
    ),
    "critic-fidelity": (
        "how far the critic's W estimate can be believed: critics trained on pairs with known W1 "
        "(translations, scalings, shifted digits) in 2 to 3072 dimensions",
        _demo_critic_fidelity,
    ),
}


def _cmd_demo(args: argparse.Namespace) -> int:
    _, run_demo = DEMOS[args.topic]
    return run_demo(args.out)


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quiet", action="store_true", help="no progress bar (default: shown)")


def _cmd_distance(args: argparse.Namespace) -> int:
    from wgan.distance_command import DistanceRequest, run_distance

    return run_distance(
        DistanceRequest(
            a=args.a,
            b=args.b,
            method=args.method,
            p=args.p,
            reg=args.reg,
            n_projections=args.n_projections,
            seed=args.seed,
            as_json=args.json,
        )
    )


def _cmd_compare(args: argparse.Namespace) -> int:
    from wgan.demos.compare import CompareRequest, run_compare

    return run_compare(
        CompareRequest(
            methods=args.methods,
            datasets=args.datasets,
            seeds=args.seeds,
            steps=args.steps,
            budget_s=args.budget_s,
            budget_clock=args.budget_clock,
            protocol=args.protocol,
            overrides=args.set or [],
            device=args.device,
            jobs=args.jobs,
            eval_n=args.eval_n,
            out=args.out,
            command=" ".join(["wgan", *args.argv]),
        )
    )


def _comma_list(text: str) -> list[str]:
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise argparse.ArgumentTypeError("give at least one name")
    return items


def _seed_list(text: str) -> list[int]:
    try:
        return [int(item) for item in _comma_list(text)]
    except ValueError:
        raise argparse.ArgumentTypeError(f"seeds are integers, got {text!r}") from None


def _add_compare_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from wgan.config import TOY_DATASETS
    from wgan.demos.compare import DEFAULT_METHODS, DEFAULT_OUT, EVAL_N
    from wgan.demos.protocols import PROTOCOLS

    compare = sub.add_parser(
        "compare",
        help="train GAN methods on the toy data over seeds and rank them",
        description="Train each method on each data set (the preset DATASET-METHOD) for each seed, "
        "evaluate on 2500 held-out samples (exact W1 and its noise floor, precision and recall, "
        "modes, high-quality share, reverse KL) six times along the run, and write compare.md, "
        "compare.json, compare.png and curves.png. --budget-s gives every method the same "
        "wall-clock time; --protocol runs a published toy protocol beside its paper's table.",
    )
    compare.add_argument(
        "--protocol",
        choices=tuple(PROTOCOLS),
        default=None,
        help="a published protocol: its 2D-ring and 2D-grid, networks, batch, steps, 10 trials "
        "and metrics; its default methods are the presets ring-M and grid-M (default: none)",
    )
    compare.add_argument(
        "--methods",
        type=_comma_list,
        default=None,
        help=f"comma-separated methods (default: {','.join(DEFAULT_METHODS)}; "
        "with --protocol: nsgan,wgan-gp)",
    )
    compare.add_argument(
        "--datasets",
        type=_comma_list,
        default=None,
        help=f"comma-separated data sets (default: {','.join(TOY_DATASETS)}; "
        "with --protocol: ring,grid)",
    )
    compare.add_argument(
        "--seeds",
        type=_seed_list,
        default=None,
        help="comma-separated seeds (default: 0,1,2; with --protocol: 0 to 9, its trials)",
    )
    compare.add_argument(
        "--steps",
        type=int,
        default=None,
        help="generator steps of every run (default: each preset's, or the protocol's)",
    )
    compare.add_argument(
        "--budget-s",
        type=float,
        default=None,
        metavar="T",
        help="train every run for T seconds (evaluations included); the steps that fit are "
        "timed per run and recorded (instead of --steps; default: none)",
    )
    compare.add_argument(
        "--budget-clock",
        choices=("wall", "cpu"),
        default="wall",
        help="what --budget-s counts: wall-clock seconds, or CPU seconds of the training process "
        "(the compute a run had on a machine shared with other jobs; default: wall)",
    )
    compare.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="override a config field in every run (repeatable; default: none)",
    )
    compare.add_argument(
        "--device",
        choices=("auto", "cpu", "cuda"),
        default="cpu",
        help="where to train (default: cpu)",
    )
    compare.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="runs trained at once, in separate processes (default: 1)",
    )
    compare.add_argument(
        "--eval-n",
        type=int,
        default=None,
        help=f"samples per side of the evaluations (default: {EVAL_N}, as in the papers)",
    )
    compare.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"output directory (default: {DEFAULT_OUT})"
    )
    compare.set_defaults(func=_cmd_compare)


def _add_distance_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dist = sub.add_parser(
        "distance",
        help="Wasserstein distance between two point files (.npy or .csv)",
        description="W_p between the point clouds in two files (.npy arrays or .csv text, one "
        "point a row; a CSV may start with one header row). Uniform weights.",
    )
    dist.add_argument("a", type=Path, metavar="A", help="first point file (.npy or .csv)")
    dist.add_argument("b", type=Path, metavar="B", help="second point file (.npy or .csv)")
    dist.add_argument(
        "--method",
        choices=["exact", "sinkhorn", "sliced"],
        default="exact",
        help="exact linear program, entropic (Sinkhorn) or sliced (default: exact)",
    )
    dist.add_argument("--p", type=float, default=1.0, help="order of W_p, >= 1 (default: 1)")
    dist.add_argument(
        "--reg",
        type=float,
        default=None,
        help="Sinkhorn regularisation in units of the cost "
        "(default: 1%% of the mean cost between the clouds)",
    )
    dist.add_argument(
        "--n-projections",
        type=int,
        default=None,
        help="number of random directions for --method sliced (default: 100)",
    )
    dist.add_argument(
        "--seed", type=int, default=0, help="seed of the sliced directions (default: 0)"
    )
    dist.add_argument("--json", action="store_true", help="print one JSON object")
    dist.set_defaults(func=_cmd_distance)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wgan",
        description="Wasserstein GANs (WGAN, WGAN-GP) and the GAN family, "
        "checked against exact optimal-transport distances.",
    )
    parser.add_argument("--version", action="version", version=f"wgan {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    train = sub.add_parser(
        "train",
        help="train a GAN from a preset or a YAML config",
        description="Train a GAN from a preset or a YAML config. Ctrl-C or SIGTERM saves a "
        "checkpoint and stops. Under `torchrun --nproc_per_node=K -m wgan train ...` it trains on "
        "K processes (batch_size is the global batch; see docs/distributed.md).",
    )
    train.add_argument(
        "config",
        nargs="?",
        default=None,
        help="preset name (see `wgan presets`) or CONFIG.yaml (default: 8gaussians-wgan-gp)",
    )
    train.add_argument(
        "--data",
        type=Path,
        action="append",
        metavar="PATH",
        help="train on this data: points (.npy or .csv; a .csv header column 'label' gives "
        "the classes of conditional GANs) for point presets; for image presets a folder of "
        "PNG/JPEG, MNIST IDX files, CIFAR-10 batches or an .npy (n, H, W[, C]). Give it twice "
        "for a CycleGAN: domain A, then domain B (default: the preset's)",
    )
    train.add_argument("--steps", type=int, help="generator steps (default: the config's)")
    train.add_argument(
        "--time",
        metavar="DURATION",
        help="train for about this wall-clock time, e.g. 60s, 5m, 1h: the steps that fit are "
        "resolved once from a short timing at the start and written to the run's config.yaml "
        "(steps, time_budget_s), so the run stays reproducible and resumable; instead of --steps",
    )
    train.add_argument("--out", type=Path, help="run directory (default: runs/<config name>)")
    train.add_argument("--seed", type=int, help="seed for everything (default: the config's, 0)")
    train.add_argument(
        "--device", choices=("auto", "cpu", "cuda"), help="where to train (default: auto)"
    )
    train.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="override a config field, e.g. --set lipschitz.gp_lambda=1 (repeatable)",
    )
    train.add_argument(
        "--overwrite", action="store_true", help="replace a run already in --out (default: refuse)"
    )
    train.add_argument(
        "--resume",
        action="store_true",
        help="if --out holds a run of this same config, continue it from its newest checkpoint "
        "(what a job scheduler that requeues a preempted job needs; a run of another config "
        "there is refused). Workers that torchrun restarts do this by themselves",
    )
    _add_run_options(train)
    train.set_defaults(func=_cmd_train)

    resume = sub.add_parser(
        "resume",
        help="continue a run from its newest checkpoint",
        description="Continue a run exactly from its newest readable checkpoint, with any number "
        "of processes (plain, or under torchrun).",
    )
    resume.add_argument("run_dir", type=Path)
    resume.add_argument(
        "--steps", type=int, help="total generator steps to reach (default: the run's config)"
    )
    resume.add_argument(
        "--schedule",
        choices=("stretch", "keep"),
        default="stretch",
        help="with --steps past the step where a linear learning-rate decay reaches zero: move "
        "that step to the new total (stretch, default) or keep it (the rates stay at zero); "
        "either way the run differs from one trained to the new total in one go",
    )
    _add_run_options(resume)
    resume.set_defaults(func=_cmd_resume)

    sample = sub.add_parser(
        "sample",
        help="draw samples from a trained run",
        description="Draw samples from a trained run. A CycleGAN run gives the translations "
        "G(a) of its first N held-out samples of domain A (at most all of them).",
    )
    sample.add_argument("run_dir", type=Path)
    sample.add_argument("-n", type=int, default=1000, help="number of samples (default: 1000)")
    sample.add_argument("-o", "--output", type=Path, required=True, help="FILE.npy or FILE.png")
    sample.add_argument("--seed", type=int, default=None, help="seed for z (default: the run's)")
    sample.add_argument(
        "--label",
        type=int,
        default=None,
        metavar="K",
        help="cgan and acgan runs: generate class K; infogan runs: categorical code K "
        "(default: drawn, classes with their shares in the data, codes uniformly)",
    )
    sample.add_argument(
        "--truncation",
        type=float,
        default=None,
        metavar="T",
        help="draw z from the normal truncated at +-T, T > 0 (BigGAN's truncation trick: "
        "smaller T, more typical and less varied samples; default: no truncation)",
    )
    sample.add_argument(
        "--arithmetic",
        type=_arithmetic_groups,
        default=None,
        metavar="A,B,C",
        help="latent arithmetic (Radford et al. 2016) on a cgan, acgan or infogan run: n rows of "
        "G(m_A), G(m_B), G(m_C) and G(m_A - m_B + m_C), m_K the mean input of 3 samples of class "
        "or code K (Run.latent_arithmetic; default: plain samples)",
    )
    sample.set_defaults(func=_cmd_sample)

    evaluate = sub.add_parser("evaluate", help="print a run's metrics as one JSON object")
    evaluate.add_argument("run_dir", type=Path)
    evaluate.add_argument(
        "--data",
        type=Path,
        help="real points or images to compare with (default: the run's held-out data)",
    )
    evaluate.add_argument("--n", type=int, default=None, help="samples per side (default: eval.n)")
    evaluate.add_argument(
        "--inception-weights",
        type=Path,
        default=None,
        help="image runs: Inception-v3 weights file (torch-fidelity's .pth) for FID/KID/IS; "
        "needs `pip install 'wgan[inception]'` (default: the run's eval.inception_weights, "
        "else classifier features)",
    )
    evaluate.set_defaults(func=_cmd_evaluate)

    presets = sub.add_parser("presets", help="list the presets, one a line")
    presets.set_defaults(func=_cmd_presets)

    demo = sub.add_parser("demo", help="run a demonstration and write its figures")
    demo.add_argument(
        "topic",
        nargs="?",
        default="training",
        choices=sorted(DEMOS),
        help="what to demonstrate (default: training)",
    )
    demo.add_argument(
        "--out", type=Path, default=None, help="output directory (default: runs/demo*)"
    )
    demo.set_defaults(func=_cmd_demo)
    _add_distance_parser(sub)
    _add_bench_parser(sub)
    _add_compare_parser(sub)
    return parser


DISTRIBUTED_COMMANDS = ("train", "resume")  # the ones `torchrun -m wgan` runs on several processes


def _run_command(args: argparse.Namespace) -> int:
    """Run the command; train and resume join the process group when torchrun started them."""
    from wgan import distributed

    if args.command in DISTRIBUTED_COMMANDS:
        with distributed.session():
            return int(args.func(args) or 0)
    if distributed.launched():
        raise UserError(f"`wgan {args.command}` runs in one process; start it without torchrun")
    return int(args.func(args) or 0)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # --version and --help exit here, before torch is loaded
    args.argv = list(sys.argv[1:] if argv is None else argv)  # the command, for records
    from wgan import distributed

    try:
        return _run_command(args)
    except UserError as err:
        if distributed.is_main():  # every process has the same error: one line is enough
            print(f"wgan: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        if distributed.is_main():
            print("wgan: interrupted", file=sys.stderr)
        return 130
