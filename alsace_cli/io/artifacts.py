"""Parquet artifacts: their schemas, reading with validation, and atomic writing with provenance.

Every file a stage reads or writes goes through here, so that a bad input is caught at the door with one
clear line, and nothing half-written is ever left where a later stage would pick it up.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from alsace_cli.errors import AlsaceError
from alsace_cli.io.atomic import atomic_file
from alsace_cli.io.schemas import check_duplicates, check_key, check_text, probs_matrix, validate_columns
from alsace_cli.tasks import TASKS, get_task, infer_task

META_KEY = b"alsace"
SCHEMA_VERSION = 1

# Required columns of each artifact kind; a dataset's text columns come from its task.
COLUMNS: dict[str, tuple[str, ...]] = {
    "dataset": ("id", "lang"),
    "predictions": ("id", "lang", "probs", "pred", "confidence"),
    "pseudo_labels": ("id", "pseudo_label", "votes", "n_langs", "agreement"),
    "languages": ("lang", "n", "avg_confidence", "score", "role"),
    "pairs": ("id", "student_lang", "teacher_lang"),
    "pair_rule": ("lang", "role", "teaches", "learns"),
    "metrics": ("model", "lang", "n", "accuracy", "gap"),
    "train_log": ("step", "epoch", "loss", "lr"),
    # distill's dev rows scored at step 0 and the kept step (and at each check: step<k>)
    "guard_dev": ("id", "lang", "step0", "kept"),
    "qa_predictions": ("id", "lang", "question_lang", "answer", "answer_start", "score", "candidates"),
    "qa_metrics": ("model", "question_lang", "lang", "n", "exact_match", "f1"),
}
# Kinds whose list columns stay in Arrow when read (predictions' `probs`: millions of rows stay compact).
ARROW_LISTS = frozenset({"predictions"})
# What to say when a file of one kind is given where another is expected, beyond "is a X artifact".
MISTAKEN_FOR = {
    ("qa_predictions", "predictions"): (
        "holds QA answer spans, not label distributions; the answers to one question in several languages "
        "cannot be voted on by label (vote, self-train and distill's static and ensemble teachers read label "
        "distributions; select takes QA predictions and ranks question languages)"
    ),
}


@dataclass
class Artifact:
    """A validated artifact: its rows, its `alsace` metadata and where it was read from."""

    frame: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def labels(self) -> list[str]:
        return list(self.meta.get("labels", []))


def write_artifact(
    frame: pd.DataFrame, path: str | Path, kind: str, meta: dict[str, Any] | None = None
) -> Path:
    """Write `frame` as Parquet with the `alsace` metadata, via a temporary file renamed into place."""
    path = Path(path)
    missing = [c for c in COLUMNS[kind] if c not in frame.columns]
    if missing:  # a bug in a stage, not a user error: fail loudly
        raise ValueError(f"{kind} artifact is missing columns {missing}")
    table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
    payload = {"artifact": kind, "schema_version": SCHEMA_VERSION, **(meta or {})}
    table = table.replace_schema_metadata(
        {**(table.schema.metadata or {}), META_KEY: json.dumps(payload, sort_keys=True, default=str).encode()}
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path) as tmp:
        pq.write_table(table, tmp)
    return path


def read_meta(path: Path) -> dict[str, Any]:
    raw = (pq.read_schema(path).metadata or {}).get(META_KEY)
    return json.loads(raw) if raw else {}


def read_meta_kind(path: str | Path) -> str | None:
    """The artifact kind a file's metadata claims, or None when it has none or cannot be read (the
    reader that follows then names the problem). Only picks the reader: the file is validated by it."""
    try:
        return read_meta(Path(path)).get("artifact")
    except Exception:  # noqa: BLE001  (any unreadable file: the real read reports it)
        return None


RAW_SUFFIXES = (".csv", ".tsv", ".jsonl", ".json", ".txt")


def check_not_raw(path: Path, what: str) -> None:
    """A CSV, TSV, JSON or text file where alsace's Parquet is expected: name the command that converts it."""
    if path.suffix.lower() in RAW_SUFFIXES and path.is_file():
        raise AlsaceError(
            f"{path}: a {path.suffix[1:].upper()} file, not a {what} Parquet file; convert it with "
            f"`alsace data import {path} --out {path.with_suffix('.parquet').name}` (add --labels NAME,... "
            "when it has labels, --lang when the file name does not say the language)"
        )


def _arrow_lists(arrow_type: pa.DataType) -> pd.ArrowDtype | None:
    """Keep list columns (predictions' `probs`) in Arrow: millions of rows stay compact (schemas.probs_matrix)."""
    return (
        pd.ArrowDtype(arrow_type)
        if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type)
        else None
    )


