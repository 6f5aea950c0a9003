"""`alsace eval`: accuracy per language and the cross-lingual transfer gap, for one or more models."""

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
from alsace_cli.configs import EvalConfig as C

REPORTS = ("gaps", "ensemble", "all", "none")


@handle_errors
def eval_command(
    ctx: typer.Context,
    model: list[str] = opt(C, "models", "--model"),
    data: str = opt(C, "data"),
    out: str = opt(C, "out"),
    source_lang: str = opt(C, "source_lang"),
    languages: str = opt(C, "languages"),
    report_kind: str = typer.Option(
        "gaps",
        "--report",
        show_default=True,
        help="gaps: the gap report; ensemble: the cross-language ensemble table; all; none.",
    ),  # fmt: skip
    plot: str = opt(C, "plot"),
    predictions_out: str = opt(C, "predictions_out"),
    batch_size: int = opt(C, "batch_size"),
    max_length: int = opt(C, "max_length"),
    doc_stride: int = opt(C, "doc_stride"),
    max_answer_length: int = opt(C, "max_answer_length"),
    n_best: int = opt(C, "n_best"),
    top_k: int = opt(C, "top_k"),
    merge_windows: str = opt(C, "merge_windows"),
    normalization: str = opt(C, "normalization"),
    device: str = opt(C, "device"),
    precision: str = opt(C, "precision"),
    overwrite: bool = overwrite_option(),
    config: Path = config_option(),
    json: bool = json_option(),
) -> None:
    """Stage 7: metrics.parquet (model, lang, n, accuracy, gap) and the gap report."""
    from alsace_cli.errors import AlsaceError
    from alsace_cli.report import frame_records, print_json, show_ensemble, show_gap_report, show_qa_report
    from alsace_cli.stages.evaluate import evaluate

    if report_kind not in REPORTS:
        raise AlsaceError(f"--report: unknown report {report_kind!r} (use {', '.join(REPORTS)})")
    cfg = config_from(ctx, C, "eval", ("models", "data"), rename={"model": "models"},
                      transform={"models": list})  # fmt: skip
    if report_kind == "ensemble" and cfg.data:
        from alsace_cli.streaming import open_dataset

        if open_dataset(cfg.data).task == "qa":  # checked before any work: nothing is written
            raise AlsaceError(
                "--report ensemble: the ensemble across languages is defined for label distributions, not QA"
            )
    artifact, summary = evaluate(cfg, overwrite=overwrite)
    if artifact.meta.get("task") == "qa":
        if report_kind in ("gaps", "all"):
            show_qa_report(artifact.frame, summary, artifact.meta["normalization"], cfg.source_lang)
        if json:
            print_json({"metrics": frame_records(artifact.frame), "summary": frame_records(summary),
                        "normalization": artifact.meta["normalization"], "path": str(artifact.path)})  # fmt: skip
        return
    if report_kind in ("gaps", "all"):
        show_gap_report(artifact.frame, summary, cfg.source_lang)
    if report_kind in ("ensemble", "all"):
        show_ensemble(artifact.meta["ensemble"])
    if json:
        print_json({"metrics": frame_records(artifact.frame), "summary": frame_records(summary),
                    "ensemble": artifact.meta["ensemble"], "path": str(artifact.path)})  # fmt: skip
