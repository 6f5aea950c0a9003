"""An interrupted translate resumes where it stopped: `<out>.partial/` holds one Parquet file per finished
unit (a chunk of input rows translated into one language) and the job's fingerprint (its settings and the
sha256 of its inputs), so a unit is never translated twice and never resumed into another job. The finished
output is assembled from the units, and the folder removed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from alsace_cli.errors import AlsaceError
from alsace_cli.io.atomic import atomic_file
from alsace_cli.runtime import report

MARKER = "alsace_partial.json"


def partial_dir(out: str | Path) -> Path:
    out = Path(out)
    return out.with_name(out.name + ".partial")


class UnitStore:
    def __init__(self, out: str | Path, fingerprint: dict[str, Any], overwrite: bool) -> None:
        """Read what an earlier run left (every process reads the same state before any writes it: see
        `prepare`)."""
        self.dir, self.fingerprint = partial_dir(out), fingerprint
        self.stale, self.done = False, set()
        if not self.dir.exists():
            return
        marker = self.dir / MARKER
        if not marker.is_file():
            raise AlsaceError(
                f"{self.dir}: exists and was not written by alsace; it is never replaced (move it)"
            )
        saved = json.loads(marker.read_text())["fingerprint"]
        if saved != fingerprint:
            differs = sorted(k for k in set(saved) | set(fingerprint) if saved.get(k) != fingerprint.get(k))
            if not overwrite:
                raise AlsaceError(
                    f"{self.dir}: an interrupted translate with other settings or inputs (differs in: "
                    f"{', '.join(differs)}); rerun it with its settings to resume, or pass --overwrite to start over"
                )
            self.stale = True
            return
        self.done = {path.name for path in self.dir.glob("unit-*.parquet")}
        if self.done:
            report.info(f"translate: resuming {self.dir}: {len(self.done)} units done")

    def prepare(self, main: bool) -> None:
        """The main process clears a stale folder and writes the fingerprint (after every process read it)."""
        if not main:
            return
        if self.stale:
            shutil.rmtree(self.dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / MARKER).write_text(
            json.dumps({"fingerprint": self.fingerprint}, indent=1, sort_keys=True)
        )

    @staticmethod
    def name(chunk: int, lang: str) -> str:
        return f"unit-{chunk:06d}-{lang}.parquet"

    def has(self, chunk: int, lang: str) -> bool:
        return self.name(chunk, lang) in self.done

    def save(self, chunk: int, lang: str, frame: pd.DataFrame) -> None:
        path = self.dir / self.name(chunk, lang)
        with atomic_file(path) as tmp:
            pq.write_table(pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False), tmp)
        self.done.add(path.name)

    def load(self, chunk: int, lang: str) -> pd.DataFrame:
        return pq.read_table(self.dir / self.name(chunk, lang)).to_pandas()

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
