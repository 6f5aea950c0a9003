"""`alsace data import`: raw files → one long-format dataset (id, lang, text columns, label).

Parallel instances share an `id`: taken from `--id-column`, else from a column named `id` where the input
has one, else from row order (the k-th row of every language is instance k, so those files must have the
same number of rows; the summary line says so). Where a parallel file is labeled, an id whose languages
disagree on the label is a sign of misaligned rows: their share is reported, and above
`--max-label-disagreement` the import is refused.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from alsace_cli.configs import ImportConfig
from alsace_cli.data.geomlama import import_geomlama
from alsace_cli.data.hf import hf_frames
from alsace_cli.data.qa_import import QA_FORMATS, import_qa
from alsace_cli.data.readers import lang_from_filename, read_raw
from alsace_cli.errors import AlsaceError
from alsace_cli.io.artifacts import Artifact, dataset_meta, write_artifact
from alsace_cli.io.outputs import artifact_output, check_outputs
from alsace_cli.io.provenance import make_provenance
from alsace_cli.runtime import report
from alsace_cli.tasks import TASKS, get_task

# Column names tried, in order, when no --*-column option names one.
CANDIDATES = {
    "text_a": ("text_a", "premise", "sentence1", "prem", "question"),
    "text_b": ("text_b", "hypothesis", "sentence2", "hyp"),
    "text": ("text", "sentence", "content"),
    "label": ("label", "gold_label", "labels"),
}


def _pick(frame: pd.DataFrame, path: Path, role: str, given: str | None, required: bool) -> str | None:
    if given is not None:
        if given not in frame.columns:
            raise AlsaceError(f"{path}: no column {given!r} (columns: {', '.join(map(str, frame.columns))})")
        return given
    for name in CANDIDATES.get(role, (role,)):
        if name in frame.columns:
            return name
    if required:
        option = f"--{role.replace('_', '-')}-column"
        raise AlsaceError(
            f"{path}: no {role} column (tried {', '.join(CANDIDATES.get(role, (role,)))}; columns: "
            f"{', '.join(map(str, frame.columns))}); name it with {option}"
        )
    return None


def _xtreme_columns(
    frame: pd.DataFrame, path: Path, task: str | None, labels: list[str]
) -> tuple[str, dict[str, str]]:
    """XTREME TSV: the text columns, then an optional label column.

    Two columns are either two texts (pair, unlabeled) or a text and its label (single): with --labels, a
    second column made only of label names (or indices) is read as labels; otherwise --task must say.
    """
    width = frame.shape[1]
    if task is None and width == 2:
        second = frame["column1"].astype(str).str.strip()
        names = set(labels) | {str(i) for i in range(len(labels))}
        is_label = second.isin(names) if labels else pd.Series(False, index=second.index)
        if labels and is_label.all():
            task = "single"
        elif labels and not is_label.any():
            task = "pair"
        else:
            raise AlsaceError(
                f"{path}: 2 tab-separated columns are either text and label (--task single) or two texts "
                "(--task pair); pass --task"
            )
    if task is None:
        task = "pair" if width >= 2 else "single"
    n_text = len(get_task(task).text_columns)
    if width not in (n_text, n_text + 1):
        raise AlsaceError(
            f"{path}: {width} tab-separated columns; task {task!r} expects {n_text} texts and an optional label"
        )
    mapping = {name: f"column{i}" for i, name in enumerate(get_task(task).text_columns)}
    if width == n_text + 1:
        mapping["label"] = f"column{n_text}"
    return task, mapping


def _generic_columns(frame: pd.DataFrame, path: Path, config: ImportConfig) -> tuple[str, dict[str, str]]:
    task = config.task
    columns = set(map(str, frame.columns))
    if task is None:  # XCOPA / COPA JSONL: every multiple-choice column is there
        found = (t.name for t in TASKS.values() if t.known_by_columns and set(t.text_columns) <= columns)
        task = next(found, None)
    if task is None:
        has_pair = _pick(frame, path, "text_b", config.text_b_column, False) is not None
        task = "pair" if has_pair else "single"
    # The options that name text columns (a task with other text columns reads its own names).
    given = {"text_a": config.text_a_column, "text_b": config.text_b_column, "text": config.text_column}
    mapping = {name: _pick(frame, path, name, given.get(name), True) for name in get_task(task).text_columns}
    label = _pick(frame, path, "label", config.label_column, config.label_column is not None)
    if label is not None:
        mapping["label"] = label
    return task, mapping  # type: ignore[return-value]


def map_labels(values: pd.Series, names: list[str], path: Path) -> pd.Series:
    """Label names or integer indices → integer indices into `names`; anything else names its line."""
    index = {name: i for i, name in enumerate(names)}
    out = []
    for row, value in enumerate(values):
        text = str(value).strip()
        if text in index:
            out.append(index[text])
        elif text.lstrip("-").isdigit() and 0 <= int(text) < len(names):
            out.append(int(text))
        elif text == "" or text.lower() in ("nan", "none", "null"):
            raise AlsaceError(
                f"{path}: row {row}: the label is empty (pass --drop-labels to import an unlabeled corpus)"
            )
        else:
            raise AlsaceError(
                f"{path}: row {row}: label {text!r} is not one of {', '.join(names)} (or 0..{len(names) - 1})"
            )
    return pd.Series(out, dtype="Int64")


def infer_label_names(values: pd.Series, path: Path) -> list[str]:
    texts = [str(v).strip() for v in values if str(v).strip() not in ("", "nan", "None")]
    if texts and all(t.isdigit() for t in texts):
        return [str(i) for i in range(max(int(t) for t in texts) + 1)]
    raise AlsaceError(
        f"{path}: labels are names ({', '.join(sorted(set(texts))[:5])}); pass --labels NAME,NAME,... in label order"
    )


def normalised_ids(values: pd.Series, path: Path) -> np.ndarray:
    """Ids as text: integers as written, integral floats (2.0, as JSON readers give a number) as the integer
    (2) so they join another file's `2`, said once; any other number is refused with its row."""
    out, floats = [], 0
    for row, value in enumerate(values):
        if (
            isinstance(value, (bool, np.bool_))
            or value is None
            or (isinstance(value, float) and np.isnan(value))
        ):
            raise AlsaceError(f"{path}: row {row}: id {value!r} is neither text nor an integer")
        if isinstance(value, (float, np.floating)):
            if not float(value).is_integer():
                raise AlsaceError(f"{path}: row {row}: id {value!r} is neither text nor an integer")
            value, floats = int(value), floats + 1
        out.append(str(value))
    if floats:
        report.warn(
            f"{path}: {floats} ids written as integral floats (2.0) read as integers (2), so they join "
            "the ids of the other files"
        )
    return np.asarray(out, dtype=object)


