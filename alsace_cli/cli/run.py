"""`alsace run`: every stage from one TOML config into one run directory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from alsace_cli.cli.common import JsonOption, handle_errors


@handle_errors
def run_command(
    config: Annotated[
        Path, typer.Option("--config", help="Pipeline TOML: [run] plus one section per stage.")
    ],
    dir: Annotated[str | None, typer.Option("--dir", help="Run directory (overrides [run] dir).")] = None,
    model: Annotated[
        str | None, typer.Option(help="Model (overrides [run] model); 'tiny' builds one locally.")
    ] = None,
    device: Annotated[str | None, typer.Option(help="auto, cpu, cuda, mps.")] = None,
    seed: Annotated[int | None, typer.Option()] = None,
    force: Annotated[
        bool | None, typer.Option("--force", help="Rerun every stage, even if up to date.")
    ] = None,
    json: JsonOption = False,
) -> None:
    """Run finetune → predict → vote → select → make-pairs → distill → eval; skip stages already up to date."""
    from alsace_cli.report import frame_records, info, print_json, show_gap_report
    from alsace_cli.stages.run import run_pipeline

    result = run_pipeline(
        config, {"dir": dir, "model": model, "device": device, "seed": seed, "force": force}
    )
    show_gap_report(result.metrics, result.summary, result.source_lang)
    info(
        f"run: ran {', '.join(result.ran) or 'nothing'}; skipped {', '.join(result.skipped) or 'nothing'} → {result.run_dir}"
    )
    if json:
        print_json({"run_dir": str(result.run_dir), "ran": result.ran, "skipped": result.skipped,
                    "metrics": frame_records(result.metrics), "summary": frame_records(result.summary)})  # fmt: skip
