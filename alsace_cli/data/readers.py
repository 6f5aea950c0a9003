"""Readers for the raw layouts: the XTREME TSV (no header) and generic CSV, TSV, JSONL and Parquet.

Each returns a DataFrame of strings with the file's own columns; mapping them onto alsace's columns is
the importer's job.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd

from alsace_cli.errors import AlsaceError

FORMATS = ("auto", "xtreme", "csv", "tsv", "jsonl", "parquet")


def detect_format(path: Path, named_columns: bool = False) -> str:
    """The format of a file from its extension; a `.tsv` is XTREME's (no header) unless its first line names
    columns or the import names its columns (`--*-column`), which only a header can hold."""
    suffix = path.suffix.lower()
    if suffix == ".tsv":
        first = path.open(encoding="utf-8", errors="replace").readline().rstrip("\r\n").split("\t")
        header = named_columns or any(name.strip().lower() in HEADER_WORDS for name in first)
        return "tsv" if header else "xtreme"
    formats = {".csv": "csv", ".jsonl": "jsonl", ".json": "jsonl", ".parquet": "parquet", ".pq": "parquet"}
    if suffix in formats:
        return formats[suffix]
    raise AlsaceError(
        f"{path}: cannot tell the format from the extension; pass --format ({', '.join(FORMATS[1:])})"
    )


HEADER_WORDS = {
    "id",
    "idx",
    "lang",
    "label",
    "text",
    "text_a",
    "text_b",
    "premise",
    "hypothesis",
    "sentence",
    "sentence1",
    "sentence2",
    "prem",
    "hyp",
    "gold_label",
    "pairid",
}


def read_raw(path: Path, fmt: str, named_columns: bool = False, encoding: str = "utf-8") -> pd.DataFrame:
    if not path.exists():
        raise AlsaceError(f"{path}: no such file")
    if fmt == "auto":
        fmt = detect_format(path, named_columns)
    if fmt == "xtreme" and named_columns:
        raise AlsaceError(
            f"{path}: --format xtreme reads files without a header, but --*-column options name columns, which "
            "only a header holds; use --format tsv (or leave --format auto)"
        )
    try:
        if fmt == "xtreme":
            # QUOTE_NONE: the texts hold unbalanced quotes; a quote is just a character here.
            frame = pd.read_csv(
                path,
                sep="\t",
                header=None,
                quoting=csv.QUOTE_NONE,
                dtype=str,
                keep_default_na=False,
                encoding=encoding,
            )
            frame.columns = [f"column{i}" for i in range(frame.shape[1])]
            _check_field_counts(path, frame.shape[1], encoding)
        elif fmt in ("csv", "tsv"):
            frame = pd.read_csv(
                path,
                sep="," if fmt == "csv" else "\t",
                dtype=str,
                keep_default_na=False,
                encoding=encoding,
                quoting=csv.QUOTE_MINIMAL if fmt == "csv" else csv.QUOTE_NONE,
            )
        elif fmt == "jsonl":
            frame = pd.read_json(path, lines=True, dtype=False)
        elif fmt == "parquet":
            frame = pd.read_parquet(path)
        else:
            raise AlsaceError(f"--format: unknown format {fmt!r} (use {', '.join(FORMATS)})")
    except (pd.errors.ParserError, ValueError, UnicodeDecodeError, OSError) as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        hint = (
            "; name its encoding with --encoding (e.g. latin-1, cp1252)"
            if isinstance(exc, UnicodeDecodeError)
            else ""
        )
        raise AlsaceError(f"{path}: cannot read as {fmt} ({message}){hint}") from None
    if frame.empty:
        raise AlsaceError(f"{path}: no rows")
    return frame


def _check_field_counts(path: Path, width: int, encoding: str = "utf-8") -> None:
    """pandas pads a short line of a headerless TSV with empty fields; a short line is an error instead."""
    with path.open(encoding=encoding) as handle:
        for number, line in enumerate(handle, start=1):
            line = line.rstrip("\r\n")
            if line and line.count("\t") + 1 != width:
                raise AlsaceError(
                    f"{path}: line {number} has {line.count(chr(9)) + 1} tab-separated fields, the file's "
                    f"widest line {width}"
                )


def lang_from_filename(path: Path) -> str:
    """`dev-de.tsv` → de, `test.sw.jsonl` → sw, `dev-zho_Hans.tsv` → zho_Hans: the last `-` or `.` token."""
    stem = path.name
    for suffix in (".tsv", ".csv", ".jsonl", ".json", ".parquet", ".pq", ".txt"):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    token = re.split(r"[-.]", stem)[-1]
    if not re.fullmatch(r"[A-Za-z]{2,3}([_-][A-Za-z0-9]+)*", token):
        raise AlsaceError(f"{path}: cannot tell the language from the file name; pass --lang")
    return token
