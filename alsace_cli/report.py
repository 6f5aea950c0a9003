"""What people and scripts see: Rich tables and progress on stderr, JSON on stdout, plots."""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

LOG_EVERY_S = 30.0
console = Console(stderr=True)
if not console.is_terminal:  # logs and CI: wide enough that tables are not folded
    console.width = 120


def set_main_process(is_main: bool) -> None:
    """Under several processes only the main one prints tables, progress and JSON (errors still show)."""
    global MAIN
    MAIN = is_main
    console.quiet = not is_main


MAIN = True


def info(message: str) -> None:
    """A line for people on stderr; Rich markup allowed, so user text in it goes through `esc`."""
    console.print(message, highlight=False, soft_wrap=True)


def warn(message: str) -> None:
    """A one-line warning on stderr; user text in it goes through `esc`, as for `info`."""
    console.print("[yellow]warning:[/yellow] " + message, highlight=False, soft_wrap=True)


def esc(value: object) -> str:
    """User text (a path, a language code) made safe to put in a Rich-markup line: `[red]` stays literal."""
    return escape(str(value))


def error(message: str) -> None:
    """One `error:` line on stderr; the message is printed literally, never read as markup."""
    (console if MAIN else Console(stderr=True)).print(
        "[bold red]error:[/bold red] " + escape(" ".join(message.split())), highlight=False, soft_wrap=True
    )


@contextlib.contextmanager
def progress(description: str, total: int) -> Iterator[Callable[..., None]]:
    """A progress bar on stderr; yields `advance(n=1, status="")`.

    Where stderr is not a terminal (a batch job's log), a plain line every LOG_EVERY_S seconds (and one at
    the end, if any was printed) replaces the bar, so short jobs stay quiet.
    """
    if not console.is_terminal:
        done, start = 0, time.monotonic()
        last = start

        def log_line(n: int = 1, status: str = "") -> None:
            nonlocal done, last
            done += n
            now = time.monotonic()
            if now - last >= LOG_EVERY_S or (done >= total and last > start):
                info(f"{description}: {done}/{total} {status}".rstrip())
                last = now

        yield log_line
        return
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
    with bar:
        task = bar.add_task(description, total=total, status="")

        def advance(n: int = 1, status: str = "") -> None:
            bar.update(task, advance=n, status=status)

        yield advance


def print_json(payload: Any) -> None:
    if not MAIN:
        return
    sys.stdout.write(json.dumps(payload, indent=2, default=_json_default) + "\n")
    sys.stdout.flush()


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    return str(value)


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return json.loads(frame.to_json(orient="records"))


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def table(title: str, frame: pd.DataFrame, digits: dict[str, int] | None = None) -> Table:
    out = Table(title=title, title_justify="left")
    for column in frame.columns:
        out.add_column(str(column), justify="left" if frame[column].dtype == object else "right")
    for row in frame.itertuples(index=False):
        out.add_row(*(_fmt(v, (digits or {}).get(c, 4)) for c, v in zip(frame.columns, row, strict=True)))
    return out


def show_languages(languages: pd.DataFrame, threshold: float) -> None:
    view = languages.sort_values("score", ascending=False)[["lang", "role", "avg_confidence", "score", "n"]]
    console.print(table(f"Teacher selection (threshold on score: {threshold:.6f})", view))


