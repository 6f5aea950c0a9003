"""`alsace finetune`: fine-tune on labeled (normally English) data."""

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
    resume_option,
)
from alsace_cli.configs import FinetuneConfig as C


@handle_errors
def finetune_command(
    ctx: typer.Context,
    model: str = opt(C, "model"),
    train: str = opt(C, "train"),
    dev: str = opt(C, "dev"),
    out: str = opt(C, "out"),
    learning_rate: float = opt(C, "learning_rate", "--learning-rate", "--lr"),
    epochs: float = opt(C, "epochs"),
    max_steps: int = opt(C, "max_steps"),
    batch_size: int = opt(C, "batch_size"),
    max_length: int = opt(C, "max_length"),
    doc_stride: int = opt(C, "doc_stride"),
    warmup_ratio: float = opt(C, "warmup_ratio"),
    weight_decay: float = opt(C, "weight_decay"),
    max_grad_norm: float = opt(C, "max_grad_norm"),
    freeze_embeddings: bool = opt(C, "freeze_embeddings", "--freeze-embeddings/--no-freeze-embeddings"),
    group_by_length: bool = opt(C, "group_by_length", "--group-by-length/--no-group-by-length"),
    eval_batch_size: int = opt(C, "eval_batch_size"),
    save_every: int = opt(C, "save_every"),
    report_to: str = opt(C, "report_to"),
    seed: int = opt(C, "seed"),
    device: str = opt(C, "device"),
    precision: str = opt(C, "precision"),
    overwrite: bool = overwrite_option(),
    resume: bool = resume_option(),
    config: Path = config_option(),
    json: bool = json_option(),
) -> None:
    """Stage 1: fine-tune MODEL on labeled data; writes a model directory with train_log.parquet."""
    from alsace_cli.report import print_json
    from alsace_cli.stages.finetune import finetune

    cfg = config_from(ctx, C, "finetune", ("model", "train"))
    path = finetune(cfg, overwrite=overwrite, resume=resume)
    if json:
        print_json({"model": str(path), "train_log": str(path / "train_log.parquet")})
