"""The recipe grid's report: rows exported to benchmarks/results/grid read back as they were measured, and a
unit's rows never joined to another fine-tuned baseline."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    spec = importlib.util.spec_from_file_location("recipes_report", ROOT / "benchmarks" / "recipes_report.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "recipes_report", module)  # its dataclasses look their module up
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "RUNS", tmp_path / "runs")
    monkeypatch.setattr(module, "EXPORTS", tmp_path / "grid")
    rng = np.random.default_rng(0)
    labels = pd.DataFrame([(str(i), lang, int(rng.integers(0, 3))) for lang in ("en", "de", "sw") for i in range(120)],
                          columns=["id", "lang", "label"])  # fmt: skip
    (tmp_path / "runs/quality/xcopa/data").mkdir(parents=True)
    labels.to_parquet(tmp_path / "runs/quality/xcopa/data/test.parquet")
    seed = tmp_path / "runs/quality/xcopa/seed1"
    seed.mkdir()
    for row, accuracy in (("baseline", 0.6), ("recipe-static", 0.65), ("recipe-static-ce", 0.55)):
        right = rng.random(len(labels)) < accuracy
        pred = np.where(right, labels["label"], (labels["label"] + 1) % 3)
        labels.assign(pred=pred)[["id", "lang", "pred"]].to_parquet(seed / f"test-predictions-{row}.parquet")
    return module


def figures(found: dict) -> dict:
    return {(bench, row, seed): (run.english, run.average, run.gap, run.worst, run.kept_step)
            for bench, rows in found.items() for row, seeds in rows.items() for seed, run in seeds.items()}  # fmt: skip


def test_exported_rows_read_back_as_measured(report, tmp_path: Path) -> None:
    measured = figures(report.collect(export=True))
    assert set(measured) == {("xcopa", row, 1) for row in ("baseline", "static", "static-ce")}
    shutil.rmtree(tmp_path / "runs/quality/xcopa/seed1")  # the machine's scratch space is gone
    assert figures(report.collect()) == measured


def test_a_unit_is_not_joined_to_another_baseline(report, tmp_path: Path) -> None:
    report.collect(export=True)
    seed = tmp_path / "runs/quality/xcopa/seed1"
    baseline = pd.read_parquet(seed / "test-predictions-baseline.parquet")
    label = pd.read_parquet(tmp_path / "runs/quality/xcopa/data/test.parquet")["label"].iloc[0]
    right = baseline.loc[0, "pred"] == label  # one outcome flips: a re-fine-tuned model on another machine
    baseline.loc[0, "pred"] = (label + 1) % 3 if right else label
    baseline.to_parquet(seed / "test-predictions-baseline.parquet")
    (seed / "test-predictions-recipe-static.parquet").unlink()
    with pytest.raises(SystemExit, match="its baseline differs"):
        report.collect(export=True)
