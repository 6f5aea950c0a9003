"""`alsace make-pairs`: student-teacher and teacher-teacher pairs of the same instance."""

from __future__ import annotations

from pathlib import Path

import typer

from alsace_cli.cli.common import (
    config_from,
    config_option,
    handle_errors,
    json_option,
    opt,
    overwrite_option,
)
from alsace_cli.configs import PairsConfig as C


@handle_errors
def pairs_command(
    ctx: typer.Context,
    data: str = opt(C, "data"),
    languages: str = opt(C, "languages"),
    out: str = opt(C, "out"),
    exclude_weak_students: bool = opt(C, "exclude_weak_students", "--exclude-weak-students"),
    exclude_weak_teachers: bool = opt(C, "exclude_weak_teachers", "--exclude-weak-teachers"),
    include_student_pairs: bool = opt(C, "include_student_pairs", "--include-student-pairs"),
    question_language_pairs: bool = opt(C, "question_language_pairs", "--question-language-pairs"),
    overwrite: bool = overwrite_option(),
    config: Path = config_option(),
    json: bool = json_option(),
) -> None:
    """Stage 5: pairs (id, student_lang, teacher_lang); never student-student unless asked."""
    from alsace_cli.report import print_json
    from alsace_cli.stages.pairs import make_pairs

    cfg = config_from(ctx, C, "make-pairs", ("data", "languages"))
    artifact = make_pairs(cfg, overwrite=overwrite)
    if json:
        counts = artifact.frame["pair_type"].value_counts().to_dict()
        print_json({"pairs": str(artifact.path), "rows": len(artifact.frame), "by_type": counts,
                    "dropped_missing_translation": artifact.meta["dropped_missing_translation"]})  # fmt: skip
