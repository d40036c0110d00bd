"""The `wgan` command line: a thin layer that builds a config and calls the library."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from wgan import __version__
from wgan.errors import UserError


def _demo_training(out: Path | None) -> int:
    raise UserError("the training demo is not available yet")


# `wgan demo TOPIC`: each topic writes its figures and tables into an output directory.
DEMOS: dict[str, tuple[str, Callable[[Path | None], int]]] = {
    "training": ("train the default preset and write its report", _demo_training),
}


def _cmd_demo(args: argparse.Namespace) -> int:
    _, run_demo = DEMOS[args.topic]
    return run_demo(args.out)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wgan",
        description="Wasserstein GANs (WGAN, WGAN-GP) and the GAN family, "
        "checked against exact optimal-transport distances.",
    )
    parser.add_argument("--version", action="version", version=f"wgan {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo = sub.add_parser("demo", help="run a demonstration and write its figures")
    demo.add_argument(
        "topic",
        nargs="?",
        default="training",
        choices=sorted(DEMOS),
        help="what to demonstrate (default: training)",
    )
    demo.add_argument("--out", type=Path, default=None, help="output directory (default: runs/demo-TOPIC)")
    demo.set_defaults(func=_cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except UserError as err:
        print(f"wgan: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("wgan: interrupted", file=sys.stderr)
        return 130