def _one_chunk(table: pa.Table) -> pa.Table:
    """Each column in one piece, a column at a time (so the peak is the table plus one column). A file read
    row group by row group gives columns in many chunks, and taking a few rows of a chunked Arrow column
    costs time in proportion to the whole column: distill's per-step batch grew with the corpus."""
    for i, name in enumerate(table.column_names):
        if table.column(i).num_chunks > 1:
            table = table.set_column(i, name, table.column(i).combine_chunks())
    return table


def read_artifact(
    path: str | Path, kind: str, what: str | None = None, columns: list[str] | None = None
) -> Artifact:
    """Read a Parquet artifact of `kind`, checking it exists, parses, is that kind, has its columns and rows.
    `columns`: read only those of them the file has; the frame's attrs["file_columns"] lists all it has."""
    path = Path(path)
    what = what or kind.replace("_", " ")
    if not path.exists():
        raise AlsaceError(f"{path}: no such file (expected a {what} Parquet file)")
    if path.is_dir():
        raise AlsaceError(f"{path}: is a directory, expected a {what} Parquet file")
    check_not_raw(path, what)
    try:
        meta = read_meta(path)
        # self_destruct frees each column's Arrow buffers once converted: the peak is one copy, not two.
        names = pq.read_schema(path).names
        wanted = None if columns is None else [c for c in names if c in columns]
        frame = _one_chunk(pq.read_table(path, columns=wanted)).to_pandas(
            types_mapper=_arrow_lists if kind in ARROW_LISTS else None,
            split_blocks=True,
            self_destruct=True,
        )
    except (pa.ArrowInvalid, OSError, json.JSONDecodeError) as exc:
        raise AlsaceError(f"{path}: not a readable Parquet file ({exc})") from None
    found = meta.get("artifact")
    if (found, kind) in MISTAKEN_FOR:
        raise AlsaceError(f"{path}: {MISTAKEN_FOR[found, kind]}")
    if found and found != kind:
        raise AlsaceError(f"{path}: is a {found.replace('_', ' ')} artifact, expected {what}")
    frame.attrs["file_columns"] = names
    missing = [c for c in COLUMNS[kind] if c not in names]
    if missing:
        raise AlsaceError(
            f"{path}: missing column {missing[0]!r} (a {what} file needs {', '.join(COLUMNS[kind])})"
        )
    if frame.empty:
        raise AlsaceError(f"{path}: no rows")
    validate_columns(kind, frame, path, meta)
    return Artifact(frame=frame, meta=meta, path=path)


def check_known_languages(path: Path, languages: list[str], known: list[str], column: str = "lang") -> None:
    unknown = [lang for lang in languages if lang not in set(known)]
    if unknown:
        raise AlsaceError(
            f"{path}: column {column!r}: unknown language {unknown[0]!r} (languages present: {', '.join(known)})"
        )


def check_parallel(frame: pd.DataFrame, path: Path | None, hint: str = "") -> None:
    """Raise unless every id appears in every language: the method compares languages on the same items."""
    # Counted, not compared as sets: (id, lang) is unique in every artifact, so a language is complete when
    # it has a row for each id; the sets are built only for the first language that is not.
    id_names = pd.unique(frame["id"])
    langs, lang_names = pd.factorize(frame["lang"], sort=True)
    short = np.flatnonzero(np.bincount(langs, minlength=len(lang_names)) < len(id_names))
    if len(short):
        lang = lang_names[short[0]]
        missing = sorted(set(id_names) - set(frame.loc[langs == short[0], "id"]))
        raise AlsaceError(
            f"{path}: ids not parallel across languages: lang {lang!r} lacks {len(missing)} of "
            f"{len(id_names)} ids (first: {missing[0]!r}){hint}"
        )


@dataclass
class Dataset:
    """A validated long-format dataset: one row per (id, lang), the task's text columns, maybe labels."""

    frame: pd.DataFrame
    task: str
    labels: list[str]
    path: Path
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def languages(self) -> list[str]:
        return sorted(self.frame["lang"].unique().tolist())

    @property
    def has_labels(self) -> bool:
        return "label" in self.frame.columns and bool(self.frame["label"].notna().all())


def load_dataset(path: str | Path, *, require_labels: bool = False, keys_only: bool = False) -> Dataset:
    """Read and validate a dataset file; every problem is reported with the file, column or row.
    `keys_only`: read only the columns that key a row (the texts are checked to be there, not read): for a
    stage that reads no text (make-pairs), on millions of rows the texts are most of the memory."""
    keys = sorted({column for task in TASKS.values() for column in task.key_columns}) if keys_only else None
    artifact = read_artifact(path, "dataset", what="dataset", columns=keys)
    return validate_dataset(artifact.frame, artifact.meta, Path(path), require_labels=require_labels)


