"""`alsace select`: score languages and split them into teachers and students."""

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
from alsace_cli.configs import SelectConfig as C


@handle_errors
def select_command(
    ctx: typer.Context,
    predictions: str = opt(C, "predictions"),
    pseudo_labels: str = opt(C, "pseudo_labels"),
    out: str = opt(C, "out"),
    threshold: str = opt(C, "threshold"),
    strategy: str = opt(C, "strategy"),
    allow_partial: bool = opt(C, "allow_partial", "--allow-partial"),
    source_lang: str = opt(C, "source_lang"),
    source_teacher: bool = opt(C, "source_teacher", "--source-teacher"),
    degenerate_tv: float = opt(C, "degenerate_tv"),
    seed: int = opt(C, "seed"),
    overwrite: bool = overwrite_option(),
    config: Path = config_option(),
    json: bool = json_option(),
) -> None:
    """Stage 4: s_t = mean P(pseudo-label) (QA: mean best-span probability), ŝ = softmax(s); teachers: ŝ_t ≥ threshold."""
    from alsace_cli.report import frame_records, print_json
    from alsace_cli.stages.select import select

    cfg = config_from(ctx, C, "select", ("predictions",))
    artifact = select(cfg, overwrite=overwrite)
    if json:
        print_json({"languages": str(artifact.path), "threshold": artifact.meta["threshold"],
                    "table": frame_records(artifact.frame)})  # fmt: skip
