"""`alsace vote`: one pseudo-label per instance by majority over languages."""

from __future__ import annotations

from typing import Annotated

import typer

from alsace_cli.cli.common import ConfigOption, JsonOption, handle_errors, resolve_config


@handle_errors
def vote_command(
    predictions: Annotated[str | None, typer.Option(help="predictions.parquet from predict.")] = None,
    out: Annotated[str | None, typer.Option(help="Output pseudo labels Parquet.")] = None,
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Stage 3: majority vote over languages; ties go to the highest summed probability, then the lowest index."""
    from alsace_cli.report import print_json
    from alsace_cli.stages.vote import VoteConfig, vote

    cfg = resolve_config(VoteConfig, "vote", config, ("predictions",), predictions=predictions, out=out)
    artifact = vote(cfg)
    if json:
        frame = artifact.frame
        print_json(
            {"pseudo_labels": str(artifact.path), "instances": len(frame), "ties": int(frame["tie"].sum()),
             "mean_agreement": float(frame["agreement"].mean())}
        )  # fmt: skip
