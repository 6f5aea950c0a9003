"""`alsace vote`: one pseudo-label per instance by majority over languages."""

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
from alsace_cli.configs import VoteConfig as C


@handle_errors
def vote_command(
    ctx: typer.Context,
    predictions: str = opt(C, "predictions"),
    out: str = opt(C, "out"),
    rule: str = opt(C, "rule"),
    exclude_degenerate: bool = opt(C, "exclude_degenerate", "--exclude-degenerate"),
    degenerate_tv: float = opt(C, "degenerate_tv"),
    source_lang: str = opt(C, "source_lang"),
    overwrite: bool = overwrite_option(),
    config: Path = config_option(),
    json: bool = json_option(),
) -> None:
    """Stage 3: majority vote over languages; ties go to the highest summed probability, then the lowest index."""
    from alsace_cli.report import print_json
    from alsace_cli.stages.vote import vote

    cfg = config_from(ctx, C, "vote", ("predictions",))
    artifact = vote(cfg, overwrite=overwrite)
    if json:
        frame = artifact.frame
        print_json(
            {"pseudo_labels": str(artifact.path), "instances": len(frame), "ties": int(frame["tie"].sum()),
             "mean_agreement": float(frame["agreement"].mean())}
        )  # fmt: skip
