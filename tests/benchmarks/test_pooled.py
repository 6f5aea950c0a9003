"""benchmarks/pooled.py: the pooled interval is the eval stage's paired bootstrap, averaged over seeds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alsace_cli.method.paired_tests import Outcomes, compare
from tests.benchmarks.test_default_rows import load

LANGUAGES = ["de", "en", "sw"]


def outcomes(rng: np.random.Generator, accuracy: float, ids: int = 200) -> np.ndarray:
    matrix = (rng.random((len(LANGUAGES), ids)) < accuracy).astype(float)
    matrix[2, :10] = np.nan  # a language that lacks a few ids
    return matrix


def test_one_seed_gives_the_eval_stages_figures(monkeypatch) -> None:
    pooled = load("pooled", monkeypatch)
    rng = np.random.default_rng(0)
    base = outcomes(rng, 0.6)
    other = np.where(np.isnan(base), np.nan, outcomes(rng, 0.7))
    mine = pooled._row(pooled.changes([(base, other)], LANGUAGES, "en"))
    rows = compare(Outcomes(LANGUAGES, base), Outcomes(LANGUAGES, other), "en")
    stage = {r.get("lang") or r["what"]: r for r in rows}
    for what in ("en", "average", "gap"):
        for key in ("difference", "ci_low", "ci_high"):
            assert mine[what][key] == pytest.approx(stage[what][key], abs=0.006), (what, key)


def test_a_seed_that_kept_the_fine_tuned_model_halves_the_pooled_change(monkeypatch) -> None:
    pooled = load("pooled", monkeypatch)
    rng = np.random.default_rng(1)
    base, kept = outcomes(rng, 0.6), outcomes(rng, 0.6)
    other = np.where(np.isnan(base), np.nan, outcomes(rng, 0.8))
    alone = pooled.changes([(base, other)], LANGUAGES, "en")
    both = pooled.changes([(base, other), (kept, kept)], LANGUAGES, "en")
    assert alone["average"][0] > 10
    for what in ("en", "average", "gap"):
        assert both[what][0] == pytest.approx(alone[what][0] / 2), what


def test_a_test_row_without_a_prediction_stops_the_script(tmp_path, monkeypatch) -> None:
    pooled = load("pooled", monkeypatch)
    test = pd.DataFrame({"id": ["0", "0", "1"], "lang": ["en", "de", "en"], "label": [0, 1, 1]})
    pd.DataFrame({"id": ["0", "0"], "lang": ["en", "de"], "pred": [0, 0]}).to_parquet(tmp_path / "p.parquet")
    with pytest.raises(SystemExit, match="no prediction for 1 test rows"):
        pooled.correct_matrix(tmp_path / "p.parquet", test, ["de", "en"], pd.Index(["0", "1"]))
