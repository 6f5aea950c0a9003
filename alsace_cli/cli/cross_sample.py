"""`alsace cross-sample`: every (question language, context language) combination of sampled languages."""

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
    split_list,
)
from alsace_cli.configs import CrossSampleConfig as C


@handle_errors
def cross_sample_command(
    ctx: typer.Context,
    data: str = opt(C, "data"),
    out: str = opt(C, "out"),
    n: int = opt(C, "n"),
    source_lang: str = opt(C, "source_lang"),
    target_languages: str = opt(C, "target_languages"),
    seed: int = opt(C, "seed"),
    overwrite: bool = overwrite_option(),
    config: Path = config_option(),
    json: bool = json_option(),
) -> None:
    """QA: for each id, the source plus N drawn languages, and every question × context language pair."""
    from alsace_cli.report import print_json
    from alsace_cli.stages.cross_sample import cross_sample

    cfg = config_from(
        ctx, C, "cross-sample", ("data",), transform={"target_languages": lambda v: split_list(v) or []}
    )
    artifact = cross_sample(cfg, overwrite=overwrite)
    if json:
        print_json({"data": str(artifact.path), "rows": len(artifact.frame), **artifact.meta["sampling"]})
