"""The column rules of every artifact kind, checked on every read.

A file is never trusted because it carries alsace's metadata: it may have been edited by hand or written by
another tool. Each rule names the file, the column and the first row at fault.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from alsace_cli.errors import AlsaceError

PROB_TOLERANCE = 1e-4  # probabilities must sum to 1 within this, and confidence equal the top one
ROLES = ("teacher", "student")


def _first(mask: np.ndarray | pd.Series) -> int:
    return int(np.asarray(mask).argmax())


def _fail(path: Path, row: int | None, column: str, problem: str) -> AlsaceError:
    at = f"row {row}: " if row is not None else ""
    return AlsaceError(f"{path}: {at}column {column!r} {problem}")


def check_key(frame: pd.DataFrame, path: Path, column: str) -> None:
    """An id or language code: present, a string or an integer (read as a string), not blank."""
    values = frame[column]
    missing = values.isna().to_numpy()
    if missing.any():
        raise _fail(path, _first(missing), column, "is empty")
    if pd.api.types.is_float_dtype(values) or pd.api.types.is_bool_dtype(values):
        raise _fail(path, None, column, f"holds {values.dtype} values, expected strings")
    if values.dtype == object:
        kinds = values.map(lambda v: isinstance(v, (str, int, np.integer)) and not isinstance(v, bool))
        if not kinds.all():
            row = _first(~kinds.to_numpy())
            raise _fail(path, row, column, f"holds {values.iloc[row]!r}, expected a string")
    frame[column] = values.astype(str)
    blank = _blank(frame[column])
    if blank.any():
        raise _fail(path, _first(blank), column, "is blank")


def _blank(values: pd.Series) -> np.ndarray:
    """Empty or only (Unicode) whitespace. On Arrow-backed strings without copying them: on 10 M rows a
    stripped copy of every text costs gigabytes."""
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        import pyarrow as pa
        import pyarrow.compute as pc

        strings = pa.array(values.array)
        blank = pc.or_(pc.equal(pc.utf8_length(strings), 0), pc.utf8_is_space(strings))
        return blank.to_numpy(zero_copy_only=False).astype(bool)
    return (values.str.strip() == "").to_numpy()


def check_text(frame: pd.DataFrame, path: Path, column: str) -> None:
    """A text the model reads: a string, not empty, not only whitespace."""
    values = frame[column]
    missing = values.isna().to_numpy()
    if missing.any():
        raise _fail(path, _first(missing), column, "is empty")
    if not isinstance(values.dtype, pd.StringDtype):  # a string column holds only strings
        is_text = values.map(lambda v: isinstance(v, str)).to_numpy()
        if not is_text.all():
            row = _first(~is_text)
            value = values.iloc[row]
            raise _fail(path, row, column, f"holds {value!r} ({type(value).__name__}), expected text")
    blank = _blank(values)
    if blank.any():
        raise _fail(path, _first(blank), column, "is empty or only whitespace")


def check_int(frame: pd.DataFrame, path: Path, column: str, minimum: int | None = None) -> np.ndarray:
    values = frame[column]
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_integer_dtype(values):
        raise _fail(path, None, column, f"holds {values.dtype} values, expected integers")
    missing = values.isna().to_numpy()
    if missing.any():
        raise _fail(path, _first(missing), column, "is empty")
    array = values.to_numpy(dtype=np.int64)
    if minimum is not None and (array < minimum).any():
        row = _first(array < minimum)
        raise _fail(path, row, column, f"is {array[row]}, below {minimum}")
    return array


def check_float(
    frame: pd.DataFrame, path: Path, column: str, low: float | None = None, high: float | None = None
) -> np.ndarray:
    values = frame[column]
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        raise _fail(path, None, column, f"holds {values.dtype} values, expected numbers")
    array = values.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(array)
    if bad.any():
        raise _fail(path, _first(bad), column, f"is {array[_first(bad)]}, expected a finite number")
    if low is not None and (array < low).any():
        raise _fail(path, _first(array < low), column, f"is {array[_first(array < low)]}, below {low:g}")
    if high is not None and (array > high).any():
        raise _fail(path, _first(array > high), column, f"is {array[_first(array > high)]}, above {high:g}")
    return array


def probs_matrix(column: pd.DataFrame | pd.Series) -> np.ndarray:
    """A predictions table's `probs` (or the column itself) as one rows × labels array. Read from Parquet it is
    Arrow-backed (a list per row costs 16 bytes, not a Python object), so this is a copy of its values, not
    a stack of millions of small arrays."""
    column = column["probs"] if isinstance(column, pd.DataFrame) else column
    if isinstance(column.dtype, pd.ArrowDtype) and len(column):
        lists = _arrow_lists(column)
        return lists.flatten().to_numpy(zero_copy_only=False).reshape(len(lists), -1)
    return np.stack(column.to_numpy())


def _arrow_lists(column: pd.Series):
    """The column's Arrow list array, in one chunk (a slice of a frame keeps its own offsets)."""
    import pyarrow as pa

    lists = pa.array(column.array)
    return lists.combine_chunks() if isinstance(lists, pa.ChunkedArray) else lists


