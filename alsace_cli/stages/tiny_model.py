"""`alsace tiny-model`: a tiny random BERT and a WordPiece tokenizer trained on a dataset's texts, built
locally (no download), for smoke runs and tests."""

from __future__ import annotations

from pathlib import Path

from alsace_cli import report
from alsace_cli.artifacts import load_dataset
from alsace_cli.configs.stages import TinyModelConfig
from alsace_cli.models import build_tiny_model
from alsace_cli.outputs import check_outputs, model_output
from alsace_cli.tasks import get_task


def tiny_model(config: TinyModelConfig, overwrite: bool = False) -> Path:
    check_outputs([model_output("OUT", config.out)], {"--data": config.data}, overwrite)
    texts: list[str] = []
    for path in config.data:
        dataset = load_dataset(path)
        for column in get_task(dataset.task).text_columns:
            texts += dataset.frame[column].astype(str).tolist()
    build_tiny_model(config.out, texts, seed=config.seed)
    report.info(f"tiny-model: random 2-layer BERT, WordPiece vocabulary from {len(texts)} texts → {report.esc(config.out)}")
    return Path(config.out)
