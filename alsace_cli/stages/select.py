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

import numpy as np
import pandas as pd

from alsace_cli import report
from alsace_cli.artifacts import (
    Artifact,
    check_parallel,
    read_artifact,
    read_meta_kind,
    read_predictions,
    write_artifact,
)
from alsace_cli.configs import SelectConfig, config_path_for, save_config
from alsace_cli.errors import AlsaceError
from alsace_cli.outputs import artifact_output, check_outputs, config_output
from alsace_cli.provenance import make_provenance
from alsace_cli.stages.vote import label_shift

TOLERANCE = 1e-12
STRATEGIES = ("confidence", "random", "all", "scale")

# Pre-training data per language, GiB of CC-100 text: Conneau et al. 2020, "Unsupervised Cross-lingual
# Representation Learning at Scale" (ACL), appendix table of languages and statistics. Transcribed by hand
# for the languages of XNLI, PAWS-X and XCOPA; no copy of the paper was reachable from the machine this was
# written on, so check a figure against the paper before quoting it. Only the order matters to
# `--strategy scale`. Haitian Creole (ht) and Quechua (qu) are not in CC-100: 0.
CC100_GIB: dict[str, float] = {
    "en": 300.8, "ru": 278.0, "id": 148.3, "vi": 137.3, "th": 71.7, "ja": 69.3, "de": 66.6, "bg": 57.5,
    "fr": 56.8, "ko": 54.2, "es": 53.3, "el": 46.9, "zh": 46.9, "it": 30.2, "ar": 28.0, "tr": 20.9,
    "hi": 20.2, "ta": 12.2, "et": 6.1, "ur": 5.7, "sw": 1.6, "ht": 0.0, "qu": 0.0,
}  # fmt: skip


def parse_threshold(value: str | float) -> float | None:
    """None for 'mean' (resolved once the scores are known), else a number in [0, 1]."""
    if isinstance(value, str) and value.strip().lower() == "mean":
        return None
    try:
        number = float(value)
    except ValueError:
        raise AlsaceError(
            f"--threshold: expected 'mean' or a number between 0 and 1, got {value!r}"
        ) from None
    if not 0.0 <= number <= 1.0:
        raise AlsaceError(f"--threshold: {number} is outside 0..1 (ŝ is a softmax over languages)")
    return number


def language_scores(predictions: pd.DataFrame, pseudo: pd.DataFrame) -> pd.DataFrame:
    """Per language: n, s_t (mean probability of the pseudo-label) and ŝ_t (softmax of s over languages)."""
    label_of = pseudo.set_index("id")["pseudo_label"]
    labels = predictions["id"].map(label_of).to_numpy(dtype=np.int64)
    probs = np.stack(predictions["probs"].to_numpy()).astype(np.float64)
    confidence = probs[np.arange(len(probs)), labels]
    scored = pd.DataFrame({"lang": predictions["lang"].to_numpy(), "c": confidence})
    grouped = scored.groupby("lang", sort=True)["c"].agg(["size", "mean"]).reset_index()
    s = grouped["mean"].to_numpy()
    exp = np.exp(s - s.max())
    return pd.DataFrame(
        {
            "lang": grouped["lang"],
            "n": grouped["size"].astype("int64"),
            "avg_confidence": s,
            "score": exp / exp.sum(),
        }
    )


def qa_language_scores(predictions: pd.DataFrame, path) -> pd.DataFrame:
    """Per question language: n, s_t (mean best-span probability over its rows) and ŝ_t (softmax of s)."""
    score = predictions["score"].to_numpy(dtype=np.float64)
    if (score > 1.0 + 1e-9).any():
        row = int((score > 1.0 + 1e-9).argmax())
        raise AlsaceError(
            f"{path}: row {row}: column 'score' is {score[row]:.4g}, above 1: a sum over windows "
            "(--merge-windows sum) is not a probability; predict with --merge-windows max for select"
        )
    scored = pd.DataFrame({"lang": predictions["question_lang"].to_numpy(), "c": np.clip(score, 0.0, 1.0)})
    grouped = scored.groupby("lang", sort=True)["c"].agg(["size", "mean"]).reset_index()
    s = grouped["mean"].to_numpy()
    exp = np.exp(s - s.max())
    return pd.DataFrame({"lang": grouped["lang"], "n": grouped["size"].astype("int64"), "avg_confidence": s,
                         "score": exp / exp.sum()})  # fmt: skip


