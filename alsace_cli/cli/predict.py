"""`alsace predict`: label distributions for every row of a dataset."""

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
from alsace_cli.configs import PredictConfig as C


@handle_errors
def predict_command(
    ctx: typer.Context,
    model: str = opt(C, "model"),
    data: str = opt(C, "data"),
    out: str = opt(C, "out"),
    batch_size: int = opt(C, "batch_size"),
    max_length: int = opt(C, "max_length"),
    doc_stride: int = opt(C, "doc_stride"),
    max_answer_length: int = opt(C, "max_answer_length"),
    n_best: int = opt(C, "n_best"),
    top_k: int = opt(C, "top_k"),
    merge_windows: str = opt(C, "merge_windows"),
    device: str = opt(C, "device"),
    precision: str = opt(C, "precision"),
    overwrite: bool = overwrite_option(),
    config: Path = config_option(),
    json: bool = json_option(),
) -> None:
    """Stage 2: P(y | x) for every (id, lang) → predictions.parquet (id, lang, probs, pred, confidence)."""
    from alsace_cli.report import print_json
    from alsace_cli.stages.predict import predict

    cfg = config_from(ctx, C, "predict", ("model", "data"))
    artifact = predict(cfg, overwrite=overwrite)
    if json:
        print_json({"predictions": str(artifact.path), "rows": artifact.meta["rows"]})