def show_gap_report(metrics: pd.DataFrame, summary: pd.DataFrame, source_lang: str) -> None:
    """Per-language accuracy and gap per model, then the averages; a gap is never shown without accuracy."""
    models = list(dict.fromkeys(metrics["model"]))
    per_lang = Table(
        title=f"Accuracy (%) and transfer gap Δ = acc_{source_lang} − acc_t", title_justify="left"
    )
    per_lang.add_column("lang")
    if "role" in metrics.columns:
        per_lang.add_column("role")
    for index in range(len(models)):
        per_lang.add_column(f"acc [{index}]", justify="right")
        per_lang.add_column(f"Δ [{index}]", justify="right")
    per_lang.add_column("n", justify="right")
    for lang in list(dict.fromkeys(metrics["lang"])):
        rows = metrics[metrics["lang"] == lang].set_index("model")
        cells = [lang] + ([str(rows["role"].iloc[0])] if "role" in metrics.columns else [])
        for model in models:
            cells += [_fmt(100 * rows.loc[model, "accuracy"]), _fmt(100 * rows.loc[model, "gap"])]
        per_lang.add_row(*cells, str(int(rows["n"].iloc[0])))
    console.print(per_lang)
    info(f"  Δ_t = acc_{source_lang} − acc_t, in points")
    for index, model in enumerate(models):
        info(f"  [{index}] {model}")
    averages = Table(
        title="Averages (%): accuracy over all languages, gap over non-source ones", title_justify="left"
    )
    for column in ("model", "group", "langs", f"acc_{source_lang}", "avg acc", "avg Δ", "worst acc"):
        averages.add_column(column, justify="left" if column in ("model", "group") else "right")
    for row in summary.itertuples(index=False):
        averages.add_row(
            f"[{models.index(row.model)}]",
            row.group,
            str(row.n_langs),
            _fmt(100 * row.source_accuracy),
            _fmt(100 * row.avg_accuracy),
            _fmt(100 * row.avg_gap),
            f"{_fmt(100 * row.worst_accuracy)} ({row.worst_lang})",
        )
    console.print(averages)


def show_qa_report(
    metrics: pd.DataFrame, summary: pd.DataFrame, normalization: str, source_lang: str
) -> None:
    """F1 per (question language, context language) per model, then XLT, G-XLT, cross-only and the gap."""
    models = list(dict.fromkeys(metrics["model"]))
    for index, model in enumerate(models):
        part = metrics[metrics["model"] == model]
        matrix = part.pivot(index="question_lang", columns="lang", values="f1") * 100
        grid = Table(title=f"[{index}] F1 (%) by question language (rows) and context language (columns)",
                     title_justify="left")  # fmt: skip
        grid.add_column("q \\ c")
        for lang in matrix.columns:
            grid.add_column(escape(str(lang)), justify="right")
        for qlang, values in matrix.iterrows():
            grid.add_row(escape(str(qlang)), *(_fmt(v) for v in values))
        console.print(grid)
    info(
        f"  answers normalised with {normalization.upper()}'s rules"
        + (" (per context language)" if normalization == "mlqa" else "")
        + "; n per pair in the metrics file"
    )
    for index, model in enumerate(models):
        info(f"  [{index}] {esc(model)}")
    averages = Table(title="QA summary (%): F1 and exact match", title_justify="left")
    columns = ("model", "pairs", f"F1 {source_lang}-{source_lang}", "XLT F1", "XLT EM", "G-XLT F1", "G-XLT EM",
               "cross F1", "avg gap F1", "worst F1")  # fmt: skip
    for column in columns:
        averages.add_column(column, justify="left" if column == "model" else "right")
    for row in summary.itertuples(index=False):
        averages.add_row(
            f"[{models.index(row.model)}]", str(row.pairs), _fmt(100 * row.source_f1), _fmt(100 * row.xlt_f1),
            _fmt(100 * row.xlt_em), _fmt(100 * row.gxlt_f1), _fmt(100 * row.gxlt_em), _fmt(100 * row.cross_f1),
            _fmt(100 * row.avg_gap_f1), f"{_fmt(100 * row.worst_f1)} ({row.worst_pair})",
        )  # fmt: skip
    console.print(averages)
    info("  XLT: same-language pairs; G-XLT: all (question, context) pairs; cross: pairs of two languages; "
         f"gap: F1 {source_lang}-{source_lang} − F1 t-t")  # fmt: skip