def check_probs(frame: pd.DataFrame, path: Path, width: int | None) -> np.ndarray:
    """Each row a probability vector: `width` finite, non-negative numbers summing to 1 (within 1e-4)."""
    column = frame["probs"]
    if isinstance(column.dtype, pd.ArrowDtype):
        lengths = _arrow_lengths(column, path)
    else:
        is_vector = column.map(lambda v: isinstance(v, (list, tuple, np.ndarray))).to_numpy()
        if not is_vector.all():
            row = _first(~is_vector)
            raise _fail(path, row, "probs", f"holds {column.iloc[row]!r}, expected a list of probabilities")
        lengths = column.map(len).to_numpy()
    width = width or int(lengths[0])
    if (lengths != width).any():
        row = _first(lengths != width)
        raise _fail(path, row, "probs", f"has {lengths[row]} values, expected {width}")
    try:
        probs = probs_matrix(column).astype(np.float64)
    except (TypeError, ValueError):
        raise _fail(path, None, "probs", "holds values that are not numbers") from None
    bad = ~np.isfinite(probs).all(axis=1)
    if bad.any():
        raise _fail(path, _first(bad), "probs", "holds a NaN or infinite value")
    bad = (probs < 0).any(axis=1)
    if bad.any():
        raise _fail(path, _first(bad), "probs", "holds a negative value")
    sums = probs.sum(axis=1)
    bad = np.abs(sums - 1.0) > PROB_TOLERANCE
    if bad.any():
        row = _first(bad)
        raise _fail(path, row, "probs", f"sums to {sums[row]:.6g}, not 1 (within {PROB_TOLERANCE:g})")
    return probs


def _arrow_lengths(column: pd.Series, path: Path) -> np.ndarray:
    """Each row's number of values, refusing an empty row or a list holding an empty value."""
    import pyarrow.compute as pc

    lists = _arrow_lists(column)
    if lists.null_count:
        row = _first(lists.is_null().to_numpy(zero_copy_only=False))
        raise _fail(path, row, "probs", "holds None, expected a list of probabilities")
    if lists.flatten().null_count:
        rows = pc.list_parent_indices(lists).to_numpy()[
            lists.flatten().is_null().to_numpy(zero_copy_only=False)
        ]
        raise _fail(path, int(rows[0]), "probs", "holds a missing value (NaN or null)")
    return pc.list_value_length(lists).to_numpy(zero_copy_only=False)


def check_duplicates(frame: pd.DataFrame, path: Path, columns: list[str]) -> None:
    duplicated = frame.duplicated(columns).to_numpy()
    if duplicated.any():
        row = _first(duplicated)
        key = ", ".join(f"{c}={frame[c].iloc[row]!r}" for c in columns)
        raise AlsaceError(f"{path}: row {row}: duplicate ({key})")


def validate_predictions(frame: pd.DataFrame, path: Path, n_labels: int | None) -> np.ndarray:
    probs = check_probs(frame, path, n_labels)
    pred = check_int(frame, path, "pred", minimum=0)
    width = probs.shape[1]
    if (pred >= width).any():
        raise _fail(path, _first(pred >= width), "pred", f"is out of range 0..{width - 1}")
    top = probs.max(axis=1)
    # Exact ties may go either way; anything else must be the argmax.
    bad = probs[np.arange(len(pred)), pred] < top - 1e-6
    if bad.any():
        row = _first(bad)
        raise _fail(
            path, row, "pred", f"is {pred[row]}, but the largest probability is label {probs[row].argmax()}"
        )
    confidence = check_float(frame, path, "confidence", 0.0, 1.0)
    bad = np.abs(confidence - top) > PROB_TOLERANCE
    if bad.any():
        row = _first(bad)
        raise _fail(
            path, row, "confidence", f"is {confidence[row]:.6g}, not the largest probability {top[row]:.6g}"
        )
    check_duplicates(frame, path, ["id", "lang"] + (["model"] if "model" in frame.columns else []))
    return probs


# The key columns of each artifact kind: checked present, non-empty text, and normalised to strings.
KEYS = {
    "dataset": ["id", "lang"],
    "predictions": ["id", "lang"],
    "pseudo_labels": ["id"],
    "languages": ["lang"],
    "pairs": ["id", "student_lang", "teacher_lang"],
    "pair_rule": ["lang"],
    "metrics": ["model", "lang"],
    "qa_predictions": ["id", "lang"],
    "qa_metrics": ["model", "lang"],
}


