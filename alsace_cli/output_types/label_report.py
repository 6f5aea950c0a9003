"""The label-distribution report: accuracy and gap per language per model, the averages, the ensemble
table, and the per-language plot (Rich tables on stderr)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from rich.table import Table

from alsace_cli.io.atomic import atomic_file
from alsace_cli.runtime.report import EXTREMES, console, esc, fmt, info


def shown_languages(metrics: pd.DataFrame, source_lang: str) -> tuple[list[str], int]:
    """The languages the per-language table lists: all of them, or with many languages the source and the
    EXTREMES best and worst by the first model's accuracy (the rest are in metrics.parquet); and how many
    are left out."""
    langs = list(dict.fromkeys(metrics["lang"]))
    if len(langs) <= 4 * EXTREMES:
        return langs, 0
    first = metrics[metrics["model"] == metrics["model"].iloc[0]].set_index("lang")["accuracy"]
    order = first.sort_values(ascending=False, kind="stable").index.tolist()
    shown = list(
        dict.fromkeys([source_lang] * (source_lang in first.index) + order[:EXTREMES] + order[-EXTREMES:])
    )
    return shown, len(langs) - len(shown)


def show_gap_report(metrics: pd.DataFrame, summary: pd.DataFrame, source_lang: str) -> None:
    """Per-language accuracy and gap per model, then the averages; a gap is never shown without accuracy."""
    models = list(dict.fromkeys(metrics["model"]))
    langs, left_out = shown_languages(metrics, source_lang)
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
    for lang in langs:
        rows = metrics[metrics["lang"] == lang].set_index("model")
        cells = [esc(lang)] + ([str(rows["role"].iloc[0])] if "role" in metrics.columns else [])
        for model in models:
            cells += [fmt(100 * rows.loc[model, "accuracy"]), fmt(100 * rows.loc[model, "gap"])]
        per_lang.add_row(*cells, str(int(rows["n"].iloc[0])))
    console.print(per_lang)
    if left_out:
        info(
            f"  the source and the {EXTREMES} best and {EXTREMES} worst languages by [0]'s accuracy; {left_out} more "
            "in the metrics file, and per group below (eval --groups)"
        )
    info(f"  Δ_t = acc_{source_lang} − acc_t, in points")
    for index, model in enumerate(models):
        info(f"  [{index}] {esc(model)}")
    averages = Table(
        title="Averages (%): accuracy over all languages, gap over non-source ones", title_justify="left"
    )
    for column in ("model", "group", "langs", f"acc_{source_lang}", "avg acc", "avg Δ", "worst acc"):
        averages.add_column(column, justify="left" if column in ("model", "group") else "right")
    for row in summary.itertuples(index=False):
        averages.add_row(
            f"[{models.index(row.model)}]",
            esc(row.group),
            str(row.n_langs),
            fmt(100 * row.source_accuracy),
            fmt(100 * row.avg_accuracy),
            fmt(100 * row.avg_gap),
            f"{fmt(100 * row.worst_accuracy)} ({esc(row.worst_lang)})",
        )
    console.print(averages)


def show_comparisons(comparisons: list[dict], metrics: pd.DataFrame) -> None:
    """Each later model against the first, paired on the same test ids: the difference with its bootstrap
    interval, per language with McNemar's exact p, then the average accuracy and the average gap."""
    models = list(dict.fromkeys(metrics["model"]))
    for model in dict.fromkeys(row["model"] for row in comparisons):
        rows = [row for row in comparisons if row["model"] == model]
        out = Table(
            title=f"[{models.index(model)}] − [0], paired on the test ids: points, 95% bootstrap interval",
            title_justify="left",
        )
        for column in (
            "",
            "difference",
            "95% interval",
            "right only in [0]",
            f"right only in [{models.index(model)}]",
            "McNemar p",
        ):
            out.add_column(column, justify="left" if not column else "right")
        for row in rows:
            name = (
                row["lang"]
                if row["what"] == "language"
                else {"average": "average accuracy", "gap": "average gap"}[row["what"]]
            )
            interval = f"{row['ci_low']:+.2f} … {row['ci_high']:+.2f}"
            tests = (
                [str(row["lost"]), str(row["gained"]), f"{row['p_mcnemar']:.3g}"]
                if "p_mcnemar" in row
                else ["", "", ""]
            )
            out.add_row(esc(name), f"{row['difference']:+.2f}", interval, *tests)
        console.print(out)


