"""The pair rule's sampler draws from the same distribution as a uniform draw over the full table of pairs,
with and without the ablations and missing translations, and counts the same pairs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alsace_cli.method.pairing import PairRule, PairSampler, make_pairs_frame

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
ROLES = {"en": "student", "de": "teacher", "fr": "teacher", "ru": "teacher", "zh": "student", "ar": "teacher"}


def _frame(drop: int = 0) -> pd.DataFrame:
    frame = pd.read_parquet(SAMPLE / "unlabeled.parquet")[["id", "lang"]]
    return frame.drop(index=frame.index[3 : 3 + drop * 7 : 7]).reset_index(
        drop=True
    )  # some translations missing


def _within_sampling_error(table: pd.Series, drawn: pd.Series, n: int) -> None:
    expected = table / table.sum()
    observed = drawn.reindex(expected.index, fill_value=0) / n
    sd = np.sqrt(expected * (1 - expected) / n)
    assert set(drawn.index) <= set(expected.index)
    assert (np.abs(observed - expected) <= 4.5 * sd + 1e-12).all(), pd.DataFrame(
        {"table": expected, "drawn": observed}
    )


@pytest.mark.parametrize(
    "options",
    [{}, {"no_students": {"zh"}}, {"no_teachers": {"ar"}}, {"student_pairs": True}],
    ids=["paper", "weak-students-out", "weak-teachers-out", "student-pairs"],
)
@pytest.mark.parametrize("drop", [0, 12], ids=["parallel", "missing-translations"])
def test_drawn_pairs_match_the_full_tables_frequencies(options: dict, drop: int) -> None:
    frame = _frame(drop)
    table, dropped = make_pairs_frame(frame, ROLES, **options)
    sampler = PairSampler(PairRule.of(ROLES, **options), frame)
    assert sampler.total == len(table) and sampler.dropped() == dropped
    assert sampler.counts_by_type() == table["pair_type"].value_counts().to_dict()
    n = 40_000
    drawn = sampler.draw(n, seed=7)
    for column in ("pair_type", "teacher_lang", "student_lang", "id"):
        _within_sampling_error(table[column].value_counts(), drawn[column].value_counts(), n)
    joint = lambda f: (f["student_lang"] + ">" + f["teacher_lang"]).value_counts()  # noqa: E731
    _within_sampling_error(joint(table), joint(drawn), n)
    # Every drawn pair is one the table has: never student-student, never a language with itself.
    assert set(map(tuple, drawn[["id", "student_lang", "teacher_lang"]].to_numpy())) <= set(
        map(tuple, table[["id", "student_lang", "teacher_lang"]].to_numpy())
    )


def test_draws_are_seeded() -> None:
    sampler = PairSampler(PairRule.of(ROLES), _frame())
    assert sampler.draw(100, seed=3).equals(sampler.draw(100, seed=3))
    assert not sampler.draw(100, seed=3).equals(sampler.draw(100, seed=4))


def test_qa_pairs_join_question_languages_within_one_context() -> None:
    from alsace_cli.output_types import output_type_of

    spans = output_type_of("qa")
    frame = pd.read_parquet(SAMPLE / "qa_test.parquet")
    roles = {"en": "teacher", "de": "student", "es": "teacher", "zh": "student"}
    table, _ = spans.pairs(frame, roles)
    rows, groups = spans.pairing_rows(frame)
    sampler = PairSampler(PairRule.of(roles), rows, groups)
    assert sampler.total == len(table)
    drawn = sampler.draw(20_000, seed=1)
    assert list(drawn.columns) == ["id", "context_lang", "student_lang", "teacher_lang", "pair_type"]
    _within_sampling_error(table["context_lang"].value_counts(), drawn["context_lang"].value_counts(), 20_000)
    _within_sampling_error(table["teacher_lang"].value_counts(), drawn["teacher_lang"].value_counts(), 20_000)
