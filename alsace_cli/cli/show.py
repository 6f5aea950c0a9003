"""What each command shows once its stage has run: tables and lines on stderr, `--json` on stdout.

Each function takes the stage's result, its resolved config and whether --json was asked, and returns an
exit code when it is not 0 (verify: 1 when an artifact is stale).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alsace_cli.runtime import report
from alsace_cli.runtime.report import plural


def nothing(result: Any, config: Any, as_json: bool) -> None:
    pass


def model(path: Path, config: Any, as_json: bool) -> None:
    if as_json:
        report.print_json({"model": str(path), "train_log": str(path / "train_log.parquet")})


def self_trained(path: Path, config: Any, as_json: bool) -> None:
    if as_json:
        report.print_json({"model": str(path), "train": f"{config.out}.train.parquet"})


def predictions(artifact: Any, config: Any, as_json: bool) -> None:
    if as_json:
        report.print_json({"predictions": str(artifact.path), "rows": artifact.meta["rows"]})


def votes(artifact: Any, config: Any, as_json: bool) -> None:
    if as_json:
        frame = artifact.frame
        report.print_json(
            {
                "pseudo_labels": str(artifact.path),
                "instances": len(frame),
                "ties": int(frame["tie"].sum()),
                "mean_agreement": float(frame["agreement"].mean()),
            }
        )


def languages(artifact: Any, config: Any, as_json: bool) -> None:
    if as_json:
        report.print_json(
            {
                "languages": str(artifact.path),
                "threshold": artifact.meta["threshold"],
                "table": report.frame_records(artifact.frame),
            }
        )


def pairs(artifact: Any, config: Any, as_json: bool) -> None:
    if as_json:
        meta = artifact.meta
        report.print_json(
            {
                "pairs": str(artifact.path),
                "rows": meta["pairs"],
                "by_type": meta["by_type"],
                "written": "table" if config.materialize else "rule",
                "dropped_missing_translation": meta["dropped_missing_translation"],
            }
        )


def translated(artifact: Any, config: Any, as_json: bool) -> None:
    summary = artifact.meta.get("translation") if artifact.meta else None
    if summary is None:
        return  # not the main process
    report.show_translation(summary)
    if as_json:
        report.print_json({"data": str(artifact.path), **summary})


def sampled(artifact: Any, config: Any, as_json: bool) -> None:
    if as_json:
        report.print_json(
            {"data": str(artifact.path), "rows": len(artifact.frame), **artifact.meta["sampling"]}
        )


def metrics(result: Any, config: Any, as_json: bool) -> None:
    from alsace_cli.io.streaming import open_dataset
    from alsace_cli.output_types import output_type_of

    artifact, summary = result
    output = output_type_of(open_dataset(config.data).task)
    output.show(artifact, summary, config.report, config.source_lang)
    if as_json:
        report.print_json(output.result(artifact, summary))


def pipeline(result: Any, config: Any, as_json: bool) -> None:
    if result.settings is not None:  # --print-config: nothing ran
        if as_json:
            report.print_json(report.frame_records(result.settings))
        else:
            report.console.print(report.table("Resolved settings (nothing ran)", result.settings))
        return
    from alsace_cli.stages.run_steps import run_log

    with run_log(result.run_dir, header=False):  # the report goes to run.log too, after the stages' lines
        _report_run(result)
    if as_json:
        report.print_json(
            {
                "run_dir": str(result.run_dir),
                "ran": result.ran,
                "skipped": result.skipped,
                "metrics": report.frame_records(result.artifact.frame),
                "summary": report.frame_records(result.summary),
                "guard": result.guard,
                "verdict": result.verdict,
            }
        )


def _report_run(result: Any) -> None:
    from alsace_cli.output_types import output_type_of_metrics

    output = output_type_of_metrics(result.metrics_kind)
    output.show(result.artifact, result.summary, "gaps", result.source_lang)
    if result.guard:  # the table above is this checkpoint's: step 0 means the fine-tuned model's figures
        report.info(
            f"run: distill kept step {result.guard['kept_step']} of {result.guard['last_step']}: "
            f"{report.esc(result.guard['reason'])}"
        )
    if result.verdict:
        report.info(f"[bold]verdict[/bold]: {report.esc(result.verdict['line'])}")
    report.info(
        f"run: ran {', '.join(result.ran) or 'nothing'}; skipped {', '.join(result.skipped) or 'nothing'} "
        f"→ {report.esc(result.run_dir)}"
    )


def verdicts(found: list, config: Any, as_json: bool) -> int:
    import pandas as pd

    frame = pd.DataFrame([vars(v) for v in found])
    if as_json:
        report.print_json(frame.to_dict(orient="records"))
    else:
        report.console.print(report.table(f"Provenance check of {config.run_dir}", frame))
    return 1 if (frame["status"] == "stale").any() else 0


def imported(artifact: Any, config: Any, as_json: bool) -> None:
    if as_json:
        from alsace_cli.data.info import dataset_info

        report.print_json(dataset_info(str(artifact.path)))


def info(found: dict, config: Any, as_json: bool) -> None:
    from alsace_cli.data.info import info_table

    found = dict(found)
    path = found.pop("path")
    if as_json:
        report.print_json(found)
        return
    if "kind" in found:  # make-pairs' output
        report.console.print(
            f"[bold]{report.esc(path)}[/bold]: {found['task']}; {found['rows']} rows", highlight=False
        )
        report.console.print(report.table("Per language", info_table(found)))
        return
    from alsace_cli.tasks import get_task

    unnamed = "none (the model names them)" if get_task(found["task"]).model_names_labels else "none"
    report.console.print(
        f"[bold]{report.esc(path)}[/bold]: task {found['task']}, labels {report.esc(', '.join(found['labels']) or unnamed)}, "
        f"{found['rows']} rows, {found['ids']} ids, {plural(len(found['languages']), 'language')}; "
        f"{found['ids_in_every_language']} ids in every language",
        highlight=False,
    )
    report.console.print(report.table("Per language", info_table(found)))
