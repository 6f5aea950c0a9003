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

from alsace_cli.configs import PairsConfig, config_path_for
from alsace_cli.errors import AlsaceError
from alsace_cli.io.artifacts import (
    Artifact,
    Dataset,
    check_known_languages,
    load_dataset,
    read_artifact,
    write_artifact,
)
from alsace_cli.io.outputs import check_artifact_outputs, save_config
from alsace_cli.io.provenance import make_provenance
from alsace_cli.method.pairing import PairRule, PairSampler, weak_languages
from alsace_cli.output_types import OutputType, output_type_of
from alsace_cli.runtime import report


def _roles(
    config: PairsConfig, dataset: Dataset, output: OutputType
) -> tuple[dict[str, str], dict[str, float]]:
    """Each unit's role and ŝ from select's output, checked to cover the units of the dataset."""
    if config.question_language_pairs and not output.question_language_pairs:
        raise AlsaceError(f"--question-language-pairs: {config.data} is {dataset.task!r} data, not QA")
    languages = read_artifact(config.languages, "languages")
    scored = languages.meta.get("unit", output.unit)
    if scored != output.unit:  # e.g. label predictions' languages for QA data, paired by question language
        raise AlsaceError(
            f"{config.languages}: select ranked each {scored!r}; {config.data} ({dataset.task}) is paired by "
            f"{output.unit!r}: run select on predictions for this dataset"
        )
    roles = dict(zip(languages.frame["lang"], languages.frame["role"], strict=True))
    present = output.units(dataset.frame)
    check_known_languages(languages.path, list(roles), present)
    without_role = [lang for lang in present if lang not in roles]
    if without_role:
        raise AlsaceError(
            f"{config.data}: lang {without_role[0]!r} has no role in {config.languages} "
            "(run select on predictions for this dataset)"
        )
    return roles, dict(zip(languages.frame["lang"], languages.frame["score"], strict=True))


def make_pairs(config: PairsConfig, overwrite: bool = False) -> Artifact:
    check_artifact_outputs(config.out, {"--data": config.data, "--languages": config.languages}, overwrite)
    dataset = load_dataset(
        config.data, keys_only=True
    )  # pairs need the keys; predict and distill read the texts
    output = output_type_of(dataset.task)
    roles, scores = _roles(config, dataset, output)
    options = {
        "no_students": weak_languages(scores, roles, "student") if config.exclude_weak_students else set(),
        "no_teachers": weak_languages(scores, roles, "teacher") if config.exclude_weak_teachers else set(),
        "student_pairs": config.include_student_pairs,
    }
    if config.materialize:
        frame, dropped = output.pairs(dataset.frame, roles, **options)
        kind, total, by_type = "pairs", len(frame), frame["pair_type"].value_counts().to_dict()
    else:
        rows, groups = output.pairing_rows(dataset.frame)
        sampler = PairSampler(PairRule.of(roles, **options), rows, groups)
        frame, kind, total, dropped = sampler.rule.frame(), "pair_rule", sampler.total, sampler.dropped()
        by_type = sampler.counts_by_type()
    if total == 0:
        raise AlsaceError(
            f"{config.languages}: no pairs can be made: need a teacher and at least one other language "
            "that share ids"
        )
    meta = {
        "dropped_missing_translation": dropped,
        "pairs": total,
        "by_type": by_type,
        "teachers": sorted(k for k, v in roles.items() if v == "teacher"),
        "students": sorted(k for k, v in roles.items() if v == "student"),
        "excluded_students": sorted(options["no_students"]),
        "excluded_teachers": sorted(options["no_teachers"]),
        "unit": output.unit,
        "provenance": make_provenance(
            "make-pairs", config, {"data": config.data, "languages": config.languages}
        ),
    }
    out = write_artifact(frame, config.out, kind, meta)
    save_config(config, "make-pairs", config_path_for(out))
    _say(meta, config.materialize, out)
    return Artifact(frame, meta, out)


def _say(meta: dict, materialized: bool, out) -> None:
    what = (
        "pairs, written as a table"
        if materialized
        else "pairs in the rule's full table, which distill draws from"
    )
    types = ", ".join(f"{n} {kind}" for kind, n in sorted(meta["by_type"].items()))
    left_out = meta["excluded_students"], meta["excluded_teachers"]
    report.info(
        f"make-pairs: {meta['pairs']} {what} ({types}); {meta['dropped_missing_translation']} dropped for missing "
        "translations"
        + (f"; weak students left out: {', '.join(left_out[0])}" if left_out[0] else "")
        + (f"; weak teachers teach no one: {', '.join(left_out[1])}" if left_out[1] else "")
        + f" → {report.esc(out)}"
    )
