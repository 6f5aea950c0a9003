"""`alsace data info`: what a dataset holds, per language, and how parallel it is."""

from __future__ import annotations

from typing import Any

import pandas as pd

from alsace_cli.io.artifacts import load_dataset, read_artifact, read_meta_kind


def _rule_rows(frame: pd.DataFrame) -> tuple[list[dict[str, Any]], str]:
    rows = frame[["lang", "role", "teaches", "learns"]].to_dict(orient="records")
    return rows, "a pairing rule: distill draws pairs of one instance, a teacher language teaching a learner"


def _pair_table_rows(frame: pd.DataFrame) -> tuple[list[dict[str, Any]], str]:
    counts = frame.groupby("student_lang").size().rename("as student")
    taught = frame.groupby("teacher_lang").size().rename("as teacher")
    table = pd.concat([counts, taught], axis=1).fillna(0).astype(int).rename_axis("lang").reset_index()
    return table.to_dict(orient="records"), "a table of (id, student_lang, teacher_lang) pairs"


# make-pairs' two outputs (`data info` reads them too): each kind's per-language rows and description.
PAIR_KINDS = {"pair_rule": _rule_rows, "pairs": _pair_table_rows}


def pairs_info(path: str, kind: str) -> dict[str, Any]:
    """make-pairs' output: the pairing rule (one row per language: role, teaches, learns) or the table of pairs."""
    frame = read_artifact(path, kind).frame
    per_lang, what = PAIR_KINDS[kind](frame)
    return {
        "path": str(path),
        "kind": kind,
        "task": what,
        "labels": [],
        "rows": len(frame),
        "ids": int(frame["id"].nunique()) if "id" in frame else 0,
        "languages": sorted(frame["lang" if "lang" in frame else "student_lang"].unique().tolist()),
        "ids_in_every_language": 0,
        "per_language": per_lang,
        "labeled": False,
    }


def dataset_info(path: str) -> dict[str, Any]:
    kind = read_meta_kind(path)
    if kind in PAIR_KINDS:
        return pairs_info(path, kind)
    dataset = load_dataset(path)
    frame = dataset.frame
    per_lang = frame.groupby("lang", sort=True).size()
    ids_per_lang = frame.groupby("id", sort=False)["lang"].nunique()
    n_langs = frame["lang"].nunique()
    rows = []
    for lang, n in per_lang.items():
        row: dict[str, Any] = {"lang": lang, "rows": int(n)}
        if "label" in frame.columns:
            counts = frame.loc[frame["lang"] == lang, "label"].value_counts(dropna=False)
            for index, name in enumerate(dataset.labels):
                row[name] = int(counts.get(index, 0))
            row["unlabeled"] = int(frame.loc[frame["lang"] == lang, "label"].isna().sum())
        if "answers" in frame.columns:  # QA: rows per question language too, and how many are answered
            part = frame[frame["lang"] == lang]
            row["question_langs"] = ",".join(sorted(part["question_lang"].unique()))
            row["answered"] = int(part["answers"].map(lambda a: a is not None and len(a) > 0).sum())
        rows.append(row)
    return {
        "path": str(path),
        "task": dataset.task,
        "labels": dataset.labels,
        "rows": len(frame),
        "ids": int(frame["id"].nunique()),
        "languages": sorted(per_lang.index.tolist()),
        "ids_in_every_language": int((ids_per_lang == n_langs).sum()),
        "per_language": rows,
        "labeled": dataset.has_labels or ("answers" in frame.columns),
    }


def info_table(info: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(info["per_language"])


def info(config: Any) -> dict[str, Any]:
    """`alsace data info PATH` (configs: InfoConfig)."""
    return {"path": config.path, **dataset_info(config.path)}
