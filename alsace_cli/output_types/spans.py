"""Answer spans (extractive QA): select ranks question languages by their mean best-span probability,
make-pairs pairs question languages over one context, eval reports F1 and exact match per (question
language, context language).

eval's summary per model, named plainly: XLT, the mean F1 over the same-language pairs; G-XLT, the mean
F1 over all (question, context) pairs, as MLQA's paper defines generalised transfer; cross only, the mean
F1 over the pairs whose two languages differ (absent for XQuAD); the gap to the source language,
F1(src, src) − F1(t, t) for each other context language t with a same-language pair, averaged. The F1
beside it is always shown. Normalisation: `--normalization auto` uses MLQA's rules (in the context's
language) when the data was imported from MLQA files, SQuAD v1.1's otherwise (tasks/qa_metrics.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from alsace_cli.errors import AlsaceError
from alsace_cli.io.artifacts import read_artifact
from alsace_cli.method.pairing import make_pairs_frame
from alsace_cli.method.selection import scores_by_language
from alsace_cli.output_types import OUTPUT_TYPES, OutputType
from alsace_cli.output_types.span_report import plot_f1_matrix, show_qa_report
from alsace_cli.runtime import report
from alsace_cli.tasks import get_task
from alsace_cli.tasks.qa import answers_of
from alsace_cli.tasks.qa_metrics import exact_match, f1


class AnswerSpans(OutputType):
    name = "spans"
    prediction_kind = "qa_predictions"
    metrics_kind = "qa_metrics"
    unit = "question_lang"
    question_language_pairs = True
    votes = False
    recipes_apply = False
    groups_from_select = False  # roles of question languages are not eval's groups
    headline_metric = "f1"
    plot_name = "gxlt.png"
    share_columns = (
        "exact_match",
        "f1",
        "source_f1",
        "xlt_f1",
        "xlt_em",
        "gxlt_f1",
        "gxlt_em",
        "cross_f1",
        "cross_em",
        "avg_gap_f1",
        "worst_f1",
    )
    result_units = {"exact_match": "fraction", "f1": "fraction", "avg_gap_f1": "fraction"}

    def language_scores(self, config: Any) -> tuple[pd.DataFrame, dict[str, float]]:
        """Per question language: n, s_t (the mean best-span probability P(start)·P(end) over its rows, every
        context language) and ŝ_t. There is no label to vote on, so no pseudo-labels are read."""
        predictions = read_artifact(config.predictions, self.prediction_kind)
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
        score = predictions.frame["score"].to_numpy(dtype=np.float64)
        if (score > 1.0 + 1e-9).any():
            row = int((score > 1.0 + 1e-9).argmax())
            raise AlsaceError(
                f"{config.predictions}: row {row}: column 'score' is {score[row]:.4g}, above 1: a sum over windows "
                "(--merge-windows sum) is not a probability; predict with --merge-windows max for select"
            )
        return scores_by_language(predictions.frame["question_lang"].to_numpy(), np.clip(score, 0.0, 1.0)), {}

    def pairs(self, frame: pd.DataFrame, roles: dict[str, str], **options: Any) -> tuple[pd.DataFrame, int]:
        """The pairing rule within each context language, the question language playing the language's part."""
        parts, dropped = [], 0
        order = {key: i for i, key in enumerate(pd.unique(frame["id"]))}
        for context_lang, part in frame.groupby("lang", sort=True):
            sub = part[["id", "question_lang"]].rename(columns={"question_lang": "lang"})
            present = {lang: role for lang, role in roles.items() if lang in set(sub["lang"])}
            pairs, lost = make_pairs_frame(sub, present, **options)
            dropped += lost
            parts.append(pairs.assign(context_lang=context_lang))
        pairs = pd.concat(parts, ignore_index=True)
        pairs = pairs.iloc[
            np.lexsort(
                (pairs["student_lang"], pairs["teacher_lang"], pairs["context_lang"], pairs["id"].map(order))
            )
        ]
        columns = ["id", "context_lang", "student_lang", "teacher_lang", "pair_type"]
        return pairs[columns].reset_index(drop=True), dropped

    def pairing_rows(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, tuple[str, ...]]:
        """A group is one instance's context; the unit is the question language."""
        rows = pd.DataFrame(
            {
                "id": frame["id"].to_numpy(),
                "context_lang": frame["lang"].to_numpy(),
                "lang": frame["question_lang"].to_numpy(),
            }
        )
        return rows, ("id", "context_lang")

    def evaluation(self, config: Any, source: Any) -> SpanEvaluation:
        return SpanEvaluation(config, source)

    def show(self, artifact: Any, summary: pd.DataFrame, report: str, source_lang: str) -> None:
        if report in ("gaps", "all"):
            show_qa_report(artifact.frame, summary, artifact.meta["normalization"], source_lang)

    def result(self, artifact: Any, summary: pd.DataFrame) -> dict[str, Any]:
        return {
            "metrics": report.frame_records(artifact.frame),
            "summary": report.frame_records(summary),
            "normalization": artifact.meta["normalization"],
            "path": str(artifact.path),
        }


