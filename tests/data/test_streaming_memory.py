"""Training on an image set larger than the in-memory threshold streams it from its memory-mapped
file: the process's own (anonymous) memory stays that of a small set, not the set's size."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

SRC = Path(__file__).parents[2] / "src"
MEASURE = r"""
import json, sys, threading, time
from pathlib import Path
import torch
from wgan.data import sources
sources.RESIDENT_IMAGE_BYTES = int(sys.argv[3])  # the threshold, scaled down with the data
from conftest import tiny_image_config
from wgan.training.loop import train_until
from wgan.training.rundir import start_run


def anon_mb():
    for line in open("/proc/self/status"):
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) / 1024


peak, done = [anon_mb()], threading.Event()


def watch():
    while not done.is_set():
        peak.append(anon_mb())
        time.sleep(0.005)


config = tiny_image_config(
    steps=40, data={"name": "images", "path": sys.argv[1], "resolution": 16},
    eval={"every": 40, "n": 64}, checkpoint={"every": 40}, log={"every": 40},
)
trainer = start_run(config, Path(sys.argv[2]), quiet=True)
start = anon_mb()
thread = threading.Thread(target=watch)
thread.start()
train_until(trainer, 40)  # 40 batches of 16: a third of an epoch of the large set
done.set()
thread.join()
print(json.dumps({"start": start, "peak": max(peak), "resident": trainer.source.resident is not None}))
"""


def _measure(tmp_path: Path, n_images: int, threshold: int) -> dict[str, float]:
    data = tmp_path / f"images-{n_images}.npy"
    rng = np.random.default_rng(0)
    np.save(data, rng.integers(0, 256, size=(n_images, 16, 16), dtype=np.uint8))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), str(Path(__file__).parents[1])]),
        "OMP_NUM_THREADS": "1",
    }
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            MEASURE,
            str(data),
            str(tmp_path / f"run-{n_images}"),
            str(threshold),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_a_large_memory_mapped_set_streams_in_bounded_memory(tmp_path: Path) -> None:
    threshold = 1 << 20  # 1 MB: both sets below are streamed, as sets over 1 GB are by default
    small = _measure(tmp_path, 2_000, threshold)  # 0.5 MB stored, 2 MB as float32
    large = _measure(tmp_path, 60_000, threshold)  # 15 MB stored, 61 MB as float32
    assert not small["resident"] and not large["resident"]
    # A float32 copy of the large set would add 61 MB, a uint8 copy 15 MB; streaming adds
    # nothing that grows with the set (a margin of 8 MB for the allocator's noise).
    assert large["peak"] - small["peak"] < 8.0, (small, large)


def test_a_set_under_the_threshold_is_kept_resident(tmp_path: Path) -> None:
    resident = _measure(tmp_path, 2_000, 1 << 30)
    assert resident["resident"]