def _sources(config: ImportConfig) -> list[tuple[Path, pd.DataFrame, str | None]]:
    """(name, raw rows, language) of each input: a file per path, or each configuration of --hf. The language
    is --lang's (one per input, in order), or None where a column or the file name says it."""
    if config.hf:
        frames = hf_frames(config.hf, config.hf_config, config.split)
        if config.lang and len(config.lang) not in (1, len(frames)):
            raise AlsaceError(f"--lang given {len(config.lang)} times for {len(frames)} --hf configurations")
        langs = config.lang * len(frames) if len(config.lang) == 1 else config.lang
        return [
            (Path(label), raw, langs[i] if langs else (config_name if len(frames) > 1 else None))
            for i, (label, raw, config_name) in enumerate(frames)
        ]
    paths = [Path(p) for p in config.inputs]
    if config.lang and len(config.lang) != len(paths):
        raise AlsaceError(
            f"--lang given {len(config.lang)} times for {len(paths)} files: give one per file, in order"
        )
    named = any(
        (
            config.id_column,
            config.text_column,
            config.text_a_column,
            config.text_b_column,
            config.label_column,
            config.lang_column,
        )
    )
    return [
        (path, read_raw(path, config.format, named, config.encoding), config.lang[i] if config.lang else None)
        for i, path in enumerate(paths)
    ]