def assign_roles(
    scores: pd.DataFrame, threshold: float | None, strategy: str, seed: int
) -> tuple[pd.DataFrame, float]:
    """Mark teachers and students; returns the table and the threshold applied to ŝ."""
    theta = float(scores["score"].mean()) if threshold is None else threshold
    confident = scores["score"].to_numpy() >= theta - TOLERANCE
    if strategy == "confidence":
        teacher = confident
    elif strategy == "all":
        teacher = np.ones(len(scores), dtype=bool)
    elif strategy == "random":
        # As many teachers as the confidence rule would pick, chosen by a seeded draw: the control that
        # tells whether *which* languages teach matters, not just how many.
        rng = np.random.default_rng(seed)
        teacher = np.zeros(len(scores), dtype=bool)
        teacher[rng.choice(len(scores), size=int(confident.sum()), replace=False)] = True
    elif strategy == "scale":
        # As many teachers as the confidence rule, the languages with the most pre-training data: the
        # paper's "high-resource languages teach" baseline.
        unknown = [lang for lang in scores["lang"] if lang not in CC100_GIB]
        if unknown:
            raise AlsaceError(
                f"--strategy scale: no CC-100 size for lang {unknown[0]!r} (known: {', '.join(sorted(CC100_GIB))})"
            )
        size = scores["lang"].map(CC100_GIB).to_numpy()
        order = np.lexsort((scores["lang"].to_numpy(), -size))  # largest first, ties by language code
        teacher = np.zeros(len(scores), dtype=bool)
        teacher[order[: int(confident.sum())]] = True
    else:
        raise AlsaceError(f"--strategy: unknown strategy {strategy!r} (use {', '.join(STRATEGIES)})")
    out = scores.copy()
    out["role"] = np.where(teacher, "teacher", "student")
    out["rank"] = out["score"].rank(ascending=False, method="min").astype("int64")
    return out, theta


def classification_scores(config: SelectConfig) -> tuple[pd.DataFrame, dict[str, float]]:
    """s_t and ŝ_t per language from label distributions and vote's pseudo-labels, every input checked."""
    if not config.pseudo_labels:
        raise AlsaceError("missing --pseudo-labels (vote's output on the same predictions)")
    predictions = read_predictions(config.predictions)
    n_languages = predictions.frame["lang"].nunique()
    if n_languages < 2:
        raise AlsaceError(
            f"{config.predictions}: predictions in {n_languages} language only; selecting teachers among "
            "languages needs at least 2"
        )
    pseudo = read_artifact(config.pseudo_labels, "pseudo_labels", what="pseudo labels")
    missing = ~predictions.frame["id"].isin(set(pseudo.frame["id"]))
    if missing.any():
        row = int(missing.to_numpy().argmax())
        raise AlsaceError(
            f"{config.pseudo_labels}: no pseudo-label for id {predictions.frame['id'].iloc[row]!r} "
            f"(row {row} of {config.predictions}); run vote on the same predictions"
        )
    n_labels = len(predictions.labels)
    out_of_range = (pseudo.frame["pseudo_label"] < 0) | (pseudo.frame["pseudo_label"] >= n_labels)
    if out_of_range.any():
        raise AlsaceError(
            f"{config.pseudo_labels}: row {int(out_of_range.to_numpy().argmax())}: "
            f"column 'pseudo_label' out of range 0..{n_labels - 1}"
        )
    if not config.allow_partial:
        check_parallel(
            predictions.frame,
            predictions.path,
            "; pass --allow-partial to score each language on the ids it has",
        )
    shift = label_shift(predictions.frame, n_labels, config.source_lang)
    return language_scores(predictions.frame, pseudo.frame), shift


def source_and_degenerate(languages: pd.DataFrame, shift: dict[str, float], theta: float,
                          config: SelectConfig) -> tuple[pd.DataFrame, list[str]]:  # fmt: skip
    """Warn when the source language is ranked a student (or make it a teacher: --source-teacher), and
    name the degenerate languages; returns the roles and the degenerate languages."""
    degenerate = sorted(lang for lang, tv in shift.items() if tv > config.degenerate_tv)
    if degenerate:
        report.warn(
            f"select: {len(degenerate)} languages predict labels far from {report.esc(config.source_lang)}'s on the same "
            f"instances (TV above {config.degenerate_tv}): "
            + report.esc(", ".join(f"{lang} {shift[lang]:.2f}" for lang in degenerate))
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
    check_outputs(
        [artifact_output("--out", config.out), config_output(config_path_for(config.out))],
        {"--predictions": config.predictions, "--pseudo-labels": config.pseudo_labels},
        overwrite,
    )
    if read_meta_kind(config.predictions) == "qa_predictions":
        predictions = read_artifact(config.predictions, "qa_predictions")
        if config.pseudo_labels:
            raise AlsaceError(
                "--pseudo-labels: not used on QA predictions (question languages are scored by their mean "
                "best-span probability)"
            )
        n_languages = predictions.frame["question_lang"].nunique()
        if n_languages < 2:
            raise AlsaceError(
                f"{config.predictions}: questions in {n_languages} language only; selecting teacher question "
                "languages needs at least 2"
            )
        scores, shift = qa_language_scores(predictions.frame, config.predictions), {}
        unit = "question_lang"
    else:
        scores, shift = classification_scores(config)
        unit = "lang"
    languages, theta = assign_roles(scores, threshold, config.strategy, config.seed)
    languages, degenerate = source_and_degenerate(languages, shift, theta, config)
    meta = {
        "threshold": theta,
        "threshold_spec": str(config.threshold),
        "strategy": config.strategy,
        "tolerance": TOLERANCE,
        "unit": unit,
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
    report.show_languages(languages, theta)
    teachers = languages.loc[languages["role"] == "teacher", "lang"].tolist()
    report.info(
        f"select: {len(teachers)} teachers ({report.esc(', '.join(teachers))}) of {len(languages)} languages → {report.esc(out)}"
    )
    return Artifact(languages, meta, out)
