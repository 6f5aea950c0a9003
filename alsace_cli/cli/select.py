"""`alsace select`: score languages and split them into teachers and students."""

from __future__ import annotations

from typing import Annotated

import typer

from alsace_cli.cli.common import ConfigOption, JsonOption, handle_errors, resolve_config


@handle_errors
def select_command(
    predictions: Annotated[str | None, typer.Option(help="predictions.parquet from predict.")] = None,
    pseudo_labels: Annotated[str | None, typer.Option(help="pseudo_labels.parquet from vote.")] = None,
    out: Annotated[str | None, typer.Option(help="Output languages Parquet.")] = None,
    threshold: Annotated[
        str | None, typer.Option(help="'mean' (of the softmaxed scores) or a number in 0..1.")
    ] = None,
    strategy: Annotated[
        str | None,
        typer.Option(
            help="confidence (the paper's), random (as many teachers, seeded), all, or scale (as many teachers: most CC-100 data)."
        ),
    ] = None,
    allow_partial: Annotated[
        bool | None, typer.Option("--allow-partial", help="Score each language on the ids it has.")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of --strategy random.")] = None,
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Stage 4: s_t = mean P(pseudo-label), ŝ = softmax(s); teachers have ŝ_t ≥ threshold."""
    from alsace_cli.report import frame_records, print_json
    from alsace_cli.stages.select import SelectConfig, select

    cfg = resolve_config(
        SelectConfig, "select", config, ("predictions", "pseudo_labels"),
        predictions=predictions, pseudo_labels=pseudo_labels, out=out, threshold=threshold, strategy=strategy,
        allow_partial=allow_partial, seed=seed,
    )  # fmt: skip
    artifact = select(cfg)
    if json:
        print_json({"languages": str(artifact.path), "threshold": artifact.meta["threshold"],
                    "table": frame_records(artifact.frame)})  # fmt: skip