def show_ensemble(rows: list[dict]) -> None:
    """The ensemble analysis: accuracy of one prediction per instance combined across its languages."""
    models = list(dict.fromkeys(row["model"] for row in rows))
    table = Table(title="Ensemble across languages: accuracy (%) per instance", title_justify="left")
    for column in ("model", "method", "accuracy", "n"):
        table.add_column(column, justify="left" if column in ("model", "method") else "right")
    for row in rows:
        table.add_row(
            f"[{models.index(row['model'])}]", row["method"], fmt(100 * row["accuracy"]), str(row["n"])
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


def plot_markers(metrics: pd.DataFrame, source_lang: str) -> dict[str, bool]:
    """Per language, whether its dot is filled: teachers and the source language (whatever role select gave
    it), as the legend says; every dot when the metrics carry no roles."""
    langs = list(dict.fromkeys(metrics["lang"]))
    if "role" not in metrics.columns:
        return dict.fromkeys(langs, True)
    roles = metrics.drop_duplicates("lang").set_index("lang")["role"]
    return {lang: lang == source_lang or roles.get(lang) in ("teacher", "source") for lang in langs}


def _plotted(metrics: pd.DataFrame, source_lang: str) -> tuple[pd.DataFrame, str]:
    """What the plot draws: every language, or with many the source and the extremes, plus one row per
    `--groups` group (its mean accuracy, named [group]); and the note its title carries."""
    langs, left_out = shown_languages(metrics, source_lang)
    if not left_out:
        return metrics, ""
    shown = metrics[metrics["lang"].isin(langs)]
    note = f"; the {EXTREMES} best and worst of {metrics['lang'].nunique()} languages"
    if "lang_group" in metrics.columns:
        means = metrics.groupby(["model", "lang_group"], sort=False)["accuracy"].mean().reset_index()
        means = means.assign(lang="[" + means["lang_group"] + "]", role="group", n=0, gap=np.nan)
        shown = pd.concat([shown, means[shown.columns.intersection(means.columns)]], ignore_index=True)
        note += ", and each group's mean [in brackets]"
    return shown, note


def plot_accuracy(metrics: pd.DataFrame, path: str | Path, source_lang: str = "en") -> Path:
    """Per language, one row: the first model's accuracy as a dot and an arrow to the last model's, the
    change written beside it; languages sorted by the first model's accuracy, teachers filled and students
    hollow (when the metrics carry roles), the source language in bold. Height grows with the number of
    languages, so 24 and 100 languages are both readable."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics, note = _plotted(metrics, source_lang)
    models = list(dict.fromkeys(metrics["model"]))
    names = short_names(models)
    pivot = metrics.pivot(index="lang", columns="model", values="accuracy")[models] * 100
    first, last = pivot[models[0]], pivot[models[-1]]
    pivot = pivot.loc[first.sort_values(ascending=True, kind="stable").index]  # best at the top
    roles = metrics.drop_duplicates("lang").set_index("lang")["role"] if "role" in metrics.columns else None
    filled = plot_markers(metrics, source_lang)
    n = len(pivot)
    fig, ax = plt.subplots(figsize=(8.0, 1.2 + 0.24 * n))
    y = np.arange(n)
    for i, lang in enumerate(pivot.index):
        a, b = float(first[lang]), float(last[lang])
        color = "tab:green" if b > a else ("tab:red" if b < a else "0.5")
        ax.scatter([a], [i], s=28, zorder=3, color="0.25", facecolors="0.25" if filled[lang] else "white")
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
    ax.set_title(title + f"; {source_lang} in bold{note}", fontsize=8)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path) as tmp:
        fig.savefig(tmp, format=path.suffix.lstrip(".") or "png", dpi=120)
    plt.close(fig)
    return path


def show_breakdown(breakdown: dict) -> None:
    """Accuracy by the task's breakdown column (a probe's country): one table per model, values × languages."""
    frame = pd.DataFrame(breakdown["rows"])
    for model, part in frame.groupby("model", sort=False):
        table = part.pivot(index="value", columns="lang", values="accuracy") * 100
        out = Table(title=f"Accuracy (%) by {breakdown['column']}: {model}", title_justify="left")
        out.add_column(breakdown["column"])
        for lang in table.columns:
            out.add_column(str(lang), justify="right")
        for value, row in table.iterrows():
            out.add_row(str(value), *(fmt(v) for v in row))
        console.print(out)
