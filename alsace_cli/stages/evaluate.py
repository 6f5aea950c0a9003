"""Stage 7, eval: each model's scores per language on a labeled test set, and their summary.

The task's output type decides what is scored (output_types/): accuracy per language and the transfer gap
Δ_t = acc_src − acc_t for label distributions; exact match and F1 per (question language, context
language) for answer spans. This stage does what they share: it checks the outputs before any work,
runs each model over the test set chunk by chunk (under `accelerate launch` each process scores its
shard and the main process writes), keeps the predictions if asked, and writes the metrics and the plot.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pandas as pd

from alsace_cli.configs import EvalConfig, config_path_for
from alsace_cli.errors import AlsaceError
from alsace_cli.io.artifacts import Artifact, write_artifact
from alsace_cli.io.outputs import (
    artifact_output,
    check_artifact_outputs,
    plot_output,
    results_output,
    results_path_for,
    save_config,
)
from alsace_cli.io.provenance import hash_path, make_provenance
from alsace_cli.io.results import eval_results, write_results
from alsace_cli.io.streaming import CHUNK_ROWS, ArtifactWriter, DatasetStream, open_dataset
from alsace_cli.output_types import output_type_of
from alsace_cli.runtime import report
from alsace_cli.runtime.devices import with_resolved_precision
from alsace_cli.runtime.distributed import process_device, processes
from alsace_cli.tasks.models import load_for_inference


def _outputs(config: EvalConfig, overwrite: bool) -> None:
    """The models are named once each, and every output may be written, before any work."""
    repeated = sorted({m for m in config.models if config.models.count(m) > 1})
    if repeated:
        raise AlsaceError(f"--model {repeated[0]} is given twice; each model is compared once")
    outputs = []
    if config.predictions_out:
        outputs.append(artifact_output("--predictions-out", config.predictions_out))
    if config.plot:
        outputs.append(plot_output("--plot", config.plot))
    outputs.append(results_output("the results file beside --out", results_path_for(config.out)))
    inputs = {
        "--data": config.data,
        "--languages": config.languages,
        "--model": config.models,
        "--translate-test": config.translate_test,
    }
    check_artifact_outputs(config.out, inputs, overwrite, outputs)


def evaluate(
    config: EvalConfig, overwrite: bool = False, chunk_rows: int = CHUNK_ROWS
) -> tuple[Artifact, pd.DataFrame]:
    if not config.models:
        raise AlsaceError("missing --model (give it once per model to compare)")
    config = with_resolved_precision(config)
    _outputs(config, overwrite)
    report.set_main_process(processes(config.device).main)
    source = open_dataset(config.data)
    output = output_type_of(source.task)
    if config.report == "ensemble" and not output.ensemble_report:
        raise AlsaceError(
            "--report ensemble: the ensemble across languages is defined for label distributions, not for "
            f"{source.task!r} answer spans"
        )
    evaluation = output.evaluation(config, source)
    inputs = {"data": config.data, "languages": config.languages, "translate_test": config.translate_test} | {
        f"model{i}": m for i, m in enumerate(config.models)
    }
    provenance = make_provenance("eval", config, inputs)
    main = processes(config.device).main
    with contextlib.ExitStack() as stack:
        writer = None
        if config.predictions_out and main:
            meta = {"task": source.task, "labels": source.labels, "provenance": provenance}
            writer = stack.enter_context(ArtifactWriter(config.predictions_out, output.prediction_kind, meta))
        for model in config.models:
            _score_model(model, source, config, evaluation, writer, chunk_rows)
        if config.translate_test:  # the English model on the test set translated into English
            translated = _translate_test(config, output)
            _score_model(
                config.models[0],
                translated,
                config,
                evaluation,
                writer,
                chunk_rows,
                name=f"{config.models[0]} [translate-test]",
            )
    metrics, extra, summary = evaluation.finish()
    meta = {"source_lang": config.source_lang, **extra, "provenance": provenance}
    if not main:  # the main process writes; the others computed the same metrics
        return Artifact(metrics, meta, None), summary
    out = write_artifact(metrics, config.out, output.metrics_kind, meta)
    save_config(config, "eval", config_path_for(out))
    results = write_results(results_path_for(out), eval_results(output, metrics, summary, meta))
    if config.plot:
        evaluation.plot(metrics, config.plot)
    report.info(
        f"eval: {len(config.models)} model(s) on {source.rows} rows → {report.esc(out)}, {report.esc(results)}"
        + (f", {report.esc(config.plot)}" if config.plot else "")
    )
    return Artifact(metrics, meta, out), summary


def _translate_test(config: EvalConfig, output: Any) -> DatasetStream:
    """--translate-test: translate --reverse's output of this very --data (its provenance says so)."""
    translated = open_dataset(config.translate_test)
    made = translated.meta.get("translation", {})
    if made.get("direction") != "reverse":
        raise AlsaceError(
            f"--translate-test {config.translate_test}: not the output of `alsace translate --reverse`"
        )
    recorded = translated.meta.get("provenance", {}).get("inputs", {}).get("data", {}).get("sha256")
    if recorded != hash_path(config.data):
        raise AlsaceError(
            f"--translate-test {config.translate_test}: translated from another file than --data "
            f"{config.data} (its provenance's input hash differs)"
        )
    if not output.translate_test:
        raise AlsaceError("--translate-test: label tasks only")
    return translated


def _score_model(
    model_spec: str,
    source: DatasetStream,
    config: EvalConfig,
    evaluation: Any,
    writer: ArtifactWriter | None,
    chunk_rows: int,
    name: str | None = None,
) -> None:
    """One pass of a model over the test set, chunk by chunk; its predictions go to `writer` as they come.
    `name`: the row the metrics call it (default: the model)."""
    procs = processes(config.device)
    device = process_device(config.device)
    model, tokenizer = load_for_inference(model_spec, source.task, source.labels, config, device)
    model_spec = name or model_spec
    evaluation.start_model(model_spec)
    with report.progress(f"eval {model_spec}", source.rows) as advance:
        for chunk in source.chunks(chunk_rows, require_labels=True):
            frame = chunk.frame
            mine = frame.iloc[procs.shard(len(frame))]
            grow = lambda n: advance(n * procs.world)  # noqa: E731  (the bar counts every process's rows)
            part = evaluation.predict(model, tokenizer, mine, device, grow) if len(mine) else None
            rows = evaluation.score(model_spec, frame, procs.gather_frame(part, len(frame)))
            if writer is not None:
                writer.write(rows)
    evaluation.end_model(model_spec)
