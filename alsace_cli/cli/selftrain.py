"""`alsace self-train`: the paper's self-training baselines (English-only or full-language)."""

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
def self_train_command(
    model: Annotated[str | None, typer.Option(help="The fine-tuned model directory.")] = None,
    predictions: Annotated[str | None, typer.Option(help="predict's output on --data.")] = None,
    data: Annotated[str | None, typer.Option(help="The unlabeled parallel corpus (Parquet).")] = None,
    out: Annotated[str | None, typer.Option(help="Output model directory (+ <out>.train.parquet).")] = None,
    languages: Annotated[
        str | None, typer.Option(help="source (English-only self-training) or all (full-language).")
    ] = None,
    source_lang: Annotated[str | None, typer.Option(help="The source language (default en).")] = None,
    keep: Annotated[
        float | None, typer.Option(help="Fraction kept per language, most confident first.")
    ] = None,
    learning_rate: Annotated[float | None, typer.Option("--learning-rate", "--lr")] = None,
    epochs: Annotated[float | None, typer.Option()] = None,
    max_steps: Annotated[int | None, typer.Option("--max-steps", "--steps")] = None,
    batch_size: Annotated[int | None, typer.Option()] = None,
    max_length: Annotated[int | None, typer.Option()] = None,
    seed: Annotated[int | None, typer.Option()] = None,
    device: DeviceOption = None,
    precision: PrecisionOption = None,
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Baseline: fine-tune further on the model's own most confident predictions on the unlabeled corpus."""
    from alsace_cli.report import print_json
    from alsace_cli.stages.selftrain import SelfTrainConfig, self_train

    cfg = resolve_config(
        SelfTrainConfig, "self-train", config, ("model", "predictions", "data"),
        model=model, predictions=predictions, data=data, out=out, languages=languages, source_lang=source_lang,
        keep=keep, learning_rate=learning_rate, epochs=epochs, max_steps=max_steps, batch_size=batch_size,
        max_length=max_length, seed=seed, device=device, precision=precision,
    )  # fmt: skip
    path = self_train(cfg)
    if json:
        print_json({"model": str(path), "train": f"{cfg.out}.train.parquet"})
