"""The warnings of a failing run, from its records."""

from __future__ import annotations

from typing import Any

from wgan.config import load_config
from wgan.reporting.diagnosis import diagnose

CONFIG = load_config(None).to_dict()


def _eval(step: int, w1: float, estimate: float, **more: Any) -> dict[str, Any]:
    return {
        "kind": "eval",
        "step": step,
        "w1": w1,
        "w1_noise_floor": 0.1,
        "critic_w_estimate": estimate,
        **more,
    }


def test_a_healthy_run_has_no_warnings() -> None:
    records = [_eval(0, 2.0, 0.0), _eval(500, 0.3, 0.25), _eval(1000, 0.11, 0.1)]
    assert diagnose(CONFIG, records, finished=True) == []


def test_a_blind_critic_is_named_after_two_evaluations() -> None:
    one = [_eval(0, 2.0, 0.0), _eval(500, 0.5, 0.01)]
    assert diagnose(CONFIG, one, finished=False) == []  # once may be noise
    two = [*one, _eval(1000, 0.5, -0.02)]
    (warning,) = diagnose(CONFIG, two, finished=False)
    assert warning.startswith("the critic is blind: at step 1000")
    # Near the floor a small estimate is what a good generator gives: no warning.
    close = [_eval(0, 2.0, 0.0), _eval(500, 0.12, 0.0), _eval(1000, 0.12, 0.0)]
    assert diagnose(CONFIG, close, finished=False) == []


def test_the_estimate_of_standardised_runs_is_read_against_their_w1() -> None:
    # W1 in data units is 50; the critic's units are standardised, where W1 is 0.5.
    records = [
        _eval(0, 200.0, 0.0, w1_standardized=2.0, w1_noise_floor=10.0),
        _eval(500, 50.0, 0.4, w1_standardized=0.5, w1_noise_floor=10.0),
        _eval(1000, 50.0, 0.4, w1_standardized=0.5, w1_noise_floor=10.0),
    ]
    assert not any("blind" in w for w in diagnose(CONFIG, records, finished=False))


def test_other_losses_are_not_read_as_w1_estimates() -> None:
    config = CONFIG | {"loss": "nonsaturating"}
    records = [_eval(0, 2.0, 0.0), _eval(500, 0.5, 0.01), _eval(1000, 0.5, 0.0)]
    assert not any("blind" in w for w in diagnose(config, records, finished=False))


def test_lost_modes() -> None:
    records = [
        _eval(0, 2.0, 0.0, modes_covered=3, modes_total=8),
        _eval(500, 0.2, 0.2, modes_covered=8, modes_total=8),
        _eval(1000, 0.2, 0.2, modes_covered=6, modes_total=8),
    ]
    (warning,) = diagnose(CONFIG, records, finished=False)
    assert warning.startswith("modes lost: 6 of 8 covered at step 1000, 8 at step 500")


def test_ending_above_the_floor_says_whether_it_stalled() -> None:
    falling = [_eval(0, 2.0, 0.0), _eval(500, 0.8, 0.7), _eval(1000, 0.3, 0.3)]
    assert diagnose(CONFIG, falling, finished=False) == []  # only at the end
    (warning,) = diagnose(CONFIG, falling, finished=True)
    assert "3.00 times its noise floor" in warning and "still falling" in warning
    assert "wgan resume RUN --steps 2000" in warning
    stalled = [_eval(0, 2.0, 0.0), _eval(500, 0.31, 0.3), _eval(1000, 0.3, 0.3)]
    (warning,) = diagnose(CONFIG, stalled, finished=True)
    assert "had stalled (it was 3.10 at step 500)" in warning
