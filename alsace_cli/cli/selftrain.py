"""`alsace self-train`: the paper's self-training baselines (English-only or full-language)."""

from __future__ import annotations

from pathlib import Path

import typer

from alsace_cli.cli.common import (
    config_from,
    config_option,
    handle_errors,
    json_option,
    opt,
    overwrite_option,
)
from alsace_cli.configs import SelfTrainConfig as C


@handle_errors
def self_train_command(
    ctx: typer.Context,
    model: str = opt(C, "model"),
    predictions: str = opt(C, "predictions"),
    data: str = opt(C, "data"),
    out: str = opt(C, "out"),
    languages: str = opt(C, "languages"),
    source_lang: str = opt(C, "source_lang"),
    keep: float = opt(C, "keep"),
    learning_rate: float = opt(C, "learning_rate", "--learning-rate", "--lr"),
    epochs: float = opt(C, "epochs"),
    max_steps: int = opt(C, "max_steps", "--max-steps", "--steps"),
    batch_size: int = opt(C, "batch_size"),
    max_length: int = opt(C, "max_length"),
    warmup_ratio: float = opt(C, "warmup_ratio"),
    weight_decay: float = opt(C, "weight_decay"),
    seed: int = opt(C, "seed"),
    device: str = opt(C, "device"),
    precision: str = opt(C, "precision"),
    overwrite: bool = overwrite_option(),
    config: Path = config_option(),
    json: bool = json_option(),
) -> None:
    """Baseline: fine-tune further on the model's own most confident predictions on the unlabeled corpus."""
    from alsace_cli.report import print_json
    from alsace_cli.stages.selftrain import self_train

    cfg = config_from(ctx, C, "self-train", ("model", "predictions", "data"))
    path = self_train(cfg, overwrite=overwrite)
    if json:
        print_json({"model": str(path), "train": f"{cfg.out}.train.parquet"})
