"""Signs that a run is failing, read off its evaluation records, with what to try.

- The critic is blind: its W estimate between held-out and generated samples has fallen far below
  the exact W1 between the same sets, at two evaluations in a row, while W1 is well above its
  noise floor. The generator's gradient comes from the critic, so it no longer learns what the
  exact distance still measures.
- W1 ended far above its noise floor (checked at the end of a run), and whether it was still
  falling over the run's second half.
- Modes were lost: fewer modes covered than at an earlier evaluation.

Each is a plain function of the records, so the training log, report.md and report.png say the
same. Only runs whose critic estimates W1 (the Wasserstein loss with a gradient penalty) get the
first check.
"""

from __future__ import annotations

from typing import Any

FAR_ABOVE_FLOOR = 1.5  # W1 / noise floor beyond which a run has not reached the data
BLIND_FRACTION = 0.1  # a critic estimate below this share of the exact W1 is blind
STALLED_GAIN = 0.1  # a second half that lowers W1 / floor by less than this share has stalled


def _ratio(record: dict[str, Any]) -> float | None:
    w1, floor = record.get("w1"), record.get("w1_noise_floor")
    if w1 is None or not floor:
        return None
    return float(w1) / float(floor)


def _blind(record: dict[str, Any]) -> bool:
    ratio, estimate = _ratio(record), record.get("critic_w_estimate")
    exact = record.get("w1_standardized") or record.get("w1")  # in the critic's units
    if ratio is None or estimate is None or exact is None or record["step"] == 0:
        return False
    return ratio > FAR_ABOVE_FLOOR and estimate < BLIND_FRACTION * float(exact)


def diagnose(config: dict[str, Any], records: list[dict[str, Any]], *, finished: bool) -> list[str]:
    """The warnings of a run (config as a dict, its metrics records in order); `finished` adds
    the end-of-run check of W1 against its floor."""
    evals = [r for r in records if r.get("kind") == "eval" and r.get("w1") is not None]
    warnings = []
    estimates_w1 = config["loss"] == "wasserstein" and config["lipschitz"]["method"].startswith(
        "gp"
    )
    if estimates_w1 and len(evals) >= 2 and _blind(evals[-1]) and _blind(evals[-2]):
        last = evals[-1]
        exact = last.get("w1_standardized") or last["w1"]
        warnings.append(
            f"the critic is blind: at step {last['step']} its W estimate is "
            f"{last['critic_w_estimate']:.3g} against an exact W1 of {exact:.3g} between the "
            f"same samples ({_ratio(last):.1f} times the noise floor), so the generator gets "
            "little signal; try more critic steps (n_critic), a lower learning rate "
            "(optimizer.lr_critic, optimizer.lr_generator) or a wider critic "
            "(model.critic_width)"
        )
    covered = [r.get("modes_covered") for r in evals]
    if covered and covered[-1] is not None:
        best = max(c for c in covered if c is not None)
        if covered[-1] < best:
            when = next(r["step"] for r in evals if r.get("modes_covered") == best)
            warnings.append(
                f"modes lost: {covered[-1]} of {evals[-1]['modes_total']} covered at step "
                f"{evals[-1]['step']}, {best} at step {when}; the generator is collapsing "
                "onto fewer modes: try a lower learning rate, a longer linear decay, or an EMA "
                "generator (ema_decay)"
            )
    ratio = _ratio(evals[-1]) if evals else None
    if finished and ratio is not None and ratio > FAR_ABOVE_FLOOR:
        halfway = next((r for r in evals if r["step"] >= evals[-1]["step"] / 2), evals[-1])
        before = _ratio(halfway)
        stalled = before is not None and ratio > (1 - STALLED_GAIN) * before
        trend = (
            f"and had stalled (it was {before:.2f} at step {halfway['step']})"
            if stalled
            else "and was still falling"
        )
        advice = (
            "more steps will not help as they are: try a lower learning rate or a larger model"
            if stalled
            else f"train longer (wgan resume RUN --steps {2 * evals[-1]['step']}, or --time)"
        )
        warnings.append(
            f"W1 ended at {ratio:.2f} times its noise floor (1 is a generator that this sample "
            f"size cannot tell from the data) {trend}; {advice}"
        )
    return warnings
