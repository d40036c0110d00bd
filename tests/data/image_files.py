"""Writers of small image files in the real formats, for the loader tests."""

from __future__ import annotations

import gzip
import pickle
import struct
from pathlib import Path

import numpy as np

_IDX_CODES = {np.dtype(np.uint8): 0x08, np.dtype(">f4"): 0x0D}


def write_idx(path: Path, array: np.ndarray, *, compress: bool = False) -> Path:
    """An IDX file as yann.lecun.com gives MNIST: magic, big-endian sizes, row-major values."""
    array = np.asarray(array)
    code = _IDX_CODES[array.dtype]
    payload = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload += array.tobytes()
    if compress:
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(payload))
    else:
        path.write_bytes(payload)
    return path


def write_mnist(
    root: Path, images: np.ndarray, labels: np.ndarray | None, *, prefix: str, compress: bool
) -> None:
    root.mkdir(parents=True, exist_ok=True)
    write_idx(root / f"{prefix}-images-idx3-ubyte", images, compress=compress)
    if labels is not None:
        write_idx(root / f"{prefix}-labels-idx1-ubyte", labels, compress=compress)


def write_cifar_batch(path: Path, images: np.ndarray, labels: list[int]) -> None:
    """A CIFAR-10 python batch: a pickled dict with byte-string keys, data (n, 3072) uint8."""
    batch = {
        b"batch_label": b"training batch 1 of 5",
        b"labels": labels,
        b"data": images.reshape(len(images), -1),
        b"filenames": [f"img_{i}.png".encode() for i in range(len(images))],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        pickle.dump(batch, handle, protocol=2)


def patch_digits(rng: np.random.Generator, n: int, side: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """n grey images (n, side, side) uint8 of ten easy classes and their labels: class k is a
    bright 2x2 patch at the k-th of ten places on faint noise, so a small CNN learns them at once."""
    labels = rng.integers(0, 10, size=n).astype(np.uint8)
    images = rng.integers(0, 40, size=(n, side, side)).astype(np.uint8)
    for i, k in enumerate(labels):
        row, col = 2 * (int(k) // 4), 2 * (int(k) % 4)
        images[i, row : row + 2, col : col + 2] = 255
    return images, labels
