"""Stage 7 for extractive QA: exact match and F1 per (question language, context language), and summaries.

Normalisation: `--normalization auto` uses MLQA's rules (in the context's language) when the data was
imported from MLQA files, SQuAD v1.1's otherwise; the output says which (see tasks/qa_metrics.py).
Per model, named plainly:
- XLT: mean F1 over the same-language pairs (question and context in one language);
- G-XLT: mean F1 over all (question, context) pairs, as MLQA's paper defines generalised transfer;
- cross only: mean F1 over the pairs whose two languages differ (absent for XQuAD, which has none);
- the gap to the source language, as for the other tasks: F1(src, src) − F1(t, t) for each other
  context language t with a same-language pair, averaged. The F1 beside it is always shown.
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
import pandas as pd

from alsace_cli import report
from alsace_cli.artifacts import Artifact, write_artifact
from alsace_cli.configs import EvalConfig, config_path_for, save_config
from alsace_cli.errors import AlsaceError
from alsace_cli.provenance import make_provenance
from alsace_cli.streaming import CHUNK_ROWS, ArtifactWriter, DatasetStream
from alsace_cli.tasks.qa import answers_of
from alsace_cli.tasks.qa_metrics import exact_match, f1


def normalization_for(config: EvalConfig, source: DatasetStream) -> str:
    if config.normalization != "auto":
        return config.normalization
    return "mlqa" if source.meta.get("qa_format") == "mlqa" else "squad"


def _score_model(model_spec: str, source: DatasetStream, config: EvalConfig, normalization: str,
                 writer: ArtifactWriter | None, chunk_rows: int) -> pd.DataFrame:  # fmt: skip
    from alsace_cli.distributed import process_device, processes
    from alsace_cli.models import load_for_inference
    from alsace_cli.tasks import get_task

    procs = processes(config.device)
    device = process_device(config.device)
    model, tokenizer = load_for_inference(model_spec, source.task, source.labels, config, device)
    task = get_task(source.task)
    parts = []
    with report.progress(f"eval {model_spec}", source.rows) as advance:
        for chunk in source.chunks(chunk_rows, require_labels=True):
            frame = chunk.frame
            mine = frame.iloc[procs.shard(len(frame))]
            grow = lambda n: advance(n * procs.world)  # noqa: E731  (the bar counts every process's rows)
            part = (
                task.predict_chunk(model, tokenizer, mine, config, device, on_batch=grow)
                if len(mine)
                else None
            )
            predicted = procs.gather_frame(part, len(frame))
            golds = [[a["text"] for a in answers_of(v)] for v in frame["answers"]]
            langs = frame["lang"].tolist()
            predicted["exact_match"] = [exact_match(p, g, normalization, lang)
                                        for p, g, lang in zip(predicted["answer"], golds, langs, strict=True)]  # fmt: skip
            predicted["f1"] = [f1(p, g, normalization, lang)
                               for p, g, lang in zip(predicted["answer"], golds, langs, strict=True)]  # fmt: skip
            if writer is not None:
                writer.write(predicted.assign(model=model_spec))
            parts.append(predicted[["question_lang", "lang", "exact_match", "f1"]])
    rows = pd.concat(parts, ignore_index=True)
    metrics = (
        rows.groupby(["question_lang", "lang"], sort=True)
        .agg(n=("f1", "size"), exact_match=("exact_match", "mean"), f1=("f1", "mean"))
        .reset_index()
    )
    metrics.insert(0, "model", model_spec)
    return metrics


def summarize_qa(metrics: pd.DataFrame, source_lang: str) -> pd.DataFrame:
    rows = []
    for model, frame in metrics.groupby("model", sort=False):
        same = frame[frame["question_lang"] == frame["lang"]]
        cross = frame[frame["question_lang"] != frame["lang"]]
        source = same[same["lang"] == source_lang]
        source_f1 = float(source["f1"].iloc[0]) if len(source) else float("nan")
        others = same[same["lang"] != source_lang]
        worst = frame.loc[frame["f1"].idxmin()]
        rows.append({
            "model": model, "pairs": len(frame), "source_f1": source_f1,
            "xlt_f1": float(same["f1"].mean()) if len(same) else float("nan"),
            "xlt_em": float(same["exact_match"].mean()) if len(same) else float("nan"),
            "gxlt_f1": float(frame["f1"].mean()), "gxlt_em": float(frame["exact_match"].mean()),
            "cross_f1": float(cross["f1"].mean()) if len(cross) else float("nan"),
            "cross_em": float(cross["exact_match"].mean()) if len(cross) else float("nan"),
            "avg_gap_f1": float((source_f1 - others["f1"]).mean()) if len(others) else float("nan"),
            "worst_f1": float(worst["f1"]), "worst_pair": f"{worst['question_lang']}-{worst['lang']}",
        })  # fmt: skip
    return pd.DataFrame(rows)


def evaluate_qa(
    config: EvalConfig, source: DatasetStream, chunk_rows: int = CHUNK_ROWS
) -> tuple[Artifact, pd.DataFrame]:
    """The outputs were checked by `evaluate`, which calls this for a QA dataset."""
    if config.languages:
        raise AlsaceError("--languages: teacher and student groups are not defined for QA yet")
    normalization = normalization_for(config, source)
    provenance = make_provenance("eval", config, {"data": config.data}
                                 | {f"model{i}": m for i, m in enumerate(config.models)})  # fmt: skip
    from alsace_cli.distributed import processes

    main = processes(config.device).main
    parts = []
    with contextlib.ExitStack() as stack:
        writer = None
        if config.predictions_out and main:
            meta: dict[str, Any] = {"task": "qa", "labels": [], "provenance": provenance}
            writer = stack.enter_context(ArtifactWriter(config.predictions_out, "qa_predictions", meta))
        for model in config.models:
            parts.append(_score_model(model, source, config, normalization, writer, chunk_rows))
    metrics = pd.concat(parts, ignore_index=True)
    summary = summarize_qa(metrics, config.source_lang)
    meta = {"task": "qa", "source_lang": config.source_lang, "normalization": normalization,
            "summary": report.frame_records(summary), "provenance": provenance}  # fmt: skip
    if not main:  # the main process writes; the others computed the same metrics
        return Artifact(metrics, meta, None), summary
    out = write_artifact(metrics, config.out, "qa_metrics", meta)
    save_config(config, "eval", config_path_for(out))
    if config.plot:
        plot_f1_matrix(metrics, config.plot)
    return Artifact(metrics, meta, out), summary


def f1_matrix(metrics: pd.DataFrame, model: str) -> pd.DataFrame:
    part = metrics[metrics["model"] == model]
    return part.pivot(index="question_lang", columns="lang", values="f1") * 100


def plot_f1_matrix(metrics: pd.DataFrame, path: str) -> None:
    """A heatmap of F1 per (question language, context language), one panel per model."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from alsace_cli.atomic import atomic_file

    models = list(dict.fromkeys(metrics["model"]))
    first = f1_matrix(metrics, models[0])
    side = max(3.0, 0.55 * len(first.columns) + 1.5)
    fig, axes = plt.subplots(1, len(models), figsize=(side * len(models), side), squeeze=False)
    for ax, model in zip(axes[0], models, strict=True):
        matrix = f1_matrix(metrics, model)
        image = ax.imshow(matrix.to_numpy(dtype=float), vmin=0, vmax=100, cmap="viridis")
        ax.set_xticks(range(len(matrix.columns)), matrix.columns)
        ax.set_yticks(range(len(matrix.index)), matrix.index)
        ax.set_xlabel("context language")
        ax.set_ylabel("question language")
        ax.set_title(str(model)[-40:], fontsize="small")
        for (i, j), value in np.ndenumerate(matrix.to_numpy(dtype=float)):
            if not np.isnan(value):
                ax.text(
                    j,
                    i,
                    f"{value:.0f}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="black" if value > 60 else "white",
                )
    fig.colorbar(image, ax=axes[0].tolist(), label="F1")
    from pathlib import Path

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(target) as tmp:
        fig.savefig(tmp, format=target.suffix.lstrip(".") or "png", dpi=120)
    plt.close(fig)
