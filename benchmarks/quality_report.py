"""The quality benchmark's report: results.json, results.md and accuracy.png from a bench's artifacts.

Reads only what `quality.py` wrote (metrics-<row>.parquet per seed, tune-<row>.parquet, eval's saved
test predictions, timings.json), so a report can be re-rendered at any time without re-running a model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# The summary table's columns, in order: record key → header.
COLUMNS = {
    "en": "English",
    "all_acc": "avg acc",
    "all_gap": "avg gap",
    "students_acc": "students acc",
    "students_gap": "students gap",
    "teachers_acc": "teachers acc",
    "teachers_gap": "teachers gap",
    "worst": "worst lang",
    "std_langs": "std across langs",
}
# The success criterion allows English to fall by at most this much (points).
ENGLISH_TOLERANCE = 0.5


def markdown_table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(cells) + " |" for cells in rows]


def mean_std(values: np.ndarray, sign: bool = False) -> str:
    """'m ± s' over seeds (the sample std), just 'm' for one seed."""
    mean = f"{values.mean():+.2f}" if sign else f"{values.mean():.2f}"
    return mean + (f" ± {values.std(ddof=1):.2f}" if len(values) > 1 else "")


def paired_t(values: np.ndarray) -> float:
    """The one-sample t statistic of paired differences: mean / (std / √n), with n − 1 degrees of freedom.

    With 3 seeds (2 degrees of freedom) |t| > 4.30 is significant at 0.05 two-sided, |t| > 2.92 one-sided.
    """
    std = values.std(ddof=1)
    if std == 0:
        return float("inf") * np.sign(values.mean()) if values.mean() else 0.0
    return float(values.mean() / (std / np.sqrt(len(values))))


def difference_cell(values: np.ndarray) -> str:
    """'m ± s (t x)' over seeds, 'm' for one seed."""
    cell = mean_std(values, sign=True)
    return cell + (f" (t {paired_t(values):+.2f})" if len(values) > 1 else "")


def seed_record(row: str, seed: int, metrics: pd.DataFrame) -> dict[str, Any]:
    """One row × seed: English, then accuracy and gap over all languages, the teachers, the students."""
    record: dict[str, Any] = {"row": row, "seed": seed}
    record["en"] = float(metrics.loc[metrics["lang"] == "en", "accuracy"].iloc[0])
    for group, role in (("all", None), ("teachers", "teacher"), ("students", "student")):
        part = metrics if role is None else metrics[metrics["role"] == role]
        gaps = part["gap"].dropna()
        record[f"{group}_acc"] = float(part["accuracy"].mean()) if len(part) else np.nan
        record[f"{group}_gap"] = float(gaps.mean()) if len(gaps) else np.nan
        record[f"{group}_n"] = len(part)
    worst = metrics.loc[metrics["accuracy"].idxmin()]
    record["worst"] = float(worst["accuracy"])
    record["worst_lang"] = str(worst["lang"])
    record["std_langs"] = float(metrics["accuracy"].std(ddof=0))
    return record


def summary_table(table: pd.DataFrame) -> list[str]:
    """Per row: mean ± std over seeds of every column, in points."""
    rows = []
    for row, part in table.groupby("row", sort=False):
        cells = [str(row), str(len(part))]
        for column in COLUMNS:
            values = part[column].to_numpy(dtype=float) * 100
            if np.isnan(values).all():  # e.g. the students of "all", which has none
                cells.append("-")
                continue
            cell = mean_std(values)
            if column == "worst":
                cell += f" ({'/'.join(sorted(part['worst_lang'].unique()))})"
            cells.append(cell)
        rows.append(cells)
    return markdown_table(["row", "n seeds", *COLUMNS.values()], rows)


def paired_differences(table: pd.DataFrame, reference: str = "baseline") -> list[str]:
    """Each row minus `reference` on the same seed: the seeds' baselines differ more than the rows do.

    Every cell is the mean ± std over seeds and the paired t statistic (n − 1 degrees of freedom). The
    last column counts the seeds that meet the issue's criterion against the reference: average accuracy
    up, average gap down, English down by at most ENGLISH_TOLERANCE points.
    """
    base = table[table["row"] == reference].set_index("seed")
    if base.empty or table["seed"].nunique() < 2:
        return []
    columns = {"en": "English", "all_acc": "avg acc", "all_gap": "avg gap", "worst": "worst lang"}
    rows = []
    for row, part in table[table["row"] != reference].groupby("row", sort=False):
        part = part[part["seed"].isin(base.index)].set_index("seed")
        if part.empty or (reference != "baseline" and row == "baseline"):
            continue
        delta = {c: (part[c] - base.loc[part.index, c]) * 100 for c in columns}
        cells = [str(row), str(len(part))]
        cells += [difference_cell(delta[c].to_numpy(dtype=float)) for c in columns]
        wins = (delta["all_acc"] > 0) & (delta["all_gap"] < 0) & (delta["en"] >= -ENGLISH_TOLERANCE)
        cells.append(f"{int(wins.sum())} of {len(part)}")
        rows.append(cells)
    if not rows:
        return []
    header = ["row", "n seeds", *columns.values(), f"seeds: acc up, gap down, English ≥ −{ENGLISH_TOLERANCE}"]
    intro = (
        f"Difference from {reference} on the same seed (points; mean ± std over seeds, paired t with"
        " n − 1 degrees of freedom: |t| > 4.30 is significant at 0.05 with 3 seeds):"
    )
    return ["", intro, "", *markdown_table(header, rows)]


def per_language_table(langs: pd.DataFrame) -> list[str]:
    rows = [[str(row), *(f"{v:.1f}" for v in values)] for row, values in langs.iterrows()]
    intro = "Per-language accuracy (mean over each row's own seeds: n seeds above):"
    return ["", intro, "", *markdown_table(["row", *langs.columns], rows)]


def teachers_line(per_lang: pd.DataFrame) -> list[str]:
    alsace = per_lang[per_lang["row"] == "alsace"]
    if alsace.empty:
        return []
    seed = alsace["seed"].min()
    teachers = sorted(alsace[(alsace["role"] == "teacher") & (alsace["seed"] == seed)]["lang"])
    return ["", f"ALSACE teachers (seed {seed}): {' '.join(teachers)}"]


def tune_table(rows: list[str], root: Path, seed: int) -> list[str]:
    """The labeled tune slice, where settings were compared (XNLI dev, never test)."""
    cells = []
    for row in rows:
        path = root / f"seed{seed}" / f"tune-{row}.parquet"
        if not path.exists():
            continue
        metrics = pd.read_parquet(path)
        en = float(metrics.loc[metrics["lang"] == "en", "accuracy"].iloc[0])
        students = metrics.loc[metrics["role"] == "student", "accuracy"]
        values = [en, metrics["accuracy"].mean(), metrics["gap"].dropna().mean()]
        values += [students.mean() if len(students) else np.nan, metrics["accuracy"].min()]
        cells.append([row, *("-" if np.isnan(v) else f"{v * 100:.2f}" for v in values)])
    if not cells:
        return []
    intro = (
        f"Labeled tune slice (seed {seed}; the data settings are compared on, not test;"
        " 'students' are each row's own student group):"
    )
    header = ["row", "English", "avg acc", "avg gap", "students acc", "worst"]
    return ["", intro, "", *markdown_table(header, cells)]


def recompute_ensemble(config: dict[str, Any]) -> dict[str, float]:
    """The ensemble from eval's saved test predictions with the current code (empty if they are gone).

    Metrics written before the ensemble took its gold labels from the source language (CHANGELOG) stay
    correct for every other column, so re-scoring the saved predictions beats re-running the models.
    """
    from alsace_cli.output_types.labels import ensemble_accuracy

    predictions_path = config.get("predictions_out")
    if not predictions_path or not Path(predictions_path).exists() or not config.get("languages"):
        return {}
    data = pd.read_parquet(config["data"])
    predictions = pd.read_parquet(predictions_path).drop_duplicates(["id", "lang"])
    merged = data.merge(predictions[["id", "lang", "probs"]], on=["id", "lang"], how="inner")
    languages = pd.read_parquet(config["languages"])
    scores = dict(zip(languages["lang"], languages["score"], strict=True))
    probs = np.stack(merged["probs"].to_numpy())
    rows = ensemble_accuracy("", merged, probs, config["source_lang"], scores)
    return {row["method"]: row["accuracy"] for row in rows}


def ensemble_table(rows: list[str], root: Path, seed: int) -> list[str]:
    import pyarrow.parquet as pq

    found: list[tuple[str, dict[str, float]]] = []
    for row in rows:
        path = root / f"seed{seed}" / f"metrics-{row}.parquet"
        if path.exists():
            meta = json.loads(pq.read_schema(path).metadata[b"alsace"])
            saved = {e["method"]: e["accuracy"] for e in meta.get("ensemble", [])}
            found.append((row, recompute_ensemble(meta["provenance"]["config"]) or saved))
    if not found:
        return []
    methods = list(dict.fromkeys(m for _, accuracies in found for m in accuracies))
    cells = [[row, *(f"{a[m] * 100:.2f}" if m in a else "-" for m in methods)] for row, a in found]
    intro = f"Ensemble across languages on test (seed {seed}): one prediction per instance"
    return ["", intro, "", *markdown_table(["row", *methods], cells)]


def plot(langs: pd.DataFrame, path: Path, rows: list[str]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(max(6, len(langs.columns) * 0.6), 3.5))
    for row in [r for r in rows if r in langs.index]:
        ax.plot(langs.columns, langs.loc[row], marker="o", label=row)
    ax.set_ylabel("accuracy (%)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def summarize_bench(name: str, rows: list[str], seeds: list[int], root: Path, plot_rows: list[str]) -> None:
    """results.json and results.md: per row mean ± std over the seeds that finished, per-language tables."""
    records, per_lang = [], []
    for row in rows:
        for seed in seeds:
            path = root / f"seed{seed}" / f"metrics-{row}.parquet"
            if not path.exists():
                continue
            metrics = pd.read_parquet(path)
            records.append(seed_record(row, seed, metrics))
            per_lang.append(metrics.assign(row=row, seed=seed)[["row", "seed", "lang", "role", "accuracy"]])
    missing_mt = [
        row
        for row in rows
        if row.startswith("translate-")
        and not any((root / f"seed{seed}" / f"metrics-{row}.parquet").exists() for seed in seeds)
    ]
    if not records:
        return
    table = pd.DataFrame(records)
    (root / "results.json").write_text(table.to_json(orient="records", indent=1))
    languages = pd.concat(per_lang)
    langs = languages.groupby(["row", "lang"], sort=False)["accuracy"].mean().unstack() * 100
    lines = [f"### {name}: seeds {', '.join(map(str, sorted(table['seed'].unique())))}", ""]
    lines += summary_table(table)
    if missing_mt:
        lines += [
            "",
            f"{', '.join(missing_mt)}: needs an MT model (`--mt-model facebook/nllb-200-distilled-600M`); "
            "none is installable on this machine, so these rows were not run.",
        ]
    lines += paired_differences(table)
    # The comparisons are against the baseline and against the current best setting, `alsace`.
    if "alsace" in set(table["row"]) and table["row"].nunique() > 2:
        lines += paired_differences(table, reference="alsace")
    lines += per_language_table(langs)
    lines += teachers_line(languages.drop_duplicates(["row", "seed", "lang"]))
    lines += tune_table(rows, root, seeds[0])
    lines += ensemble_table(rows, root, seeds[0])
    timings = json.loads((root / "timings.json").read_text()) if (root / "timings.json").exists() else {}
    lines += ["", f"Step wall times: total {sum(timings.values()) / 60:.1f} min on this machine"]
    (root / "results.md").write_text("\n".join(lines) + "\n")
    plot(langs, root / "accuracy.png", plot_rows)
    print("\n".join(lines))
