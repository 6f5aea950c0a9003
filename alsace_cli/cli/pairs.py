"""`alsace make-pairs`: student-teacher and teacher-teacher pairs of the same instance."""

from __future__ import annotations

from typing import Annotated

import typer

from alsace_cli.cli.common import ConfigOption, JsonOption, handle_errors, resolve_config


@handle_errors
def pairs_command(
    data: Annotated[
        str | None, typer.Option(help="The unlabeled parallel corpus (Parquet) to distill on.")
    ] = None,
    languages: Annotated[str | None, typer.Option(help="languages.parquet from select.")] = None,
    out: Annotated[str | None, typer.Option(help="Output pairs Parquet.")] = None,
    exclude_weak_students: Annotated[
        bool | None,
        typer.Option(
            "--exclude-weak-students", help="Ablation: students with ŝ below the students' mean get no pairs."
        ),
    ] = None,
    exclude_weak_teachers: Annotated[
        bool | None,
        typer.Option(
            "--exclude-weak-teachers", help="Ablation: teachers with ŝ below the teachers' mean teach no one."
        ),
    ] = None,
    include_student_pairs: Annotated[
        bool | None,
        typer.Option("--include-student-pairs", help="Ablation: students teach each other too."),
    ] = None,
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Stage 5: pairs (id, student_lang, teacher_lang); never student-student unless asked."""
    from alsace_cli.report import print_json
    from alsace_cli.stages.pairs import PairsConfig, make_pairs

    cfg = resolve_config(
        PairsConfig, "make-pairs", config, ("data", "languages"), data=data, languages=languages, out=out,
        exclude_weak_students=exclude_weak_students, exclude_weak_teachers=exclude_weak_teachers,
        include_student_pairs=include_student_pairs,
    )  # fmt: skip
    artifact = make_pairs(cfg)
    if json:
        counts = artifact.frame["pair_type"].value_counts().to_dict()
        print_json({"pairs": str(artifact.path), "rows": len(artifact.frame), "by_type": counts,
                    "dropped_missing_translation": artifact.meta["dropped_missing_translation"]})  # fmt: skip
