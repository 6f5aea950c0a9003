"""`alsace verify`: which artifacts of a run directory are stale, and why."""

from __future__ import annotations

from pathlib import Path

import typer

from alsace_cli.cli.common import handle_errors, json_option


@handle_errors
def verify_command(
    run_dir: Path = typer.Argument(
        ..., help="A run directory (alsace run's --dir, or any folder of artifacts)."
    ),
    json: bool = json_option(),
) -> None:
    """Recompute every input hash the artifacts' provenance records; exit 1 if any artifact is stale."""
    import pandas as pd

    from alsace_cli.report import console, print_json, table
    from alsace_cli.stages.verify import verify

    verdicts = verify(run_dir)
    frame = pd.DataFrame([vars(v) for v in verdicts])
    if json:
        print_json(frame.to_dict(orient="records"))
    else:
        console.print(table(f"Provenance check of {run_dir}", frame))
    if (frame["status"] == "stale").any():
        raise typer.Exit(code=1)
