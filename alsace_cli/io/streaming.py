"""Datasets read in Parquet record batches and artifacts written row group by row group, so that `predict`
holds one chunk of rows at a time however large its input is.

Each chunk is validated by the same rules as a whole file (row numbers in errors are the file's); ids are
checked for duplicates across chunks through 64-bit hashes of the task's key columns, 8 bytes a row. Output goes to a
temporary file renamed into place only once every chunk passed, so a bad row late in a file still leaves
nothing written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from alsace_cli.errors import AlsaceError
from alsace_cli.io.artifacts import (
    COLUMNS,
    META_KEY,
    SCHEMA_VERSION,
    Dataset,
    check_not_raw,
    read_meta,
    validate_dataset,
)
from alsace_cli.io.atomic import atomic_file
from alsace_cli.io.schemas import validate_columns
from alsace_cli.tasks import get_task

CHUNK_ROWS = 16_384


@dataclass
class DatasetStream:
    path: Path
    meta: dict[str, Any]
    rows: int
    task: str
    labels: list[str]

    def chunks(self, rows: int = CHUNK_ROWS, *, require_labels: bool = False) -> Iterator[Dataset]:
        """Validated chunks of at most `rows` rows, in file order; duplicates across chunks are refused."""

        keys = list(get_task(self.task).key_columns)
        hashes: list[np.ndarray] = []
        offset = 0
        for batch in pq.ParquetFile(self.path).iter_batches(batch_size=rows):
            frame = batch.to_pandas()
            try:
                validate_columns("dataset", frame, self.path, self.meta)
                chunk = validate_dataset(frame, self.meta, self.path, require_labels=require_labels)
            except AlsaceError as exc:  # report the file's row number, not the chunk's
                raise AlsaceError(
                    re.sub(
                        r"row (\d+)",
                        lambda m, offset=offset: f"row {int(m.group(1)) + offset}",
                        str(exc),
                        count=1,
                    )
                ) from None
            hashes.append(pd.util.hash_pandas_object(frame[keys], index=False).to_numpy())
            offset += len(frame)
            yield chunk
        every = np.concatenate(hashes) if hashes else np.empty(0, dtype=np.uint64)
        unique, first, counts = np.unique(every, return_index=True, return_counts=True)
        if (counts > 1).any():
            repeated = unique[counts > 1][0]
            rows_at = np.flatnonzero(every == repeated)
            raise AlsaceError(
                f"{self.path}: rows {rows_at[0]} and {rows_at[1]}: duplicate ({', '.join(keys)})"
            )


def open_dataset(path: str | Path) -> DatasetStream:
    """Check a dataset file's existence, metadata and columns without reading its rows."""

    path = Path(path)
    if not path.exists():
        raise AlsaceError(f"{path}: no such file (expected a dataset Parquet file)")
    if path.is_dir():
        raise AlsaceError(f"{path}: is a directory, expected a dataset Parquet file")
    check_not_raw(path, "dataset")
    try:
        meta = read_meta(path)
        parquet = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError, json.JSONDecodeError) as exc:
        raise AlsaceError(f"{path}: not a readable Parquet file ({exc})") from None
    found = meta.get("artifact")
    if found and found != "dataset":
        raise AlsaceError(f"{path}: is a {found.replace('_', ' ')} artifact, expected dataset")
    names = parquet.schema_arrow.names
    missing = [c for c in COLUMNS["dataset"] if c not in names]
    if missing:
        raise AlsaceError(f"{path}: missing column {missing[0]!r} (a dataset file needs id, lang)")
    if parquet.metadata.num_rows == 0:
        raise AlsaceError(f"{path}: no rows")
    first = next(parquet.iter_batches(batch_size=1)).to_pandas()
    validate_columns("dataset", first, path, meta)
    head = validate_dataset(first, meta, path, require_labels=False)
    return DatasetStream(path, meta, parquet.metadata.num_rows, head.task, head.labels)


class ArtifactWriter:
    """Write an artifact's rows chunk by chunk into a temporary file; `commit` renames it into place."""

    def __init__(self, path: str | Path, kind: str, meta: dict[str, Any]) -> None:
        self.path, self.kind = Path(path), kind
        self.meta = json.dumps(
            {"artifact": kind, "schema_version": SCHEMA_VERSION, **meta}, sort_keys=True, default=str
        ).encode()
        self.writer: pq.ParquetWriter | None = None
        self.rows = 0

    def __enter__(self) -> ArtifactWriter:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._atomic = atomic_file(self.path)
        self.tmp = self._atomic.__enter__()
        return self

    def write(self, frame: pd.DataFrame) -> None:
        missing = [c for c in COLUMNS[self.kind] if c not in frame.columns]
        if missing:
            raise ValueError(f"{self.kind} artifact is missing columns {missing}")
        table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), META_KEY: self.meta})
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.tmp, table.schema)
        self.writer.write_table(table)
        self.rows += len(frame)

    def __exit__(self, *exc: Any) -> None:
        if self.writer is not None:
            self.writer.close()
        self._atomic.__exit__(*exc)