def validate_dataset(
    frame: pd.DataFrame, meta: dict[str, Any], path: Path, *, require_labels: bool
) -> Dataset:
    """The dataset rules on rows already read (and their key columns checked): text, duplicates, labels."""

    task = (
        get_task(meta["task"])
        if meta.get("task")
        else infer_task(frame.attrs.get("file_columns", list(frame.columns)))
    )
    if task is None:
        raise AlsaceError(
            f"{path}: no text columns: expected 'text_a' and 'text_b' (task pair) or 'text' (task single)"
        )
    in_file = frame.attrs.get("file_columns", list(frame.columns))
    for column in task.text_columns:
        if column not in in_file:
            raise AlsaceError(
                f"{path}: missing column {column!r} (task {task.name!r} needs {task.text_columns})"
            )
        if column in frame.columns:  # not read by a keys-only reader
            check_text(frame, path, column)
    for column in task.key_columns:
        if column not in frame.columns:
            raise AlsaceError(
                f"{path}: missing column {column!r} (task {task.name!r} keys rows by {task.key_columns})"
            )
        check_key(frame, path, column)
    check_duplicates(frame, path, list(task.key_columns))
    labels = [str(name) for name in meta.get("labels", [])]
    if not task.has_label_set:
        task.validate_answers(frame, path, require_labels)  # type: ignore[attr-defined]
        return Dataset(frame=frame, task=task.name, labels=labels, path=path, meta=meta)
    labels = labels or task.fixed_labels()
    # An unlabeled corpus may come without names: a trained model's head names them (models.with_model_labels).
    unnamed_corpus = task.model_names_labels and "label" not in frame.columns
    if not labels and not unnamed_corpus:
        raise AlsaceError(
            f"{path}: no label names in its metadata; convert it with "
            "`alsace data import FILE --format parquet --labels NAME,NAME,... --out OUT`"
        )
    if "label" in frame.columns:
        _check_labels(frame, path, labels, require_labels)
    elif require_labels:
        raise AlsaceError(f"{path}: missing column 'label' (this stage needs labeled data)")
    if all(column in frame.columns for column in task.text_columns):  # not a keys-only read
        task.validate_rows(frame, path, labels)
    return Dataset(frame=frame, task=task.name, labels=labels, path=path, meta=meta)


def _check_labels(frame: pd.DataFrame, path: Path, labels: list[str], require_labels: bool) -> None:
    column = frame["label"]
    missing = column.isna()
    if require_labels and missing.any():
        raise AlsaceError(
            f"{path}: row {int(missing.to_numpy().argmax())}: column 'label' is empty (labeled data needed)"
        )
    present = column[~missing]
    values = pd.to_numeric(present, errors="coerce")
    not_index = values.isna() | (values != values.round())
    if not_index.any():
        row = int(not_index[not_index].index[0])
        raise AlsaceError(
            f"{path}: row {row}: column 'label' holds {present[row]!r}, not a label index; "
            "convert names with `alsace data import FILE --labels NAME,NAME,...`"
        )
    values = values.astype("int64")
    bad = (values < 0) | (values >= len(labels))
    if bad.any():
        row = int(bad[bad].index[0])
        raise AlsaceError(
            f"{path}: row {row}: label {int(values[row])} out of range 0..{len(labels) - 1} "
            f"(labels: {', '.join(labels)})"
        )
    frame["label"] = column.astype("Int64")


def dataset_meta(task: str, labels: list[str], provenance: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"task": task, "labels": labels, **({"provenance": provenance} if provenance else {})}


def read_predictions(path: str | Path, data: Dataset | None = None) -> Artifact:
    """Predictions, validated (see schemas.validate_predictions), their labels checked against `data`'s."""
    artifact = read_artifact(path, "predictions")
    n_labels = probs_matrix(artifact.frame["probs"].iloc[:1]).shape[1]
    # Compared before the default names are filled in: predictions saved without label names are not compared.
    if data is not None and artifact.labels and artifact.labels != data.labels:
        raise AlsaceError(f"{path}: labels {artifact.labels} differ from {data.path}'s {data.labels}")
    if data is not None and n_labels != len(data.labels) and get_task(data.task).probs_per_label:
        raise AlsaceError(
            f"{path}: column 'probs' has {n_labels} values, {data.path} has {len(data.labels)} labels"
        )
    if not artifact.labels:
        artifact.meta["labels"] = [str(i) for i in range(n_labels)]
    return artifact
