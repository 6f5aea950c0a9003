"""The extractive-QA report: F1 per (question language, context language) per model, the summary (XLT,
G-XLT, cross-only, the gap), and the F1 heatmap."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from rich.markup import escape
from rich.table import Table

from alsace_cli.io.atomic import atomic_file
from alsace_cli.runtime.report import console, esc, fmt, info


def show_qa_report(
    metrics: pd.DataFrame, summary: pd.DataFrame, normalization: str, source_lang: str
) -> None:
    """F1 per (question language, context language) per model, then XLT, G-XLT, cross-only and the gap."""
    models = list(dict.fromkeys(metrics["model"]))
    for index, model in enumerate(models):
        part = metrics[metrics["model"] == model]
        matrix = part.pivot(index="question_lang", columns="lang", values="f1") * 100
        grid = Table(
            title=f"[{index}] F1 (%) by question language (rows) and context language (columns)",
            title_justify="left",
        )
        grid.add_column("q \\ c")
        for lang in matrix.columns:
            grid.add_column(escape(str(lang)), justify="right")
        for qlang, values in matrix.iterrows():
            grid.add_row(escape(str(qlang)), *(fmt(v) for v in values))
        console.print(grid)
    info(
        f"  answers normalised with {normalization.upper()}'s rules"
        + (" (per context language)" if normalization == "mlqa" else "")
        + "; n per pair in the metrics file"
    )
    for index, model in enumerate(models):
        info(f"  [{index}] {esc(model)}")
    averages = Table(title="QA summary (%): F1 and exact match", title_justify="left")
    columns = (
        "model",
        "pairs",
        f"F1 {source_lang}-{source_lang}",
        "XLT F1",
        "XLT EM",
        "G-XLT F1",
        "G-XLT EM",
        "cross F1",
        "avg gap F1",
        "worst F1",
    )
    for column in columns:
        averages.add_column(column, justify="left" if column == "model" else "right")
    for row in summary.itertuples(index=False):
        averages.add_row(
            f"[{models.index(row.model)}]",
            str(row.pairs),
            fmt(100 * row.source_f1),
            fmt(100 * row.xlt_f1),
            fmt(100 * row.xlt_em),
            fmt(100 * row.gxlt_f1),
            fmt(100 * row.gxlt_em),
            fmt(100 * row.cross_f1),
            fmt(100 * row.avg_gap_f1),
            f"{fmt(100 * row.worst_f1)} ({row.worst_pair})",
        )
    console.print(averages)
    info(
        "  XLT: same-language pairs; G-XLT: all (question, context) pairs; cross: pairs of two languages; "
        f"gap: F1 {source_lang}-{source_lang} − F1 t-t"
    )


def f1_matrix(metrics: pd.DataFrame, model: str) -> pd.DataFrame:
    part = metrics[metrics["model"] == model]
    return part.pivot(index="question_lang", columns="lang", values="f1") * 100


def plot_f1_matrix(metrics: pd.DataFrame, path: str) -> None:
    """A heatmap of F1 per (question language, context language), one panel per model."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

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
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(target) as tmp:
        fig.savefig(tmp, format=target.suffix.lstrip(".") or "png", dpi=120)
    plt.close(fig)
