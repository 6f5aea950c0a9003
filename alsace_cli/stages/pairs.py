"""Stage 5, make-pairs: (student side, teacher side) pairs of the same instance in two languages.

Every teacher language teaches every other language: student-teacher pairs, and teacher-teacher pairs in
both directions. Student-student pairs are never made: neither side is trusted. A pair needs the instance
in both languages; pairs lost to missing translations are counted and reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from alsace_cli import report
from alsace_cli.artifacts import Artifact, check_known_languages, load_dataset, read_artifact, write_artifact
from alsace_cli.config import config_path_for, save_config
from alsace_cli.errors import AlsaceError
from alsace_cli.provenance import make_provenance

COLUMNS = ("id", "student_lang", "teacher_lang", "pair_type")


@dataclass
class PairsConfig:
    data: str = ""
    languages: str = ""
    out: str = "pairs.parquet"


def make_pairs_frame(frame: pd.DataFrame, roles: dict[str, str]) -> tuple[pd.DataFrame, int]:
    """All allowed pairs over the ids of `frame`, in id order of first appearance; returns (pairs, dropped)."""
    ids = pd.unique(frame["id"])
    present = pd.crosstab(frame["id"], frame["lang"]).reindex(ids).gt(0)
    teachers = sorted(lang for lang, role in roles.items() if role == "teacher")
    parts, dropped = [], 0
    for teacher in teachers:
        for student in sorted(roles):
            if student == teacher:
                continue
            have = present.index[present[student].to_numpy() & present[teacher].to_numpy()]
            dropped += len(ids) - len(have)
            pair_type = "teacher-teacher" if roles[student] == "teacher" else "student-teacher"
            parts.append(
                pd.DataFrame(
                    {"id": have, "student_lang": student, "teacher_lang": teacher, "pair_type": pair_type}
                )
            )
    pairs = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(COLUMNS))
    order = pairs["id"].map({key: i for i, key in enumerate(ids)})
    pairs = pairs.iloc[np.lexsort((pairs["student_lang"], pairs["teacher_lang"], order))]
    return pairs.reset_index(drop=True), dropped


def make_pairs(config: PairsConfig) -> Artifact:
    dataset = load_dataset(config.data)
    languages = read_artifact(config.languages, "languages")
    roles = dict(zip(languages.frame["lang"], languages.frame["role"], strict=True))
    bad_roles = sorted(set(roles.values()) - {"teacher", "student"})
    if bad_roles:
        raise AlsaceError(
            f"{config.languages}: column 'role': unknown role {bad_roles[0]!r} (teacher or student)"
        )
    check_known_languages(languages.path, list(roles), dataset.languages)
    without_role = [lang for lang in dataset.languages if lang not in roles]
    if without_role:
        raise AlsaceError(
            f"{config.data}: lang {without_role[0]!r} has no role in {config.languages} "
            "(run select on predictions for this dataset)"
        )
    pairs, dropped = make_pairs_frame(dataset.frame, roles)
    if pairs.empty:
        raise AlsaceError(
            f"{config.languages}: no pairs can be made: need a teacher and at least one other language "
            "that share ids"
        )
    meta = {
        "dropped_missing_translation": dropped,
        "teachers": sorted(k for k, v in roles.items() if v == "teacher"),
        "students": sorted(k for k, v in roles.items() if v == "student"),
        "provenance": make_provenance(
            "make-pairs", config, {"data": config.data, "languages": config.languages}
        ),
    }
    out = write_artifact(pairs, config.out, "pairs", meta)
    save_config(config, "make-pairs", config_path_for(out))
    counts = pairs["pair_type"].value_counts()
    report.info(
        f"make-pairs: {len(pairs)} pairs ({counts.get('student-teacher', 0)} student-teacher, "
        f"{counts.get('teacher-teacher', 0)} teacher-teacher); {dropped} dropped for missing translations → {out}"
    )
    return Artifact(pairs, meta, out)
