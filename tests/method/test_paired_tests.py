"""Paired comparisons: McNemar's exact p by hand, and bootstrap intervals that behave as they must."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alsace_cli.method.paired_tests import Outcomes, compare, mcnemar_exact


def test_mcnemar_exact_matches_hand_computed_values() -> None:
    before = np.array([1, 1, 1, 0, 0, 1, 1], dtype=float)
    after = np.array([0, 0, 1, 1, 0, 1, 1], dtype=float)
    # 1 gained, 2 lost: 2 · P(X ≤ 1 | n = 3) = 2 · (1 + 3) / 8 = 1.0
    assert mcnemar_exact(before, after) == (1, 2, 1.0)
    # 0 gained, 6 lost: 2 · P(X ≤ 0 | n = 6) = 2 / 64
    assert mcnemar_exact(np.ones(6), np.zeros(6)) == (0, 6, pytest.approx(2 / 64))
    assert mcnemar_exact(np.ones(3), np.ones(3)) == (0, 0, 1.0)


def _outcomes(matrix: np.ndarray, languages=("de", "en", "fr")) -> Outcomes:
    n = matrix.shape[1]
    ids = np.tile(np.arange(n), len(languages)).astype(str)
    langs = np.repeat(languages, n)
    return Outcomes.from_rows(ids, langs, matrix.ravel(), pd.Index(np.arange(n).astype(str)), list(languages))


def test_identical_models_differ_by_zero_and_a_better_one_by_its_gain() -> None:
    rng = np.random.default_rng(0)
    base = rng.integers(0, 2, size=(3, 200)).astype(float)
    same = {row["lang"] or row["what"]: row for row in compare(_outcomes(base), _outcomes(base), "en")}
    assert all(r["difference"] == 0 and r["ci_low"] == 0 == r["ci_high"] for r in same.values())
    better = base.copy()
    better[0, :20] = 1 - better[0, :20]  # 20 of de's 200 answers flip
    flipped = {
        row["lang"] or row["what"]: row for row in compare(_outcomes(base), _outcomes(better), "en", seed=3)
    }
    de = flipped["de"]
    assert de["difference"] == pytest.approx(100 * (better[0].mean() - base[0].mean()))
    assert de["gained"] + de["lost"] == 20 and de["ci_low"] <= de["difference"] <= de["ci_high"]
    assert flipped["average"]["difference"] == pytest.approx(de["difference"] / 3)
    # The gap (en minus the others' mean) moves by minus half de's change: de is one of two other languages.
    assert flipped["gap"]["difference"] == pytest.approx(-de["difference"] / 2)
    assert flipped["en"]["difference"] == 0 and flipped["en"]["p_mcnemar"] == 1.0


def test_the_interval_is_seeded_and_narrows_with_more_ids() -> None:
    rng = np.random.default_rng(1)
    small, large = (
        rng.integers(0, 2, size=(3, 100)).astype(float),
        rng.integers(0, 2, size=(3, 2000)).astype(float),
    )
    widths = []
    for base in (small, large):
        other = np.where(rng.random(base.shape) < 0.1, 1 - base, base)
        first = compare(_outcomes(base), _outcomes(other), "en", seed=7)
        assert first == compare(_outcomes(base), _outcomes(other), "en", seed=7)
        average = next(r for r in first if r["what"] == "average")
        widths.append(average["ci_high"] - average["ci_low"])
    assert widths[1] < widths[0] / 2


def test_a_language_missing_an_id_is_scored_on_the_ids_it_has() -> None:
    base = np.ones((3, 10))
    other = base.copy()
    other[1, 0] = 0.0
    outcomes_a, outcomes_b = _outcomes(base), _outcomes(other)
    outcomes_a.matrix[1, 9] = np.nan  # en lacks id 9
    outcomes_b.matrix[1, 9] = np.nan
    en = next(r for r in compare(outcomes_a, outcomes_b, "en") if r["lang"] == "en")
    assert en["difference"] == pytest.approx(-100 / 9) and en["lost"] == 1
