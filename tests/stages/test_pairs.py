from __future__ import annotations

import pandas as pd

from alsace_cli.method.pairing import make_pairs_frame, weak_languages


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


ROLES = {"en": "teacher", "de": "teacher", "fr": "teacher", "sw": "student", "ur": "student", "hi": "student"}
SCORES = {"en": 0.30, "de": 0.20, "fr": 0.10, "sw": 0.14, "ur": 0.10, "hi": 0.16}


def test_weak_means_below_the_mean_score_of_its_own_group() -> None:
    assert weak_languages(SCORES, ROLES, "teacher") == {"fr"}  # teachers' mean 0.20: de is not weak
    assert weak_languages(SCORES, ROLES, "student") == {"ur"}  # students' mean 0.1333
    assert weak_languages({"en": 1.0}, {"en": "teacher"}, "teacher") == set()


def test_ablation_options_remove_or_add_exactly_their_pairs() -> None:
    frame = _frame({"a": list(ROLES)})
    full, _ = make_pairs_frame(frame, ROLES)
    no_weak_students, _ = make_pairs_frame(frame, ROLES, no_students={"ur"})
    assert "ur" not in set(no_weak_students["student_lang"])
    assert len(no_weak_students) == len(full) - 3  # ur loses its 3 teachers
    no_weak_teachers, _ = make_pairs_frame(frame, ROLES, no_teachers={"fr"})
    assert "fr" not in set(no_weak_teachers["teacher_lang"]) and "fr" in set(no_weak_teachers["student_lang"])
    assert len(no_weak_teachers) == len(full) - 5
    with_students, _ = make_pairs_frame(frame, ROLES, student_pairs=True)
    student_student = with_students[with_students["pair_type"] == "student-student"]
    assert len(with_students) == 6 * 5 and len(student_student) == 3 * 2
    assert set(full["pair_type"]) == {"student-teacher", "teacher-teacher"}
