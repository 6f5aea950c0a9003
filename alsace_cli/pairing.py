"""The pairing rule of ALSACE: every teacher teaches every other language; students never teach each other
(unless an ablation asks). Pure functions of a table of (id, lang) rows and each language's role;
stages/pairs.py explains the ablations."""

from __future__ import annotations

import numpy as np
import pandas as pd

COLUMNS = ("id", "student_lang", "teacher_lang", "pair_type")


def weak_languages(scores: dict[str, float], roles: dict[str, str], role: str) -> set[str]:
    """The languages of `role` whose ŝ is below the group's mean (none if the group has one language)."""
    group = {lang: scores[lang] for lang, r in roles.items() if r == role}
    if len(group) < 2:
        return set()
    mean = sum(group.values()) / len(group)
    return {lang for lang, score in group.items() if score < mean - 1e-12}


def make_pairs_frame(
    frame: pd.DataFrame,
    roles: dict[str, str],
    *,
    no_students: set[str] = frozenset(),  # type: ignore[assignment]
    no_teachers: set[str] = frozenset(),  # type: ignore[assignment]
    student_pairs: bool = False,
) -> tuple[pd.DataFrame, int]:
    """All allowed pairs over the ids of `frame`, in id order of first appearance; returns (pairs, dropped).

    `no_students` never appear on the student side, `no_teachers` never on the teacher side; with
    `student_pairs` students teach each other too."""
    ids = pd.unique(frame["id"])
    present = pd.crosstab(frame["id"], frame["lang"]).reindex(ids).gt(0)
    teaching = {"teacher", "student"} if student_pairs else {"teacher"}
    teachers = sorted(lang for lang, role in roles.items() if role in teaching and lang not in no_teachers)
    parts, dropped = [], 0
    for teacher in teachers:
        for student in sorted(roles):
            if student == teacher or student in no_students:
                continue
            have = present.index[present[student].to_numpy() & present[teacher].to_numpy()]
            dropped += len(ids) - len(have)
            pair_type = f"{roles[student]}-{roles[teacher]}"
            parts.append(
                pd.DataFrame(
                    {"id": have, "student_lang": student, "teacher_lang": teacher, "pair_type": pair_type}
                )
            )
    pairs = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(COLUMNS))
    order = pairs["id"].map({key: i for i, key in enumerate(ids)})
    pairs = pairs.iloc[np.lexsort((pairs["student_lang"], pairs["teacher_lang"], order))]
    return pairs.reset_index(drop=True), dropped
