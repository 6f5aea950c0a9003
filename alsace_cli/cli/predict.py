"""`alsace predict`: label distributions for every row of a dataset."""

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
def predict_command(
    model: Annotated[str | None, typer.Option(help="Model directory or hub id.")] = None,
    data: Annotated[str | None, typer.Option(help="Dataset (Parquet), labeled or not.")] = None,
    out: Annotated[str | None, typer.Option(help="Output predictions Parquet.")] = None,
    batch_size: Annotated[int | None, typer.Option()] = None,
    max_length: Annotated[int | None, typer.Option()] = None,
    device: DeviceOption = None,
    precision: PrecisionOption = None,
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Stage 2: P(y | x) for every (id, lang) → predictions.parquet (id, lang, probs, pred, confidence)."""
    from alsace_cli.report import print_json
    from alsace_cli.stages.predict import PredictConfig, predict

    cfg = resolve_config(
        PredictConfig, "predict", config, ("model", "data"),
        model=model, data=data, out=out, batch_size=batch_size, max_length=max_length, device=device,
        precision=precision,
    )  # fmt: skip
    artifact = predict(cfg)
    if json:
        print_json({"predictions": str(artifact.path), "rows": len(artifact.frame)})