def _part(
    path: Path, raw: pd.DataFrame, lang: str | None, config: ImportConfig, task: str | None, labels: list[str]
) -> tuple[pd.DataFrame, str, list[str]]:
    """One input's rows in alsace's columns, with the task and label names found so far."""
    is_xtreme = all(str(c).startswith("column") for c in raw.columns)
    file_task, mapping = (
        _xtreme_columns(raw, path, task, labels) if is_xtreme else _generic_columns(raw, path, config)
    )
    if task is not None and file_task != task:
        raise AlsaceError(f"{path}: looks like task {file_task!r}, the other files are {task!r}; pass --task")
    for name, column in mapping.items():  # texts are strings: a column of numbers is a wrong mapping
        if name != "label" and pd.api.types.is_numeric_dtype(raw[column]):
            raise AlsaceError(
                f"{path}: column {column!r} ({name}) holds numbers (row 0: {raw[column].iloc[0]!r}), expected "
                "text; name the text column with --text-column / --text-a-column"
            )
    part = pd.DataFrame(
        {name: raw[column].astype(str) for name, column in mapping.items() if name != "label"}
    )
    for name, column in mapping.items():
        blank = raw[column].isna().to_numpy() | (raw[column].astype(str).str.strip() == "").to_numpy()
        if name != "label" and blank.any():
            raise AlsaceError(f"{path}: row {int(blank.argmax())}: column {column!r} ({name}) is empty")
    if "label" in mapping and not config.drop_labels:
        labels = (
            labels or get_task(file_task).fixed_labels() or infer_label_names(raw[mapping["label"]], path)
        )
        part["label"] = map_labels(raw[mapping["label"]], labels, path).to_numpy()
    lang_column = config.lang_column or ("lang" if lang is None and "lang" in raw.columns else None)
    if lang_column:
        if lang_column not in raw.columns:
            raise AlsaceError(f"{path}: no column {lang_column!r} (--lang-column)")
        part["lang"] = raw[lang_column].astype(str).to_numpy()
    else:
        part["lang"] = lang or lang_from_filename(path)
    # An `id` column is used as `text` and `label` are found: numbering by row order would silently pair
    # rows that are not translations of each other when the languages are in different orders.
    id_column = config.id_column or ("id" if "id" in raw.columns else None)
    part["_order_ids"] = not id_column
    if id_column:
        if id_column not in raw.columns:
            raise AlsaceError(f"{path}: no column {id_column!r} (--id-column)")
        part["id"] = normalised_ids(raw[id_column], path)
    else:
        part["id"] = part.groupby("lang", sort=False).cumcount().astype(str).to_numpy()
    part["_file"] = str(path)
    return part, file_task, labels


