"""`alsace run`: every stage from one TOML config into one run directory."""

from __future__ import annotations

from pathlib import Path

import typer

from alsace_cli.cli.common import given_flags, handle_errors, json_option, opt
from alsace_cli.configs import RunConfig as C


@handle_errors
def run_command(
    ctx: typer.Context,
    config: Path = typer.Option(
        ...,
        "--config",
        show_default="required",
        help="Pipeline TOML: a run section plus one section per stage.",
    ),
    dir: str = opt(
        C,
        "dir",
        "--dir",
        help="Run directory (overrides dir in the run section).",
        shown="from --config, else runs/alsace",
    ),
    model: str = opt(
        C,
        "model",
        help="Model (overrides the run section's); 'tiny' builds one locally.",
        shown="from --config",
    ),
    device: str = opt(C, "device"),
    seed: int = opt(C, "seed"),
    force: bool = opt(C, "force", "--force"),
    json: bool = json_option(),
) -> None:
    """Run finetune → predict → vote → select → make-pairs → distill → eval; skip stages already up to date.

    A stage interrupted earlier (Ctrl-C, SIGTERM) resumes from its checkpoint.
    """
    from alsace_cli.report import esc, frame_records, info, print_json, show_gap_report, show_qa_report
    from alsace_cli.stages.run import run_pipeline

    result = run_pipeline(config, given_flags(ctx, ("dir", "model", "device", "seed", "force")))
    if result.kind == "qa":
        show_qa_report(result.metrics, result.summary, result.normalization, result.source_lang)
    else:
        show_gap_report(result.metrics, result.summary, result.source_lang)
    if result.guard:  # the table above is this checkpoint's: step 0 means the fine-tuned model's figures
        info(f"run: distill kept step {result.guard['kept_step']} of {result.guard['last_step']}: "
             f"{esc(result.guard['reason'])}")  # fmt: skip
    info(
        f"run: ran {', '.join(result.ran) or 'nothing'}; skipped {', '.join(result.skipped) or 'nothing'} "
        f"→ {esc(result.run_dir)}"
    )
    if json:
        print_json({"run_dir": str(result.run_dir), "ran": result.ran, "skipped": result.skipped,
                    "metrics": frame_records(result.metrics), "summary": frame_records(result.summary),
                    "guard": result.guard})  # fmt: skip
