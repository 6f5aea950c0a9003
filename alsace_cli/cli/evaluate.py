"""`alsace eval`: accuracy per language and the cross-lingual transfer gap, for one or more models."""

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
def eval_command(
    model: Annotated[
        list[str] | None, typer.Option(help="Model to evaluate; repeat to compare side by side.")
    ] = None,
    data: Annotated[str | None, typer.Option(help="Labeled multilingual test set (Parquet).")] = None,
    out: Annotated[str | None, typer.Option(help="Output metrics Parquet.")] = None,
    source_lang: Annotated[
        str | None, typer.Option(help="The language fine-tuned on; gaps are measured to it.")
    ] = None,
    languages: Annotated[
        str | None, typer.Option(help="languages.parquet: adds student/teacher groups.")
    ] = None,
    report_kind: Annotated[
        str,
        typer.Option(
            "--report", help="gaps: the gap report; ensemble: the cross-language ensemble table; all; none."
        ),
    ] = "gaps",
    plot: Annotated[str | None, typer.Option(help="Write a per-language accuracy plot (PNG).")] = None,
    predictions_out: Annotated[str | None, typer.Option(help="Also keep the test predictions here.")] = None,
    batch_size: Annotated[int | None, typer.Option()] = None,
    max_length: Annotated[int | None, typer.Option()] = None,
    device: DeviceOption = None,
    precision: PrecisionOption = None,
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Stage 7: metrics.parquet (model, lang, n, accuracy, gap) and the gap report."""
    from alsace_cli.errors import AlsaceError
    from alsace_cli.report import frame_records, print_json, show_ensemble, show_gap_report
    from alsace_cli.stages.evaluate import EvalConfig, evaluate

    if report_kind not in ("gaps", "ensemble", "all", "none"):
        raise AlsaceError(f"--report: unknown report {report_kind!r} (use gaps, ensemble, all or none)")
    cfg = resolve_config(
        EvalConfig, "eval", config, ("models", "data"),
        models=model or None, data=data, out=out, source_lang=source_lang, languages=languages, plot=plot,
        predictions_out=predictions_out, batch_size=batch_size, max_length=max_length, device=device,
        precision=precision,
    )  # fmt: skip
    artifact, summary = evaluate(cfg)
    if report_kind in ("gaps", "all"):
        show_gap_report(artifact.frame, summary, cfg.source_lang)
    if report_kind in ("ensemble", "all"):
        show_ensemble(artifact.meta["ensemble"])
    if json:
        print_json({"metrics": frame_records(artifact.frame), "summary": frame_records(summary),
                    "ensemble": artifact.meta["ensemble"], "path": str(artifact.path)})  # fmt: skip
