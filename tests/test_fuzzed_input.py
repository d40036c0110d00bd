"""Property-based checks of wgan's input handling: generated configs, point files, image arrays
and checkpoint files either work or fail with a UserError (one line, exit code 2 at the command
line), never another exception, and never change the files of an existing run.

Each property runs `EXAMPLES` generated cases (docs/reliability.md gives the counts).
"""

from __future__ import annotations

import io
import json
import shutil
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import tiny_config, tree_digest
from wgan.config import Config, _known_keys, load_config
from wgan.data.images import load_image_data
from wgan.data.points import load_points
from wgan.errors import UserError
from wgan.training.checkpoint import list_checkpoints
from wgan.training.loop import train_until
from wgan.training.rundir import open_run, start_run

EXAMPLES = 150
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same cases on every run: a failure is reproducible
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
KEYS = _known_keys(Config)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def _misspelt(key: str) -> st.SearchStrategy[str]:
    return st.sampled_from([key + "s", key[:-1], key.replace("_", ""), key.upper(), "x" + key])


keys = st.sampled_from(KEYS) | st.sampled_from(KEYS).flatmap(_misspelt) | st.text(max_size=10)


def _nested(flat: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for dotted, value in flat.items():
        *sections, last = dotted.split(".") if dotted else [""]
        node = out
        for section in sections:
            child = node.setdefault(section, {})
            if not isinstance(child, dict):
                break
            node = child
        else:
            node[last] = value
    return out


def _works_or_user_error(call: Any) -> Any:
    try:
        return call()
    except UserError as error:
        assert "\n" not in str(error), f"a UserError of more than one line: {error}"
        return None


@SETTINGS
@given(config=st.dictionaries(keys, values, max_size=6), raw_document=st.booleans())
def test_any_config_file_loads_or_is_one_line_error(
    tmp_path: Path, config: dict[str, Any], raw_document: bool
) -> None:
    path = tmp_path / "fuzzed.yaml"
    document = config if raw_document else _nested(config)
    try:
        path.write_text(yaml.safe_dump(document, allow_unicode=True))
    except yaml.YAMLError:
        return
    loaded = _works_or_user_error(lambda: load_config(path))
    assert loaded is None or isinstance(loaded, Config)


@SETTINGS
@given(text=st.text(max_size=200))
def test_any_yaml_text_loads_or_is_one_line_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "fuzzed.yaml"
    path.write_text(text)
    _works_or_user_error(lambda: load_config(path))


def _array(shape: tuple[int, ...], dtype: str, fill: float) -> np.ndarray:
    with np.errstate(invalid="ignore"):  # NaN and inf cast to integers on purpose
        return np.full(shape, fill).astype(dtype, casting="unsafe")


arrays = st.builds(
    _array,
    st.lists(st.integers(0, 5), min_size=0, max_size=4).map(tuple),
    st.sampled_from(["float64", "float32", "int64", "uint8", "bool", "complex64", "U3", "O"]),
    st.sampled_from([0.0, 1.5, -3.0, np.nan, np.inf, 255.0]),
)


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


corruptions = st.sampled_from(["none", "truncate", "huge-header", "garbage"])


def _corrupt(data: bytes, how: str, cut: int) -> bytes:
    if how == "truncate":
        return data[: cut % max(len(data), 1)]
    if how == "huge-header":  # a .npy v1 header claiming 60 kB of header
        return data[:8] + struct.pack("<H", 60000) + data[10:]
    if how == "garbage":
        return bytes((b * 31 + cut) % 256 for b in data)
    return data


@SETTINGS
@given(
    array=arrays,
    how=corruptions,
    cut=st.integers(0, 10**6),
    suffix=st.sampled_from([".npy", ".csv"]),
)
def test_any_point_file_loads_or_is_one_line_error(
    tmp_path: Path, array: np.ndarray, how: str, cut: int, suffix: str
) -> None:
    path = tmp_path / f"points{suffix}"
    data = _npy_bytes(array) if suffix == ".npy" else "\n".join(map(str, array.ravel())).encode()
    path.write_bytes(_corrupt(data, how, cut))
    points = _works_or_user_error(lambda: load_points(path))
    if points is not None:
        assert points.ndim == 2 and len(points) > 0 and np.isfinite(points).all()


@SETTINGS
@given(array=arrays, how=corruptions, cut=st.integers(0, 10**6))
def test_any_image_array_loads_or_is_one_line_error(
    tmp_path: Path, array: np.ndarray, how: str, cut: int
) -> None:
    path = tmp_path / "images.npy"
    path.write_bytes(_corrupt(_npy_bytes(array), how, cut))
    _works_or_user_error(lambda: load_image_data(path, resolution=8, channels=1))


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("fuzz") / "run"
    train_until(start_run(tiny_config(steps=2, checkpoint={"every": 2}), run, quiet=True), 2)
    return run


checkpoint_edits = st.sampled_from(
    ["random", "truncate", "header-json", "metadata", "tensor-shape", "tensor-bytes"]
)


def _edited_checkpoint(good: bytes, how: str, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    if how == "random":
        return rng.integers(0, 256, size=int(rng.integers(0, 4096)), dtype=np.uint8).tobytes()
    if how == "truncate":
        return good[: int(rng.integers(0, len(good)))]
    (size,) = struct.unpack("<Q", good[:8])
    header = json.loads(good[8 : 8 + size])
    body = good[8 + size :]
    if how == "header-json":
        text = json.dumps(header).encode()
        text = text[: int(rng.integers(0, len(text)))]  # a header cut short
        return struct.pack("<Q", len(text)) + text + body
    keys = [k for k in header if k != "__metadata__"]
    key = keys[int(rng.integers(0, len(keys)))]
    if how == "metadata":  # the skeleton names a tensor that is not there, or is not JSON
        state = header["__metadata__"]["state"]
        header["__metadata__"]["state"] = rng.choice(
            [state.replace('"t0"', '"t999"'), state[: len(state) // 2], "[]", "{}", "null"]
        )
    elif how == "tensor-shape":
        header[key]["shape"] = [int(rng.integers(1, 5)), *header[key]["shape"][1:]]
        begin, end = header[key]["data_offsets"]
        itemsize = (end - begin) // max(int(np.prod(header[key]["shape"] or [1])), 1) or 4
        header[key]["data_offsets"] = [begin, begin + itemsize * int(np.prod(header[key]["shape"]))]
    else:
        body = bytes(rng.integers(0, 256, size=len(body), dtype=np.uint8))
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + body


@SETTINGS
@given(how=checkpoint_edits, seed=st.integers(0, 2**32 - 1))
def test_any_checkpoint_file_opens_or_is_one_line_error(
    trained: Path, tmp_path: Path, how: str, seed: int
) -> None:
    run = tmp_path / "run"
    if run.exists():
        shutil.rmtree(run)
    shutil.copytree(trained, run)
    _, good = list_checkpoints(run)[-1]
    newest = run / "checkpoints" / "step-00000009.safetensors"
    newest.write_bytes(_edited_checkpoint(good.read_bytes(), how, seed))
    before = tree_digest(run)
    trainer = _works_or_user_error(lambda: open_run(run, quiet=True))
    assert tree_digest(run) == before  # a reader changes nothing, whatever it found
    if trainer is not None:
        assert trainer.step in (2, 9)
        sample = trainer.sample(4)
        assert sample.shape == (4, 2)
