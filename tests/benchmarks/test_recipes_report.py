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
    labels = pd.DataFrame(
        [(str(i), lang, int(rng.integers(0, 3))) for lang in ("en", "de", "sw") for i in range(120)],
        columns=["id", "lang", "label"],
    )
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
    return {
        (bench, row, seed): (run.english, run.average, run.gap, run.worst, run.kept_step)
        for bench, rows in found.items()
        for row, seeds in rows.items()
        for seed, run in seeds.items()
    }


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


def verdict(
    english: float, average: float, benches: list[str], pruned: bool = False, missing: tuple = ()
) -> dict:
    """A recipe's standing as rule() writes it: the same change on each benchmark it ran on."""
    per_bench = {b: {"seeds": [1], "english": english, "average": average} for b in benches}
    shortfall = len(benches) * (max(0.0, -0.5 - english) + max(0.0, -average))
    return {
        "benchmarks": per_bench,
        "pruned": ["x"] if pruned else [],
        "shortfall": shortfall,
        "missing": list(missing),
        "qualifies": not pruned and not missing and shortfall == 0.0,
        "mean_gain": average,
    }


def test_the_rule_picks_the_largest_gain_then_the_closest_then_waits(report) -> None:
    every, rest = list(report.BENCHES), [b for b in report.BENCHES if b != "xcopa"]
    verdicts = {
        "static": verdict(0.0, 0.5, every),
        "static-ce": verdict(-0.2, 0.5, every),
        "ensemble-conf": verdict(0.1, 0.9, every),
        "paper": verdict(0.0, 0.0, ["xcopa"], missing=rest),
    }
    assert report.choose(verdicts)["default"] == "ensemble-conf"
    verdicts["ensemble-conf"] = verdict(-0.6, 0.9, every)  # English falls short: the tie goes to the simpler
    assert report.choose(verdicts)["default"] == "static"
    verdicts = {
        "static": verdict(-1.0, -0.2, every, pruned=True),
        "static-ce": verdict(0.0, -0.1, every, pruned=True),
    }
    closest = report.choose(verdicts)
    assert (closest["default"], closest["guard_rule"]) == ("static-ce", "gain")
    verdicts = {
        "static": verdict(-2.0, -1.7, ["xcopa"], pruned=True, missing=rest),
        "paper": verdict(0.0, 0.0, ["xcopa"], missing=rest),
    }
    waiting = report.choose(verdicts)
    assert waiting["default"] is None and waiting["why"].startswith("none can qualify")
    verdicts["static"]["pruned"] = []  # one candidate could still qualify: the report does not say none can
    assert not report.choose(verdicts)["why"].startswith("none can qualify")
    verdicts = {
        "static": verdict(0.0, 0.5, every),
        "ensemble-conf": verdict(0.1, 0.9, ["xcopa"], missing=rest),
    }
    assert report.choose(verdicts)["default"] is None  # a candidate still running may gain more


def test_a_pending_candidate_already_further_from_qualifying_need_not_run(report) -> None:
    every, rest = list(report.BENCHES), [b for b in report.BENCHES if b != "xcopa"]
    verdicts = {
        "static": verdict(-2.0, -1.7, ["xcopa"], pruned=True, missing=rest),  # shortfall 3.2 so far
        "ensemble-conf": verdict(-0.8, 0.1, every, pruned=True),
    }  # 5 × 0.3 = 1.5, complete
    decided = report.choose(verdicts)
    assert (decided["default"], decided["guard_rule"]) == ("ensemble-conf", "gain")
    verdicts["static"] = verdict(
        -0.7, 0.0, ["xcopa"], pruned=True, missing=rest
    )  # 0.2 so far: could still be closer
    assert report.choose(verdicts)["default"] is None
    verdicts["static"] = verdict(-2.0, -1.7, ["xcopa"], missing=rest)  # not pruned: it could still qualify
    assert report.choose(verdicts)["default"] is None
