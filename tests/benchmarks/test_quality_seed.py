"""quality.py's runner on the sample data and a tiny model: each row kind's steps run and write their files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.benchmarks.test_default_rows import ROOT, load

SAMPLE = ROOT / "sample_data"
LABELS = ["sport", "food", "weather"]


def test_a_bench_runs_its_rows_and_summarizes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from alsace_cli.stages.tiny_model import build_tiny_model

    quality = load("quality", monkeypatch)
    texts = pd.read_parquet(SAMPLE / "train_en.parquet")["text"].tolist()
    texts += pd.read_parquet(SAMPLE / "unlabeled.parquet")["text"].tolist()
    model = build_tiny_model(tmp_path / "tiny", texts, seed=0)
    parquet = {"format": "parquet", "labels": LABELS}
    bench = quality.Bench(
        name="sample",
        imports={
            "train": {"inputs": [str(SAMPLE / "train_en.parquet")], **parquet},
            "unlabeled": {"inputs": [str(SAMPLE / "unlabeled.parquet")], **parquet},
            "dev_en": {"inputs": [str(SAMPLE / "test.parquet")], **parquet, "limit": 10},
            "test": {"inputs": [str(SAMPLE / "test.parquet")], **parquet},
        },
        finetune={"learning_rate": 1e-3, "epochs": 2, "batch_size": 16},
        max_length=32,
        distill_steps=6,
    )
    rows = ["baseline", "alsace", "self-train-en", "recipe-static"]
    quality.run_bench(bench, rows, [1], tmp_path / "runs", str(model), False, ["baseline", "alsace"])
    seed = tmp_path / "runs" / "seed1"
    for row in rows:
        metrics = pd.read_parquet(seed / f"metrics-{row}.parquet")
        assert set(metrics["lang"]) == {"en", "de", "fr", "ru", "zh", "ar"}, row
    assert (seed / "distilled-alsace" / "train_log.parquet").exists()
    assert "alsace" in (tmp_path / "runs" / "results.md").read_text()