def validate_columns(kind: str, frame: pd.DataFrame, path: Path, meta: dict) -> None:
    """The rules of `kind` (see the module docstring); `frame`'s key columns are normalised to strings."""
    for column in KEYS.get(kind, []):
        check_key(frame, path, column)
    rules = RULES.get(kind)
    if rules is not None:
        rules(frame, path, meta)


def _predictions(frame: pd.DataFrame, path: Path, meta: dict) -> None:
    labels = meta.get("labels") or None
    validate_predictions(frame, path, len(labels) if labels else None)


def _pseudo_labels(frame: pd.DataFrame, path: Path, meta: dict) -> None:
    check_duplicates(frame, path, ["id"])
    pseudo = check_int(frame, path, "pseudo_label", minimum=0)
    labels = meta.get("labels") or []
    if labels and (pseudo >= len(labels)).any():
        raise _fail(
            path, _first(pseudo >= len(labels)), "pseudo_label", f"is out of range 0..{len(labels) - 1}"
        )
    votes = check_int(frame, path, "votes", minimum=0)  # Dawid-Skene may pick a label no language voted
    n_langs = check_int(frame, path, "n_langs", minimum=1)
    if (votes > n_langs).any():
        raise _fail(path, _first(votes > n_langs), "votes", "is larger than n_langs")
    check_float(frame, path, "agreement", 0.0, 1.0)


def _roles(frame: pd.DataFrame, path: Path, missing_is_unknown: bool) -> None:
    unknown = ~frame["role"].astype(str).isin(ROLES).to_numpy()
    if missing_is_unknown:
        unknown |= frame["role"].isna().to_numpy()
    if unknown.any():
        row = _first(unknown)
        raise _fail(path, row, "role", f"is {frame['role'].iloc[row]!r}, expected teacher or student")


def _languages(frame: pd.DataFrame, path: Path, meta: dict) -> None:
    duplicated = frame.duplicated(["lang"]).to_numpy()
    if duplicated.any():
        row = _first(duplicated)
        raise _fail(path, row, "lang", f"lists {frame['lang'].iloc[row]!r} twice (one role per language)")
    _roles(frame, path, missing_is_unknown=True)
    check_int(frame, path, "n", minimum=1)
    check_float(frame, path, "avg_confidence", 0.0, 1.0)
    score = check_float(frame, path, "score", 0.0, 1.0)
    if abs(score.sum() - 1.0) > PROB_TOLERANCE:
        raise _fail(path, None, "score", f"sums to {score.sum():.6g}; ŝ is a softmax over languages (sum 1)")


def _pairs(frame: pd.DataFrame, path: Path, meta: dict) -> None:
    same = (frame["student_lang"] == frame["teacher_lang"]).to_numpy()
    if same.any():
        raise _fail(path, _first(same), "teacher_lang", "equals student_lang (a pair joins two languages)")
    context = ["context_lang"] if "context_lang" in frame.columns else []  # QA question-language pairs
    for column in context:
        check_key(frame, path, column)
    check_duplicates(frame, path, ["id", *context, "student_lang", "teacher_lang"])


def _pair_rule(frame: pd.DataFrame, path: Path, meta: dict) -> None:
    check_duplicates(frame, path, ["lang"])
    for column in ("teaches", "learns"):
        if not pd.api.types.is_bool_dtype(frame[column]):
            raise _fail(path, None, column, f"holds {frame[column].dtype} values, expected true or false")
    _roles(frame, path, missing_is_unknown=False)


def _qa_predictions(frame: pd.DataFrame, path: Path, meta: dict) -> None:
    check_key(frame, path, "question_lang")
    bad = ~frame["answer"].map(lambda v: isinstance(v, str)).to_numpy()
    if bad.any():
        raise _fail(path, _first(bad), "answer", "is not text")
    check_int(frame, path, "answer_start", minimum=-1)
    check_float(frame, path, "score", 0.0)  # a probability, or a sum of them (--merge-windows sum)
    check_duplicates(frame, path, ["id", "lang", "question_lang"] + (["model"] if "model" in frame else []))


def _qa_metrics(frame: pd.DataFrame, path: Path, meta: dict) -> None:
    check_key(frame, path, "question_lang")
    check_int(frame, path, "n", minimum=1)
    check_float(frame, path, "exact_match", 0.0, 1.0)
    check_float(frame, path, "f1", 0.0, 1.0)


def _metrics(frame: pd.DataFrame, path: Path, meta: dict) -> None:
    check_int(frame, path, "n", minimum=1)
    check_float(frame, path, "accuracy", 0.0, 1.0)


# Each kind's own rules, beyond its keys (one function a kind; a new kind adds its entry).
RULES = {
    "predictions": _predictions,
    "pseudo_labels": _pseudo_labels,
    "languages": _languages,
    "pairs": _pairs,
    "pair_rule": _pair_rule,
    "qa_predictions": _qa_predictions,
    "qa_metrics": _qa_metrics,
    "metrics": _metrics,
}
