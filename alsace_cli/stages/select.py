"""Stage 4, select: score each language by how confidently it predicts the pseudo-labels; pick teachers.

s_t = mean_i P(y_i | x_{t,i}) with y_i the pseudo-label; ŝ = softmax over languages of s; a language is a
teacher when ŝ_t ≥ θ, where θ is the mean of ŝ (`--threshold mean`, which is always 1/|T|) or a number.
A score within 1e-12 of θ counts as reaching it, so float rounding never turns a tie into a student.

On extractive QA predictions (`qa_predictions`, for `make-pairs --question-language-pairs`) there is no
label to vote on: the unit is the question language, and s_t is the mean over its rows (every context
language) of the best span's probability P(start)·P(end), predict's `score`. No --pseudo-labels is read.

Two guards against a majority of languages the model does not understand (issue: a confident wrong
majority captured the teacher set and English became a student): a warning when the source language
(`--source-lang`, the one with labeled data) is ranked a student, which `--source-teacher` overrides by
keeping it a teacher; and a warning naming every language whose predicted-label distribution is far from
the source's (total variation above `--degenerate-tv`; see `vote --exclude-degenerate`).
"""

from __future__ import annotations

import pandas as pd

from alsace_cli.configs import SelectConfig, config_path_for
from alsace_cli.io.artifacts import Artifact, write_artifact
from alsace_cli.io.outputs import check_artifact_outputs, save_config
from alsace_cli.io.provenance import make_provenance
from alsace_cli.method.selection import TOLERANCE, assign_roles, parse_threshold
from alsace_cli.output_types import output_type_of_predictions
from alsace_cli.runtime import report


def source_and_degenerate(
    languages: pd.DataFrame, shift: dict[str, float], theta: float, config: SelectConfig
) -> tuple[pd.DataFrame, list[str]]:
    """Warn when the source language is ranked a student (or make it a teacher: --source-teacher), and
    name the degenerate languages; returns the roles and the degenerate languages."""
    degenerate = sorted(lang for lang, tv in shift.items() if tv > config.degenerate_tv)
    if degenerate:
        report.warn(
            f"select: {report.plural(len(degenerate), 'language')} predict labels far from {report.esc(config.source_lang)}'s on the same "
            f"instances (TV above {config.degenerate_tv}): "
            + report.esc(
                report.few(
                    [f"{lang} {shift[lang]:.2f}" for lang in sorted(degenerate, key=lambda g: -shift[g])],
                    "all in the output's metadata",
                )
            )
            + "; a vote they dominate may be wrong (vote --exclude-degenerate)"
        )
    source = languages["lang"] == config.source_lang
    if source.any() and (languages.loc[source, "role"] == "student").all():
        if config.source_teacher:
            languages = languages.copy()
            languages.loc[source, "role"] = "teacher"
        else:
            score = float(languages.loc[source, "score"].iloc[0])
            report.warn(
                f"select: the source language {report.esc(config.source_lang)} (the only one with labeled data) is "
                f"ranked a student (ŝ {score:.4f} < θ {theta:.4f}): the teachers may agree on an error; "
                "consider --source-teacher or vote --exclude-degenerate"
            )
    return languages, degenerate


def select(config: SelectConfig, overwrite: bool = False) -> Artifact:
    threshold = parse_threshold(config.threshold)
    check_artifact_outputs(
        config.out, {"--predictions": config.predictions, "--pseudo-labels": config.pseudo_labels}, overwrite
    )
    output = output_type_of_predictions(config.predictions)
    scores, shift = output.language_scores(config)
    languages, theta = assign_roles(scores, threshold, config.strategy, config.seed)
    languages, degenerate = source_and_degenerate(languages, shift, theta, config)
    meta = {
        "threshold": theta,
        "threshold_spec": str(config.threshold),
        "strategy": config.strategy,
        "tolerance": TOLERANCE,
        "unit": output.unit,
        "source_lang": config.source_lang,
        "source_teacher": config.source_teacher,
        "label_tv_to_source": shift,
        "degenerate": degenerate,
        "provenance": make_provenance(
            "select",
            config,
            {"predictions": config.predictions, "pseudo_labels": config.pseudo_labels or None},
            config.seed,
        ),
    }
    out = write_artifact(languages, config.out, "languages", meta)
    save_config(config, "select", config_path_for(out))
    report.show_languages(languages, theta, config.source_lang)
    teachers = languages.loc[languages["role"] == "teacher", "lang"].tolist()
    report.info(
        f"select: {len(teachers)} teachers ({report.esc(', '.join(teachers))}) of {report.plural(len(languages), 'language')} → {report.esc(out)}"
    )
    return Artifact(languages, meta, out)
