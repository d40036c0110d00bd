"""Run by tests/test_distributed.py under torchrun (2 CPU processes, gloo): each scenario's
results go to files in OUT, one per rank, for the test to compare with a single process.

    python -m torch.distributed.run --standalone --nproc_per_node 2 distributed_worker.py MODE OUT [DATA]
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
from pathlib import Path

import torch
import torch.distributed as dist
from safetensors.torch import save_file

from conftest import tiny_config
from wgan import distributed
from wgan.config import Config
from wgan.errors import UserError
from wgan.training.checkpoint import list_checkpoints
from wgan.training.guard import NonFiniteLossError
from wgan.training.loop import train_until
from wgan.training.rundir import make_trainer, open_run, start_run
from wgan.training.trainer import Trainer

# SiLU rather than ReLU: a ReLU unit active for the whole batch gives its bias a gradient that is
# zero up to rounding (a constant shift of the critic), and Adam or RMSprop, which divide by the
# gradient's size, turn that rounding into a step of +-lr in any computation whose summation
# order differs (another thread count, another shard size). With SiLU no gradient is that small
# (measured: the smallest nonzero one is 2e-5 of the largest, against 5e-9 with ReLU).
SMOOTH = {"generator_width": 32, "critic_width": 32, "generator_depth": 2, "critic_depth": 2}
SMOOTH |= {"activation": "silu"}


RESUME_TO = 8


def step_configs(data: str) -> dict[str, Config]:
    """The configs whose steps the test compares with one process (shared with the test)."""
    points = {"name": "points", "path": data}
    return {
        "gp-toy": tiny_config(n_critic=5, model=SMOOTH),
        "gp-points": tiny_config(
            n_critic=3, model=SMOOTH, data=points, lipschitz={"method": "gp-one-sided"}
        ),
        # The conditional GANs and CycleGAN: labels and codes are drawn for the global batch.
        "cgan-toy": tiny_config(n_critic=2, model=SMOOTH, gan="cgan"),
        "acgan-toy": tiny_config(n_critic=2, model=SMOOTH, gan="acgan"),
        "infogan-toy": tiny_config(n_critic=2, model=SMOOTH, gan="infogan"),
        "cyclegan-points": tiny_config(
            n_critic=2,
            model=SMOOTH,
            gan="cyclegan",
            data={"name": "swissroll"},
            data_b={"name": "swissroll", "transform": "rotate90"},
        ),
        "clip-points": tiny_config(
            n_critic=5,
            model=SMOOTH,
            data=points,
            lipschitz={"method": "clip", "clip": 0.05},
            optimizer={"name": "rmsprop", "lr_critic": 5e-3, "lr_generator": 5e-3},
        ),
        # The GAN family: instance noise and feature matching draw the global batch's numbers and
        # keep this process's rows; feature matching's batch means are exchanged.
        "hinge-sn-noise-fm-toy": tiny_config(
            n_critic=2,
            model=SMOOTH,
            loss="hinge",
            lipschitz={"method": "sn"},
            stabilizers={"instance_noise": {"std": 0.1}, "feature_matching": True},
        ),
        "nsgan-gp-fm-points": tiny_config(
            n_critic=2,
            model=SMOOTH,
            data=points,
            loss="nonsaturating",
            stabilizers={"instance_noise": {"std": 0.1}, "feature_matching": True},
        ),
        "ebgan-noise-points": tiny_config(
            n_critic=1,
            model=SMOOTH,
            data=points,
            loss="ebgan",
            lipschitz={"method": "none"},
            ebgan={"margin": 0.5},
            stabilizers={"instance_noise": {"std": 0.1}},
        ),
    }


def model_tensors(trainer: Trainer) -> dict[str, torch.Tensor]:
    """Every parameter and buffer of both models and every optimizer state tensor, by name."""
    tensors = {f"generator.{k}": v for k, v in trainer.generator.state_dict().items()}
    tensors |= {f"critic.{k}": v for k, v in trainer.critic.state_dict().items()}
    for label, opt in (("g_opt", trainer.g_opt), ("d_opt", trainer.d_opt)):
        for index, state in opt.state_dict()["state"].items():
            for key, value in state.items():
                if isinstance(value, torch.Tensor):
                    tensors[f"{label}.{index}.{key}"] = value
    return {k: v.detach().clone().contiguous() for k, v in tensors.items()}


def run_steps(out: Path, data: str) -> None:
    """Two full steps (n_critic critic steps, one generator step) of every config, then the
    run in OUT/resumed, made by one process, resumed by two to step RESUME_TO."""
    rank = distributed.rank()
    for name, config in step_configs(data).items():
        trainer = make_trainer(config, out / name, quiet=True)
        for step in (1, 2):
            trainer.train_step()
            save_file(model_tensors(trainer), out / f"{name}-step{step}-rank{rank}.safetensors")
    train_until(open_run(out / "resumed", steps=RESUME_TO, quiet=True), RESUME_TO)


def _summed_not_averaged(optimizer: torch.optim.Optimizer) -> None:
    """`average_gradients_before_step` without its division by the number of processes."""

    def add(opt: torch.optim.Optimizer, args: object, kwargs: object) -> None:
        for group in opt.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    dist.all_reduce(p.grad)

    optimizer.register_step_pre_hook(add)


BROKEN = {  # what each broken variant does instead, and the configs it is run on
    "no-all-reduce": ("average_gradients_before_step", lambda optimizer: None),
    "no-division": ("average_gradients_before_step", _summed_not_averaged),
    "no-feature-all-reduce": ("batch_mean", lambda values: values.mean(0, keepdim=True)),
}
BROKEN_CONFIGS = {
    "no-all-reduce": ("gp-toy", "clip-points"),
    "no-division": ("gp-toy", "clip-points"),
    "no-feature-all-reduce": ("hinge-sn-noise-fm-toy",),
}


def run_broken(out: Path, data: str) -> None:
    """Two steps of some of `step_configs` with the gradient averaging (or the feature means'
    all-reduce) broken as in BROKEN; the test expects them to differ from one process."""
    rank = distributed.rank()
    configs = step_configs(data)
    for variant, (name, broken) in BROKEN.items():
        original = getattr(distributed, name)
        setattr(distributed, name, broken)
        try:
            for config_name in BROKEN_CONFIGS[variant]:
                trainer = make_trainer(
                    configs[config_name], out / variant / config_name, quiet=True
                )
                for _ in (1, 2):
                    trainer.train_step()
                tensors = model_tensors(trainer)
                save_file(tensors, out / f"{variant}-{config_name}-rank{rank}.safetensors")
        finally:
            setattr(distributed, name, original)


def run_mismatch(out: Path) -> None:
    """Each process resumes a run directory whose newest checkpoint differs from the other's, as
    when the run directory is not on a file system that every node shares."""
    rank = distributed.rank()
    run = out / f"run-rank{rank}"
    if rank == 1:
        shutil.copytree(out / "run-rank0", run)
        newest = list_checkpoints(run)[-1][1]
        newest.unlink()  # this node never saw the newest checkpoint
    try:
        open_run(run, steps=8, quiet=True)
        result: dict[str, object] = {"error": None}
    except UserError as err:
        result = {"error": str(err)}
    (out / f"mismatch-rank{rank}.json").write_text(json.dumps(result))


def run_agreement(out: Path) -> None:
    """Rank 1 alone fails on its input, gets SIGTERM, or gets a NaN in its statistics."""
    rank = distributed.rank()
    results: dict[str, object] = {}
    try:
        with distributed.all_or_none():
            if rank == 1:
                raise UserError("points.npy: no such file")
    except UserError as err:
        results["input"] = str(err)

    config = tiny_config(steps=50, checkpoint={"every": 100, "keep": 2})

    trainer = start_run(config, out / "signal", quiet=True)
    step_once = trainer.train_step

    def signal_at_step_3() -> None:
        step_once()
        if rank == 1 and trainer.step == 3:
            os.kill(os.getpid(), signal.SIGTERM)

    trainer.train_step = signal_at_step_3  # type: ignore[method-assign]
    finished = train_until(trainer, 50)
    results["signal"] = {"finished": finished, "step": trainer.step, "signal": trainer.stop_signal}

    trainer = start_run(config, out / "nan", quiet=True)
    step_once_nan = trainer.train_step

    def nan_at_step_3() -> None:
        step_once_nan()
        if rank == 1 and trainer.step == 3:
            trainer.sums["critic_loss"] = torch.tensor(float("nan"))

    trainer.train_step = nan_at_step_3  # type: ignore[method-assign]
    try:
        train_until(trainer, 50)
        results["nan"] = {"error": None}
    except NonFiniteLossError as err:
        results["nan"] = {"error": str(err), "step": trainer.step}
    (out / f"agreement-rank{rank}.json").write_text(json.dumps(results))


def main() -> None:
    mode, out = sys.argv[1], Path(sys.argv[2])
    torch.set_num_threads(1)
    with distributed.session():
        assert distributed.world_size() == 2
        if mode == "steps":
            run_steps(out, sys.argv[3])
        elif mode == "mistakes":  # one launch for both: torchrun's start is most of the cost
            run_broken(out, sys.argv[3])
            run_mismatch(out)
        else:
            run_agreement(out)


if __name__ == "__main__":
    main()
    # Every result is in its file and the process group is destroyed. Leave without the
    # interpreter's finalisation, where a gloo worker thread still holding a tensor now and then
    # aborts the process ("terminate called without an active exception", exit -6; seen on
    # rank 1 about one run in five once the conditional configs were added, and on the branch
    # before them; see pytorch/pytorch#179291).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
