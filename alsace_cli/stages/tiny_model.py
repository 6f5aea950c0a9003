"""`alsace tiny-model`: a tiny random model and a tokenizer built from a dataset's texts, locally (no
download), for smoke runs and tests: a BERT encoder, its masked-LM form, or an MT model (alsace_cli/tiny.py)."""

from __future__ import annotations

from pathlib import Path

from alsace_cli import report
from alsace_cli.artifacts import load_dataset
from alsace_cli.configs.stages import TinyModelConfig
from alsace_cli.outputs import check_outputs, model_output
from alsace_cli.tasks import get_task
from alsace_cli.tiny import build_tiny_model, build_tiny_translator


def tiny_model(config: TinyModelConfig, overwrite: bool = False) -> Path:
    check_outputs([model_output("OUT", config.out)], {"--data": config.data}, overwrite)
    texts: list[str] = []
    for path in config.data:
        dataset = load_dataset(path)
        for column in get_task(dataset.task).text_columns:
            texts += dataset.frame[column].astype(str).tolist()
    if config.kind in ("bert", "bert-mlm"):
        build_tiny_model(config.out, texts, seed=config.seed, masked_lm=config.kind == "bert-mlm")
        what = (
            "2-layer BERT" + (" with its masked-LM head" if config.kind == "bert-mlm" else "") + ", WordPiece"
        )
    else:
        build_tiny_translator(config.out, texts, config.kind, seed=config.seed)
        what = {"nllb": "M2M100 with NLLB's tokenizer", "marian": "MarianMT", "madlad": "T5 with <2xx> tags"}[
            config.kind
        ]
    report.info(f"tiny-model: random {what}; vocabulary from {len(texts)} texts → {report.esc(config.out)}")
    return Path(config.out)