OUTPUT_TYPES.register(AnswerSpans())


class SpanEvaluation:
    """eval on an answered QA set: exact match and F1 per (question language, context language)."""

    def __init__(self, config: Any, source: Any) -> None:
        if config.languages:
            raise AlsaceError("--languages: teacher and student groups are not defined for QA yet")
        self.config, self.source = config, source
        self.task = get_task(source.task)
        normalization = config.normalization
        if normalization == "auto":
            normalization = "mlqa" if source.meta.get("qa_format") == "mlqa" else "squad"
        self.normalization = normalization
        self.parts: list[pd.DataFrame] = []

    def start_model(self, model_spec: str) -> None:
        self.rows: list[pd.DataFrame] = []

    def predict(
        self, model: Any, tokenizer: Any, frame: pd.DataFrame, device: Any, on_batch: Any
    ) -> pd.DataFrame:
        return self.task.predict_chunk(model, tokenizer, frame, self.config, device, on_batch=on_batch)

    def score(self, model_spec: str, frame: pd.DataFrame, predicted: pd.DataFrame) -> pd.DataFrame:
        golds = [[a["text"] for a in answers_of(v)] for v in frame["answers"]]
        langs, norm = frame["lang"].tolist(), self.normalization
        predicted["exact_match"] = [
            exact_match(p, g, norm, lang)
            for p, g, lang in zip(predicted["answer"], golds, langs, strict=True)
        ]
        predicted["f1"] = [
            f1(p, g, norm, lang) for p, g, lang in zip(predicted["answer"], golds, langs, strict=True)
        ]
        self.rows.append(predicted[["question_lang", "lang", "exact_match", "f1"]])
        return predicted.assign(model=model_spec)

    def end_model(self, model_spec: str) -> None:
        rows = pd.concat(self.rows, ignore_index=True)
        metrics = (
            rows.groupby(["question_lang", "lang"], sort=True)
            .agg(n=("f1", "size"), exact_match=("exact_match", "mean"), f1=("f1", "mean"))
            .reset_index()
        )
        metrics.insert(0, "model", model_spec)
        self.parts.append(metrics)

    def finish(self) -> tuple[pd.DataFrame, dict[str, Any], pd.DataFrame]:
        metrics = pd.concat(self.parts, ignore_index=True)
        summary = summarize_qa(metrics, self.config.source_lang)
        meta = {
            "task": self.source.task,
            "normalization": self.normalization,
            "summary": report.frame_records(summary),
        }
        return metrics, meta, summary

    def plot(self, metrics: pd.DataFrame, path: str) -> None:
        plot_f1_matrix(metrics, path)


def summarize_qa(metrics: pd.DataFrame, source_lang: str) -> pd.DataFrame:
    rows = []
    for model, frame in metrics.groupby("model", sort=False):
        same = frame[frame["question_lang"] == frame["lang"]]
        cross = frame[frame["question_lang"] != frame["lang"]]
        source = same[same["lang"] == source_lang]
        source_f1 = float(source["f1"].iloc[0]) if len(source) else float("nan")
        others = same[same["lang"] != source_lang]
        worst = frame.loc[frame["f1"].idxmin()]
        rows.append(
            {
                "model": model,
                "pairs": len(frame),
                "source_f1": source_f1,
                "xlt_f1": float(same["f1"].mean()) if len(same) else float("nan"),
                "xlt_em": float(same["exact_match"].mean()) if len(same) else float("nan"),
                "gxlt_f1": float(frame["f1"].mean()),
                "gxlt_em": float(frame["exact_match"].mean()),
                "cross_f1": float(cross["f1"].mean()) if len(cross) else float("nan"),
                "cross_em": float(cross["exact_match"].mean()) if len(cross) else float("nan"),
                "avg_gap_f1": float((source_f1 - others["f1"]).mean()) if len(others) else float("nan"),
                "worst_f1": float(worst["f1"]),
                "worst_pair": f"{worst['question_lang']}-{worst['lang']}",
            }
        )
    return pd.DataFrame(rows)
