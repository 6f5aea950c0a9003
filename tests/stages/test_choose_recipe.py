"""`--recipe auto`'s choice: Holm's correction over every check of every candidate, then the best dev score."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alsace_cli.io.artifacts import write_artifact
from alsace_cli.method.paired_tests import holm_adjusted, mean_difference_interval
from alsace_cli.stages.choose_recipe import choose


def test_holm_matches_hand_computed_values() -> None:
    # sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1: 0.02, 0.03, 0.06, 0.04 → kept monotone: 0.06
    assert holm_adjusted([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm_adjusted([0.5, 0.9]) == pytest.approx([1.0, 1.0])


def test_the_interval_resamples_ids() -> None:
    ids = np.repeat(np.arange(200).astype(str), 2)
    low, high = mean_difference_interval(ids, np.ones(400))
    assert low == high == pytest.approx(100.0)
    low, high = mean_difference_interval(ids, np.tile([1.0, -1.0], 200))  # within each id: no change
    assert low == high == pytest.approx(0.0)


def candidate(root: Path, name: str, p_by_step: dict[int, float], kept_step: int, gained: int) -> str:
    """A distilled candidate's files as the guard leaves them: 100 dev rows, `gained` right only at the kept step."""
    directory = root / name
    directory.mkdir()
    step0 = np.zeros(100)
    kept = step0.copy()
    kept[:gained] = 1.0
    guard = {"kept_step": kept_step, "dev_judged_on": "100 dev rows in 2 languages", "dev_score_step0": 0.0}
    (directory / "alsace_provenance.json").write_text(json.dumps({"guard": guard}))
    log = pd.DataFrame(
        {
            "step": [0, *p_by_step],
            "epoch": 0.0,
            "loss": 0.0,
            "lr": 0.0,
            "dev_p_better": [None, *p_by_step.values()],
        }
    )
    write_artifact(log, directory / "train_log.parquet", "train_log")
    rows = pd.DataFrame(
        {
            "id": [str(i % 50) for i in range(100)],
            "lang": ["en"] * 50 + ["de"] * 50,
            "step0": step0,
            "kept": kept,
        }
    )
    write_artifact(rows, directory / "guard_dev.parquet", "guard_dev")
    return str(directory)


def test_the_best_of_many_noisy_checks_is_not_a_gain(tmp_path: Path) -> None:
    """Each candidate's best check has p = 0.01, significant alone; over 3 × 6 checks it is not."""
    checks = {25: 0.5, 50: 0.01, 75: 0.4, 100: 0.6, 125: 0.3, 150: 0.7}
    found = {name: candidate(tmp_path, name, checks, 50, 10) for name in ("a", "b", "c")}
    winner, summaries = choose(found, 0.05)
    assert winner is None and all(s["p_holm"] == pytest.approx(0.18) for s in summaries)


def test_a_candidate_that_survives_the_correction_wins(tmp_path: Path) -> None:
    strong = {25: 0.3, 50: 0.0001}
    weak = {25: 0.04, 50: 0.2}
    found = {
        "weak": candidate(tmp_path, "weak", weak, 25, 20),
        "strong": candidate(tmp_path, "strong", strong, 50, 15),
        "none": candidate(tmp_path, "none", {25: 0.9, 50: 0.9}, 0, 0),
    }
    winner, summaries = choose(found, 0.05)
    assert winner["recipe"] == "strong" and winner["p_holm"] == pytest.approx(0.0006)
    weak_row = next(s for s in summaries if s["recipe"] == "weak")
    assert (
        not weak_row["qualifies"] and weak_row["dev_kept"] > winner["dev_kept"]
    )  # a better score, not shown
    assert winner["change_points"] == pytest.approx(15.0) and winner["ci_low"] > 0
