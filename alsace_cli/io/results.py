"""results.json: what an evaluation found and how, in one file a script or a paper table reads, the way
lm-eval writes its results file. Every figure is a fraction in [0, 1], as in metrics.parquet and `--json`
(accuracy, F1, gaps, and the paired differences with their intervals); the report's tables show the same
in % and points. The provenance says which models, data (with their sha256), settings and versions.
`eval` writes `X.results.json` beside `X.parquet`; `alsace run` writes `results.json` in its run directory,
with the guard's decision and the verdict too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from alsace_cli.io.atomic import atomic_file
from alsace_cli.io.outputs import RESULTS_KEY

SCHEMA = 1


def eval_results(
    output: Any, metrics: pd.DataFrame, summary: pd.DataFrame, meta: dict[str, Any]
) -> dict[str, Any]:
    found = {
        RESULTS_KEY: SCHEMA,
        "task_output": output.name,
        "units": output.result_units,
        "source_lang": meta.get("source_lang"),
        "metrics": output.records(metrics),
        "summary": output.records(summary),
        "comparisons": [_as_fractions(row) for row in meta.get("comparisons", [])],
        "provenance": meta.get("provenance"),
    }
    if "ensemble" in meta:
        found["ensemble"] = meta["ensemble"]
    if "normalization" in meta:
        found["normalization"] = meta["normalization"]
    return found


# The paired comparisons are computed in points (the report's unit): divided by 100 for results.json.
POINTS = ("difference", "ci_low", "ci_high")


def _as_fractions(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v / 100 if k in POINTS and isinstance(v, (int, float)) else v) for k, v in row.items()}


def write_results(path: str | Path, payload: dict[str, Any]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path) as tmp:
        tmp.write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8")
    return path
