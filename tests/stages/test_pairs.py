from __future__ import annotations

import pandas as pd

from alsace_cli.stages.pairs import make_pairs_frame


def _frame(present: dict[str, list[str]]) -> pd.DataFrame:
    return pd.DataFrame([{"id": i, "lang": lang} for i, langs in present.items() for lang in langs])


def test_pairs_are_teacher_taught_and_never_student_student() -> None:
    frame = _frame({"a": ["en", "de", "sw", "ur"]})
    roles = {"en": "teacher", "de": "teacher", "sw": "student", "ur": "student"}
    pairs, dropped = make_pairs_frame(frame, roles)
    got = set(zip(pairs["student_lang"], pairs["teacher_lang"], strict=True))
    assert got == {("de", "en"), ("en", "de"), ("sw", "en"), ("ur", "en"), ("sw", "de"), ("ur", "de")}
    assert dropped == 0
    assert set(pairs.loc[pairs["student_lang"].isin(["en", "de"]), "pair_type"]) == {"teacher-teacher"}
    assert set(pairs.loc[pairs["student_lang"].isin(["sw", "ur"]), "pair_type"]) == {"student-teacher"}
    assert not any(roles[s] == "student" and roles[t] == "student" for s, t in got)


def test_ids_missing_in_a_language_are_dropped_and_counted() -> None:
    frame = _frame({"a": ["en", "sw", "de"], "b": ["en", "de"], "c": ["sw", "de"]})
    roles = {"en": "teacher", "de": "student", "sw": "student"}
    pairs, dropped = make_pairs_frame(frame, roles)
    assert list(zip(pairs["id"], pairs["student_lang"], strict=True)) == [
        ("a", "de"),
        ("a", "sw"),
        ("b", "de"),
    ]
    # (de, en): c lacks en → 1 dropped; (sw, en): b and c → 2 dropped
    assert dropped == 3


def test_single_teacher_language_alone_makes_no_pairs() -> None:
    pairs, dropped = make_pairs_frame(_frame({"a": ["en"]}), {"en": "teacher"})
    assert pairs.empty and dropped == 0