def show_ensemble(rows: list[dict]) -> None:
    """The ensemble analysis: accuracy of one prediction per instance combined across its languages."""
    models = list(dict.fromkeys(row["model"] for row in rows))
    table = Table(title="Ensemble across languages: accuracy (%) per instance", title_justify="left")
    for column in ("model", "method", "accuracy", "n"):
        table.add_column(column, justify="left" if column in ("model", "method") else "right")
    for row in rows:
        table.add_row(
            f"[{models.index(row['model'])}]", row["method"], _fmt(100 * row["accuracy"]), str(row["n"])
        )
    console.print(table)


def short_names(models: list[str]) -> list[str]:
    """The shortest trailing parts of the model paths that still tell them apart."""
    parts = [Path(m).parts or (m,) for m in models]
    for depth in range(1, max(len(p) for p in parts) + 1):
        names = ["/".join(p[-depth:]) for p in parts]
        if len(set(names)) == len(names):
            return names
    return list(models)


def plot_accuracy(metrics: pd.DataFrame, path: str | Path, source_lang: str = "en") -> Path:
    """Per language, one row: the first model's accuracy as a dot and an arrow to the last model's, the
    change written beside it; languages sorted by the first model's accuracy, teachers filled and students
    hollow (when the metrics carry roles), the source language in bold. Height grows with the number of
    languages, so 24 and 100 languages are both readable."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from alsace_cli.atomic import atomic_file

    models = list(dict.fromkeys(metrics["model"]))
    names = short_names(models)
    pivot = metrics.pivot(index="lang", columns="model", values="accuracy")[models] * 100
    first, last = pivot[models[0]], pivot[models[-1]]
    pivot = pivot.loc[first.sort_values(ascending=True, kind="stable").index]  # best at the top
    roles = metrics.drop_duplicates("lang").set_index("lang")["role"] if "role" in metrics.columns else None
    n = len(pivot)
    fig, ax = plt.subplots(figsize=(8.0, 1.2 + 0.24 * n))
    y = np.arange(n)
    for i, lang in enumerate(pivot.index):
        a, b = float(first[lang]), float(last[lang])
        color = "tab:green" if b > a else ("tab:red" if b < a else "0.5")
        role = None if roles is None else roles.get(lang)
        ax.scatter([a], [i], s=28, zorder=3, color="0.25",
                   facecolors="0.25" if role in ("teacher", "source") or roles is None else "white")  # fmt: skip
        if len(models) > 1:
            if abs(b - a) > 1e-9:
                ax.annotate(
                    "", xy=(b, i), xytext=(a, i), arrowprops={"arrowstyle": "->", "color": color, "lw": 1.5}
                )
            ax.text(max(a, b) + 0.8, i, f"{b - a:+.1f}", va="center", fontsize=7, color=color)
        for k, model in enumerate(models[1:-1], start=1):
            ax.scatter([pivot.loc[lang, model]], [i], s=10, marker="|", color=f"C{k}", zorder=2)
    ax.set_yticks(y)
    labels = ax.set_yticklabels(pivot.index, fontsize=8 if n <= 40 else 6)
    for label in labels:
        if label.get_text() == source_lang:
            label.set_fontweight("bold")
    low, high = float(np.nanmin(pivot.to_numpy())), float(np.nanmax(pivot.to_numpy()))
    ax.set_xlim(max(0.0, low - 5), min(100.0, high + 8))
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlabel("accuracy (%)")
    ax.grid(axis="x", alpha=0.3)
    title = f"{names[0]} (dot)" + (f" → {names[-1]} (arrow tip)" if len(models) > 1 else "")
    if roles is not None:
        title += "; filled: teacher or source, hollow: student"
    ax.set_title(title + f"; {source_lang} in bold", fontsize=8)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path) as tmp:
        fig.savefig(tmp, format=path.suffix.lstrip(".") or "png", dpi=120)
    plt.close(fig)
    return path
