"""Label distributions (classification, multiple choice): select ranks languages by the probability of
vote's pseudo-label, make-pairs pairs languages, eval reports accuracy per language and the gap.

eval's averages: accuracy over every language (the source included, as the paper reports it); the gap
Δ_t = acc_src − acc_t over the non-source languages only. With a languages file the same is given per
group (students, teachers, all); the worst-language accuracy is always shown, because a gap that shrinks
as every language gets worse is not progress.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from alsace_cli.errors import AlsaceError
from alsace_cli.io.artifacts import check_known_languages, check_parallel, read_artifact, read_predictions
from alsace_cli.method.paired_tests import Outcomes, compare
from alsace_cli.method.pairing import make_pairs_frame
from alsace_cli.method.selection import language_scores
from alsace_cli.method.voting import label_shift, vote_frame
from alsace_cli.output_types import OUTPUT_TYPES, OutputType
from alsace_cli.output_types.label_report import (
    plot_accuracy,
    show_breakdown,
    show_comparisons,
    show_ensemble,
    show_gap_report,
)
from alsace_cli.runtime import report
from alsace_cli.runtime.inference import predict_probs, predictions_frame
from alsace_cli.tasks import get_task

# Within this many points of chance on the source language, the fine-tuned model has little to transfer.
NEAR_CHANCE = 5.0


class LabelDistributions(OutputType):
    name = "labels"
    prediction_kind = "predictions"
    metrics_kind = "metrics"
    unit = "lang"
    votes = True
    recipes_apply = True
    translate_test = True
    headline_metric = "accuracy"
    plot_name = "accuracy.png"
    share_columns = (
        "accuracy",
        "gap",
        "source_accuracy",
        "avg_accuracy",
        "avg_gap",
        "worst_accuracy",
        "std_accuracy",
    )
    result_units = {"accuracy": "fraction", "gap": "fraction (acc_source − acc_t)", "difference": "fraction"}
    ensemble_report = True

    def language_scores(self, config: Any) -> tuple[pd.DataFrame, dict[str, float]]:
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

    def pairs(self, frame: pd.DataFrame, roles: dict[str, str], **options: Any) -> tuple[pd.DataFrame, int]:
        return make_pairs_frame(frame, roles, **options)

    def near_chance(self, metrics: pd.DataFrame, model: str, source_lang: str, n_labels: int) -> str | None:
        rows = metrics[(metrics["model"] == model) & (metrics["lang"] == source_lang)]
        if rows.empty or n_labels < 2 or "accuracy" not in rows:
            return None
        accuracy, chance = 100 * float(rows["accuracy"].iloc[0]), 100 / n_labels
        if accuracy > chance + NEAR_CHANCE:
            return None
        return (
            f"the fine-tuned model is near chance on {source_lang} ({accuracy:.1f}% with {n_labels} labels, "
            f"chance {chance:.1f}%): there is little to transfer; fine-tune longer or check the training data first"
        )

    def evaluation(self, config: Any, source: Any) -> LabelEvaluation:
        return LabelEvaluation(config, source)

    def show(self, artifact: Any, summary: pd.DataFrame, report: str, source_lang: str) -> None:
        if report in ("gaps", "all"):
            show_gap_report(artifact.frame, summary, source_lang)
            show_comparisons(artifact.meta.get("comparisons", []), artifact.frame)
            if "breakdown" in artifact.meta:
                show_breakdown(artifact.meta["breakdown"])
        if report in ("ensemble", "all"):
            show_ensemble(artifact.meta["ensemble"])

    def result(self, artifact: Any, summary: pd.DataFrame) -> dict[str, Any]:
        return {
            "metrics": report.frame_records(artifact.frame),
            "summary": report.frame_records(summary),
            "ensemble": artifact.meta["ensemble"],
            "comparisons": artifact.meta.get("comparisons", []),
            "breakdown": artifact.meta.get("breakdown"),
            "path": str(artifact.path),
        }


OUTPUT_TYPES.register(LabelDistributions())


class LabelEvaluation:
    """eval on a labeled test set: accuracy per language, the ensemble analysis, the summary."""

    def __init__(self, config: Any, source: Any) -> None:
        self.config, self.source = config, source
        self.task = get_task(source.task)
        present = sorted(pq.read_table(config.data, columns=["lang"]).column("lang").unique().to_pylist())
        check_known_languages(
            source.path, [config.source_lang], [str(x) for x in present], column="lang (--source-lang)"
        )
        self.roles = self.scores = None
        if config.languages:
            languages = read_artifact(config.languages, "languages")
            self.roles = dict(zip(languages.frame["lang"], languages.frame["role"], strict=True))
            self.scores = dict(zip(languages.frame["lang"], languages.frame["score"], strict=True))
            # The source language may be absent from the unlabeled corpus (XCOPA has no English side there), and
            # a test language from it (a corpus translated into fewer languages): "unseen", a group of its own.
            unseen = [lang for lang in present if lang not in self.roles and lang != config.source_lang]
            if unseen:
                report.info(
                    f"eval: {', '.join(unseen)} not in {report.esc(config.languages)} (no role: the "
                    "corpus lacks them); reported as the group 'unseen'"
                )
                self.roles.update(dict.fromkeys(unseen, "unseen"))
        self.groups = read_groups(config.groups, present) if config.groups else None
        self.parts: list[pd.DataFrame] = []
        self.ensemble: list[dict] = []
        self.outcomes: dict[str, Outcomes] = {}  # per model: right/wrong per (language, id), for comparisons
        self.by_kind: list[dict] = []  # accuracy per (model, language, the task's breakdown value)

    def start_model(self, model_spec: str) -> None:
        self.ids, self.langs, self.labels, self.probs, self.correct, self.kinds = [], [], [], [], [], []

    def predict(
        self, model: Any, tokenizer: Any, frame: pd.DataFrame, device: Any, on_batch: Any
    ) -> pd.DataFrame:
        config = self.config
        probs = predict_probs(
            model,
            tokenizer,
            self.task,
            frame,
            max_length=config.max_length,
            batch_size=config.batch_size,
            device=device,
            precision=config.precision,
            on_batch=on_batch,
        )
        return pd.DataFrame({"probs": list(probs)})

    def score(self, model_spec: str, frame: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
        """Keep what the metrics need, compactly: per row a 64-bit hash of its id (ids are only compared for
        equality), its language and label, and the probabilities (float32). Returns the rows to write."""
        probs = np.stack(rows["probs"].to_numpy()).astype(np.float32, copy=False)
        self.ids.append(pd.util.hash_array(frame["id"].to_numpy(dtype=object)))
        self.langs.append(frame["lang"].astype("category"))
        self.labels.append(frame["label"].to_numpy(dtype=np.int64))
        self.probs.append(probs)
        self.correct.append(self.task.correct(frame, probs))
        column = self.task.breakdown
        if column and column in frame.columns:  # e.g. a probe's country
            self.kinds.append(frame[column].astype(str).to_numpy())
        predictions = predictions_frame(frame["id"], frame["lang"], probs)
        predictions.insert(0, "model", model_spec)
        return predictions

    def end_model(self, model_spec: str) -> None:
        lang = pd.api.types.union_categoricals(self.langs, ignore_order=True)
        rows = pd.DataFrame(
            {
                "id": np.concatenate(self.ids),
                "lang": pd.Series(lang).astype(str),
                "label": np.concatenate(self.labels),
            }
        )
        probs, correct = np.concatenate(self.probs), np.concatenate(self.correct)
        self.parts.append(language_metrics(model_spec, rows, probs, self.config.source_lang, correct))
        self.ensemble += ensemble_accuracy(model_spec, rows, probs, self.config.source_lang, self.scores)
        if self.kinds:
            self.by_kind += breakdown_rows(model_spec, rows["lang"], np.concatenate(self.kinds), correct)
        if (len(self.config.models) > 1 or self.config.translate_test) and self.config.bootstrap:
            self.id_order = getattr(self, "id_order", pd.Index(pd.unique(rows["id"])))
            languages = sorted(rows["lang"].unique())
            self.outcomes[model_spec] = Outcomes.from_rows(
                rows["id"].to_numpy(), rows["lang"].to_numpy(), correct, self.id_order, languages
            )

    def finish(self) -> tuple[pd.DataFrame, dict[str, Any], pd.DataFrame]:
        metrics = pd.concat(self.parts, ignore_index=True)
        if self.roles is not None:
            metrics["role"] = metrics["lang"].map(self.roles).fillna("source")
        if self.groups is not None:
            metrics["lang_group"] = metrics["lang"].map(self.groups)
        summary = summarize(metrics, self.config.source_lang)
        meta = {"summary": report.frame_records(summary), "ensemble": self.ensemble}
        if self.outcomes:
            meta["comparisons"] = self.comparisons()
        if self.by_kind:
            meta["breakdown"] = {"column": self.task.breakdown, "rows": self.by_kind}
        return metrics, meta, summary

    def comparisons(self) -> list[dict]:
        """Each model after the first (and the translate-test row) against the first, paired on the test ids
        (alsace_cli/method/paired_tests.py)."""
        config = self.config
        base_name, *others = self.outcomes
        rows = []
        for name in others:
            rows += [
                {"model": name, "baseline": base_name, **row}
                for row in compare(
                    self.outcomes[base_name],
                    self.outcomes[name],
                    config.source_lang,
                    config.bootstrap,
                    config.seed,
                )
            ]
        return rows

    def plot(self, metrics: pd.DataFrame, path: str) -> None:
        plot_accuracy(metrics, path, self.config.source_lang)


def read_groups(path: str, present: list[str]) -> dict[str, str]:
    """--groups: each language's group, from a table with columns lang and group; every language of the test
    set must have one."""
    from alsace_cli.data.readers import read_raw

    frame = read_raw(Path(path), "auto", named_columns=True)
    for column in ("lang", "group"):
        if column not in frame.columns:
            raise AlsaceError(f"{path}: no column {column!r} (--groups needs columns lang and group)")
    mapping = dict(zip(frame["lang"].astype(str), frame["group"].astype(str), strict=True))
    missing = [lang for lang in present if lang not in mapping]
    if missing:
        raise AlsaceError(
            f"{path}: no group for lang {missing[0]!r} of the test set ({len(missing)} languages lack one)"
        )
    return mapping


def breakdown_rows(model: str, langs: pd.Series, kinds: np.ndarray, correct: np.ndarray) -> list[dict]:
    """Accuracy per (language, value of the task's breakdown column), and per value over all languages."""
    frame = pd.DataFrame({"lang": langs.to_numpy(), "value": kinds, "correct": correct})
    per = frame.groupby(["lang", "value"], sort=True)["correct"].agg(["size", "mean"]).reset_index()
    overall = (
        frame.groupby("value", sort=True)["correct"].agg(["size", "mean"]).reset_index().assign(lang="all")
    )
    both = pd.concat([per, overall], ignore_index=True)
    return [
        {"model": model, "lang": r.lang, "value": r.value, "n": int(r.size), "accuracy": float(r.mean)}
        for r in both.itertuples()
    ]


def language_metrics(
    model: str, frame: pd.DataFrame, probs: np.ndarray, source_lang: str, correct: np.ndarray | None = None
) -> pd.DataFrame:
    """Accuracy and gap per language; `correct` (the task's per-row verdict) defaults to argmax = label."""
    if correct is None:
        correct = probs.argmax(axis=1) == frame["label"].to_numpy(dtype=np.int64)
    scored = pd.DataFrame({"lang": frame["lang"].to_numpy(), "correct": correct})
    per_lang = scored.groupby("lang", sort=False)["correct"].agg(["size", "mean"]).reset_index()
    per_lang.columns = ["lang", "n", "accuracy"]
    source = float(per_lang.loc[per_lang["lang"] == source_lang, "accuracy"].iloc[0])
    per_lang["gap"] = np.where(per_lang["lang"] == source_lang, np.nan, source - per_lang["accuracy"])
    per_lang.insert(0, "model", model)
    return per_lang


def ensemble_accuracy(
    model: str, frame: pd.DataFrame, probs: np.ndarray, source_lang: str, scores: dict[str, float] | None
) -> list[dict]:
    """The paper's ensemble analysis: one prediction per instance from all its languages, three ways.

    vote: the label most languages predict (ties as in `vote`: summed probability, then lowest index);
    source: the source-language prediction alone; weighted: argmax of Σ_t ŝ_t P(y | x_t), languages
    without a score (not in the languages file) weighing 0. Scored on the ids the source language has,
    against the source language's labels (a translation may carry another label: PAWS-X relabels some).
    """
    ids = frame.loc[frame["lang"] == source_lang, "id"]
    keep = frame["id"].isin(set(ids)).to_numpy()
    part, part_probs = frame[keep].reset_index(drop=True), probs[keep]
    gold = part.loc[part["lang"] == source_lang].set_index("id")["label"].astype("int64")
    predictions = predictions_frame(part["id"], part["lang"], part_probs)
    voted = vote_frame(predictions, probs.shape[1]).set_index("id")["pseudo_label"]
    source = predictions[predictions["lang"] == source_lang].set_index("id")["pred"]
    rows = [("vote", voted), (f"{source_lang} only", source)]
    if scores is not None:
        weights = part["lang"].map(scores).fillna(0.0).to_numpy()[:, None]
        weighted = pd.DataFrame(part_probs * weights).groupby(part["id"].to_numpy(), sort=False).sum()
        rows.append(("ŝ-weighted", pd.Series(weighted.to_numpy().argmax(axis=1), index=weighted.index)))
    return [
        {
            "model": model,
            "method": method,
            "n": len(gold),
            "accuracy": float((pred.reindex(gold.index).to_numpy() == gold.to_numpy()).mean()),
        }
        for method, pred in rows
    ]


def summarize(metrics: pd.DataFrame, source_lang: str) -> pd.DataFrame:
    """Per model and group: languages, source accuracy, average accuracy and gap, worst language."""
    groups = [("all", None, None)]
    if "role" in metrics.columns:
        groups += [
            ("teachers", "role", "teacher"),
            ("students", "role", "student"),
            ("unseen", "role", "unseen"),
        ]
    if "lang_group" in metrics.columns:
        groups += [(f"group {g}", "lang_group", g) for g in sorted(metrics["lang_group"].dropna().unique())]
    rows = []
    for model, frame in metrics.groupby("model", sort=False):
        source = float(frame.loc[frame["lang"] == source_lang, "accuracy"].iloc[0])
        for group, column, value in groups:
            part = frame if column is None else frame[frame[column] == value]
            if part.empty:
                continue
            worst = part.loc[part["accuracy"].idxmin()]
            gaps = part["gap"].dropna()
            rows.append(
                {
                    "model": model,
                    "group": group,
                    "n_langs": len(part),
                    "source_accuracy": source,
                    "avg_accuracy": float(part["accuracy"].mean()),
                    "avg_gap": float(gaps.mean()) if len(gaps) else float("nan"),
                    "worst_accuracy": float(worst["accuracy"]),
                    "worst_lang": str(worst["lang"]),
                    "std_accuracy": float(part["accuracy"].std(ddof=0)),
                }
            )
    return pd.DataFrame(rows)
