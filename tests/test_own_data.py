"""`wgan train --data FILE` as a new user runs it: named after the file, standardised, timed,
and told when it ends far from the data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from wgan.cli import main

TINY = ["--set", "model.generator_width=16", "--set", "model.critic_width=16"]
TINY += ["--set", "eval.n=100", "--set", "eval.every=3", "--steps", "6"]


def test_a_run_on_a_file_is_named_after_it_and_warns_when_far_from_the_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(0)
    data = tmp_path / "prices.npy"
    np.save(data, rng.standard_normal((500, 2)) * [150.0, 2.0] + [1200.0, -7.0])
    out = tmp_path / "run"
    assert main(["train", "--data", str(data), *TINY, "--out", str(out)]) == 0
    config = yaml.safe_load((out / "config.yaml").read_text())
    assert config["name"] == "prices-wgan-gp" and config["data"]["standardize"] is True
    report = (out / "report.md").read_text()
    assert report.startswith("# prices-wgan-gp")
    # Six steps end far above the noise floor: the log and the report say so, with advice.
    err = capsys.readouterr().err
    assert "wgan: warning: W1 ended at" in err
    assert "wgan: note: 400 training points: the defaults were chosen on 16 000" in err
    assert "## Warnings" in report and "times its noise floor" in report
    records = [json.loads(line) for line in (out / "metrics.jsonl").open()]
    seconds = [r["elapsed_s"] for r in records if r["kind"] == "eval"]
    assert len(seconds) == 3 and seconds == sorted(seconds) and seconds[-1] > 0
    evals = [r for r in records if r["kind"] == "eval"]
    assert all(r["w1"] > 10 * r["w1_standardized"] for r in evals)  # data units vs standardised
