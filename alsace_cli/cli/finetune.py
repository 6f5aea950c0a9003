"""`alsace finetune`: fine-tune on labeled (normally English) data."""

from __future__ import annotations

from typing import Annotated

import typer

from alsace_cli.cli.common import (
    ConfigOption,
    DeviceOption,
    JsonOption,
    PrecisionOption,
    handle_errors,
    resolve_config,
)


@handle_errors
def finetune_command(
    model: Annotated[str | None, typer.Option(help="Hub id or directory of the pretrained model.")] = None,
    train: Annotated[str | None, typer.Option(help="Labeled dataset (Parquet), normally English.")] = None,
    dev: Annotated[
        str | None, typer.Option(help="Labeled dev set to keep the best epoch on (never distill data).")
    ] = None,
    out: Annotated[str | None, typer.Option(help="Output model directory.")] = None,
    learning_rate: Annotated[float | None, typer.Option("--learning-rate", "--lr")] = None,
    epochs: Annotated[float | None, typer.Option()] = None,
    max_steps: Annotated[
        int | None, typer.Option(help="Stop after this many steps (overrides --epochs).")
    ] = None,
    batch_size: Annotated[int | None, typer.Option()] = None,
    max_length: Annotated[
        int | None, typer.Option(help="Tokens per input, longer inputs are truncated.")
    ] = None,
    warmup_ratio: Annotated[float | None, typer.Option(help="Fraction of steps with linear warmup.")] = None,
    weight_decay: Annotated[float | None, typer.Option()] = None,
    freeze_embeddings: Annotated[
        bool | None, typer.Option("--freeze-embeddings/--no-freeze-embeddings")
    ] = None,
    seed: Annotated[int | None, typer.Option()] = None,
    device: DeviceOption = None,
    precision: PrecisionOption = None,
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Stage 1: fine-tune MODEL on labeled data; writes a model directory with train_log.parquet."""
    from alsace_cli.report import print_json
    from alsace_cli.stages.finetune import FinetuneConfig, finetune

    cfg = resolve_config(
        FinetuneConfig, "finetune", config, ("model", "train"),
        model=model, train=train, dev=dev, out=out, learning_rate=learning_rate, epochs=epochs,
        max_steps=max_steps, batch_size=batch_size, max_length=max_length, warmup_ratio=warmup_ratio,
        weight_decay=weight_decay, freeze_embeddings=freeze_embeddings, seed=seed, device=device,
        precision=precision,
    )  # fmt: skip
    path = finetune(cfg)
    if json:
        print_json({"model": str(path), "train_log": str(path / "train_log.parquet")})