def import_data(config: ImportConfig, overwrite: bool = False) -> Artifact:
    if not config.inputs and not config.hf:
        raise AlsaceError("no input files given (name files, or a Hugging Face dataset with --hf)")
    if config.inputs and config.hf:
        raise AlsaceError("--hf: give files or --hf, not both")
    if not config.out:
        raise AlsaceError("missing --out FILE.parquet")
    check_outputs([artifact_output("--out", config.out)], {"INPUTS": config.inputs}, overwrite)
    if config.format == "geomlama":
        return import_geomlama(config)
    if config.format in QA_FORMATS:
        if config.lang and len(config.lang) != len(config.inputs):
            raise AlsaceError(
                f"--lang given {len(config.lang)} times for {len(config.inputs)} files: one per file"
            )
        return import_qa(config)
    if config.task is not None and config.task not in TASKS:
        raise AlsaceError(f"--task: unknown task {config.task!r} (known: {', '.join(sorted(TASKS))})")
    parts, task, labels = [], config.task, list(config.labels)
    sources = _sources(config)
    for path, raw, lang in sources:
        part, task, labels = _part(path, raw, lang, config, task, labels)
        parts.append(part)
    paths = [path for path, _, _ in sources]
    frame = pd.concat(parts, ignore_index=True)
    the_task = get_task(task)
    labels = labels or the_task.fixed_labels()
    unnamed = not labels and the_task.model_names_labels and "label" not in frame.columns
    if not labels and not unnamed:
        raise AlsaceError(
            f"{paths[0]}: no labels to take names from; pass --labels NAME,NAME,... (the task's label names, "
            "which predictions and models are checked against)"
        )
    _check_rows(frame)
    disagreement = _label_disagreement(frame, paths[0], config.max_label_disagreement)
    if config.skip or config.limit is not None:
        # Ids keep their original values, so slices taken with different --skip never share an id.
        ids = pd.unique(frame["id"])[config.skip :]
        keep = set(ids if config.limit is None else ids[: config.limit])
        if not keep:
            raise AlsaceError(f"{paths[0]}: --skip {config.skip} leaves no instances")
        frame = frame[frame["id"].isin(keep)]
    columns = ["id", "lang", *the_task.text_columns] + (["label"] if "label" in frame.columns else [])
    frame = frame[columns].reset_index(drop=True)
    inputs = {"hf": config.hf} if config.hf else {f"input{i}": p for i, p in enumerate(paths)}
    provenance = make_provenance("data import", config, inputs)
    out = write_artifact(frame, config.out, "dataset", dataset_meta(task, labels, provenance))
    order = any(part["_order_ids"].iloc[0] for part in parts if len(part))
    languages = frame.groupby("id")["lang"].nunique()
    if frame["lang"].nunique() > 1 and int((languages > 1).sum()) == 0:
        report.warn(
            f"{report.esc(out)}: no id is in more than one language: fine for a dev or test set, but not a "
            "parallel corpus (vote and make-pairs need the same ids in several languages; --id-column)"
        )
    report.info(
        f"data import: {len(frame)} rows, {frame['id'].nunique()} ids, "
        f"{report.plural(frame['lang'].nunique(), 'language')}, task {task}, "
        + (
            f"labels {', '.join(labels)}"
            if labels
            else "unlabeled, no label names (the model's head gives them)"
        )
        + (", ids from row order (no id column: row k of every language is instance k)" if order else "")
        + (f", {100 * disagreement:.1f}% of parallel ids disagree on the label" if disagreement else "")
        + f" → {report.esc(out)}"
    )
    return Artifact(frame, dataset_meta(task, labels, provenance), out)


def _label_disagreement(frame: pd.DataFrame, path: Path, limit: float) -> float:
    """The share of ids present in several languages whose labels differ; above `limit` the rows are taken
    to be misaligned and the import is refused."""
    if "label" not in frame.columns or frame["lang"].nunique() < 2:
        return 0.0
    per_id = frame.groupby("id", sort=False)["label"].agg(["nunique", "size"])
    shared = per_id[per_id["size"] > 1]
    if shared.empty:
        return 0.0
    differ = shared[shared["nunique"] > 1]
    share = len(differ) / len(shared)
    if share > limit:
        example = frame[frame["id"] == differ.index[0]]
        seen = ", ".join(
            f"{lang} {label}" for lang, label in zip(example["lang"], example["label"], strict=True)
        )
        raise AlsaceError(
            f"{path}: {len(differ)} of {len(shared)} parallel ids ({100 * share:.1f}%) have different labels in "
            f"different languages (id {differ.index[0]!r}: {seen}): the rows are probably not aligned; name the "
            f"id column with --id-column, or accept it with --max-label-disagreement {min(1.0, share + 0.005):.2f}"
        )
    return share


def _check_rows(frame: pd.DataFrame) -> None:
    order = frame["_order_ids"].astype(bool)
    duplicated = frame.duplicated(["id", "lang"])
    if duplicated.any():
        row = frame[duplicated].iloc[0]
        hint = " (two files for one language?)" if row["_order_ids"] else ""
        raise AlsaceError(f"{row['_file']}: duplicate (id={row['id']!r}, lang={row['lang']!r}){hint}")
    if order.any():
        sizes = frame[order].groupby("lang", sort=False).agg(rows=("id", "size"), file=("_file", "first"))
        if sizes["rows"].nunique() > 1:
            small, large = sizes["rows"].idxmin(), sizes["rows"].idxmax()
            raise AlsaceError(
                f"{sizes.loc[small, 'file']}: ids not parallel across languages: lang {small!r} has "
                f"{report.plural(int(sizes.loc[small, 'rows']), 'row')}, {large!r} has "
                f"{report.plural(int(sizes.loc[large, 'rows']), 'row')} "
                "(ids come from row order; pass --id-column to match rows by id)"
            )
