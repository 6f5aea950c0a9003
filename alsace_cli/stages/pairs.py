"""Stage 5, make-pairs: (student side, teacher side) pairs of the same instance in two languages.

Every teacher language teaches every other language: student-teacher pairs, and teacher-teacher pairs in
both directions. Student-student pairs are never made: neither side is trusted. A pair needs the instance
in both languages; pairs lost to missing translations are counted and reported.

The paper's ablations, as we read them ("weak" = ŝ below the mean ŝ of its own group, the selection rule
applied once more within the group; the languages file carries ŝ as `score`):
- `--exclude-weak-students`: the weak students are left out as students (they get no pairs): does pulling
  the weakest languages towards the teachers help or hurt?
- `--exclude-weak-teachers`: the weak teachers teach no one (they still learn from the strong teachers):
  does a teacher that only just passed the threshold help?
- `--include-student-pairs`: students also teach each other (student-student pairs): what selection saves.

`--question-language-pairs` (extractive QA, the zero-shot meeting point of ALSACE and SKD-QA): on a QA set
whose ids are asked in several question languages over the same context, pairs (question in a teacher
language, question in another language, same id and same context); the roles are question languages,
from `select` on QA predictions. The output has a `context_lang` column; distill aligns the two sides'
start and end distributions on the shared context tokens.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alsace_cli import report
from alsace_cli.artifacts import Artifact, check_known_languages, load_dataset, read_artifact, write_artifact
from alsace_cli.configs import PairsConfig, config_path_for, save_config
from alsace_cli.errors import AlsaceError
from alsace_cli.outputs import artifact_output, check_outputs, config_output
from alsace_cli.provenance import make_provenance
from alsace_cli.tasks import require_distillable

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


def question_language_pairs(
    frame: pd.DataFrame, roles: dict[str, str], **options: object
) -> tuple[pd.DataFrame, int]:
    """make_pairs_frame within each context language, the question language playing the language's part."""
    parts, dropped = [], 0
    order = {key: i for i, key in enumerate(pd.unique(frame["id"]))}
    for context_lang, part in frame.groupby("lang", sort=True):
        sub = part[["id", "question_lang"]].rename(columns={"question_lang": "lang"})
        present = {lang: role for lang, role in roles.items() if lang in set(sub["lang"])}
        pairs, lost = make_pairs_frame(sub, present, **options)  # type: ignore[arg-type]
        dropped += lost
        parts.append(pairs.assign(context_lang=context_lang))
    pairs = pd.concat(parts, ignore_index=True)
    pairs = pairs.iloc[np.lexsort((pairs["student_lang"], pairs["teacher_lang"], pairs["context_lang"],
                                   pairs["id"].map(order)))]  # fmt: skip
    return pairs[["id", "context_lang", "student_lang", "teacher_lang", "pair_type"]].reset_index(
        drop=True
    ), dropped


def make_pairs(config: PairsConfig, overwrite: bool = False) -> Artifact:
    check_outputs(
        [artifact_output("--out", config.out), config_output(config_path_for(config.out))],
        {"--data": config.data, "--languages": config.languages},
        overwrite,
    )
    dataset = load_dataset(config.data)
    by_question = config.question_language_pairs
    if dataset.task == "qa" and not by_question:
        raise AlsaceError(
            f"{config.data}: QA data pairs question languages over one context: pass --question-language-pairs"
        )
    if by_question and dataset.task != "qa":
        raise AlsaceError(f"--question-language-pairs: {config.data} is {dataset.task!r} data, not QA")
    if not by_question:
        require_distillable(dataset.task, "make-pairs", config.data)
    languages = read_artifact(config.languages, "languages")
    if by_question and languages.meta.get("unit") == "lang":
        raise AlsaceError(
            f"{config.languages}: scores languages of label predictions; --question-language-pairs needs "
            "select's output on QA predictions (roles of question languages)"
        )
    roles = dict(zip(languages.frame["lang"], languages.frame["role"], strict=True))
    present = sorted(dataset.frame["question_lang"].unique()) if by_question else dataset.languages
    check_known_languages(languages.path, list(roles), present)
    without_role = [lang for lang in present if lang not in roles]
    if without_role:
        raise AlsaceError(
            f"{config.data}: lang {without_role[0]!r} has no role in {config.languages} "
            "(run select on predictions for this dataset)"
        )
    scores = dict(zip(languages.frame["lang"], languages.frame["score"], strict=True))
    no_students = weak_languages(scores, roles, "student") if config.exclude_weak_students else set()
    no_teachers = weak_languages(scores, roles, "teacher") if config.exclude_weak_teachers else set()
    options = {
        "no_students": no_students,
        "no_teachers": no_teachers,
        "student_pairs": config.include_student_pairs,
    }
    build = question_language_pairs if by_question else make_pairs_frame
    pairs, dropped = build(dataset.frame, roles, **options)  # type: ignore[operator]
    if pairs.empty:
        raise AlsaceError(
            f"{config.languages}: no pairs can be made: need a teacher and at least one other language "
            "that share ids"
        )
    meta = {
        "dropped_missing_translation": dropped,
        "teachers": sorted(k for k, v in roles.items() if v == "teacher"),
        "students": sorted(k for k, v in roles.items() if v == "student"),
        "excluded_students": sorted(no_students),
        "excluded_teachers": sorted(no_teachers),
        "unit": "question_lang" if by_question else "lang",
        "provenance": make_provenance(
            "make-pairs", config, {"data": config.data, "languages": config.languages}
        ),
    }
    out = write_artifact(pairs, config.out, "pairs", meta)
    save_config(config, "make-pairs", config_path_for(out))
    counts = pairs["pair_type"].value_counts()
    report.info(
        f"make-pairs: {len(pairs)} pairs ({', '.join(f'{n} {kind}' for kind, n in sorted(counts.items()))}); "
        f"{dropped} dropped for missing translations"
        + (f"; weak students left out: {', '.join(sorted(no_students))}" if no_students else "")
        + (f"; weak teachers teach no one: {', '.join(sorted(no_teachers))}" if no_teachers else "")
        + f" → {report.esc(out)}"
    )
    return Artifact(pairs, meta, out)
