"""results.json: what an evaluation found and how, in one file a script or a paper table reads, the way
lm-eval writes its results file. Figures are in the report's units (accuracy and F1 in %, gaps and
differences in points); the provenance says which models, data (with their sha256), settings and versions.
`eval` writes `X.results.json` beside `X.parquet`; `alsace run` writes `results.json` in its run directory,
with the guard's decision and the verdict too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from alsace_cli.atomic import atomic_file
from alsace_cli.outputs import RESULTS_KEY

SCHEMA = 1


def eval_results(
    output: Any, metrics: pd.DataFrame, summary: pd.DataFrame, meta: dict[str, Any]
) -> dict[str, Any]:
    found = {
        RESULTS_KEY: SCHEMA,
        "task_output": output.name,
        "units": output.result_units,
        "source_lang": meta.get("source_lang"),
        "metrics": output.in_points(metrics),
        "summary": output.in_points(summary),
        "comparisons": meta.get("comparisons", []),
        "provenance": meta.get("provenance"),
    }
    if "ensemble" in meta:
        found["ensemble"] = [{**row, "accuracy": 100 * row["accuracy"]} for row in meta["ensemble"]]
    if "normalization" in meta:
        found["normalization"] = meta["normalization"]
    return found


def write_results(path: str | Path, payload: dict[str, Any]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path) as tmp:
        tmp.write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8")
    return path
