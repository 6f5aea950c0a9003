"""Stage 2, predict: P(y | x_{t,i}) for every instance and language of a dataset.

The dataset is read in chunks of Parquet rows and the predictions written row group by row group
(alsace_cli.io.streaming), so memory stays bounded however many rows there are; within a chunk rows are
sorted by length so batches pad little. The output holds the input's rows in the input's order.
Under `accelerate launch` each process predicts its shard of every chunk and the main process writes the
gathered chunk (alsace_cli/runtime/distributed.py).
"""

from __future__ import annotations

import contextlib

from alsace_cli.configs import PredictConfig, config_path_for
from alsace_cli.io.artifacts import Artifact
from alsace_cli.io.outputs import check_artifact_outputs, save_config
from alsace_cli.io.provenance import make_provenance
from alsace_cli.io.streaming import CHUNK_ROWS, ArtifactWriter, open_dataset
from alsace_cli.runtime import report
from alsace_cli.runtime.devices import with_resolved_precision
from alsace_cli.runtime.distributed import process_device, processes
from alsace_cli.tasks import get_task
from alsace_cli.tasks.models import hub_options, load_for_inference, with_model_labels


def predict(config: PredictConfig, overwrite: bool = False, chunk_rows: int = CHUNK_ROWS) -> Artifact:

    config = with_resolved_precision(config)
    procs = processes(config.device)
    report.set_main_process(procs.main)

    check_artifact_outputs(config.out, {"--data": config.data, "--model": config.model}, overwrite)
    source = with_model_labels(open_dataset(config.data), config.model, hub_options(config))
    device = process_device(config.device)
    model, tokenizer = load_for_inference(config.model, source.task, source.labels, config, device)
    task = get_task(source.task)
    meta = {
        "task": source.task,
        "labels": source.labels,
        "rows": source.rows,
        **({"qa_format": source.meta["qa_format"]} if "qa_format" in source.meta else {}),
        "provenance": make_provenance("predict", config, {"model": config.model, "data": config.data}),
    }
    languages: set[str] = set()
    writer = (
        ArtifactWriter(config.out, task.prediction_kind, meta) if procs.main else contextlib.nullcontext()
    )
    with writer, report.progress(f"predict {config.model}", source.rows) as advance:
        for chunk in source.chunks(chunk_rows):
            mine = chunk.frame.iloc[procs.shard(len(chunk.frame))]
            grow = lambda n: advance(n * procs.world)  # noqa: E731  (the bar counts every process's rows)
            part = (
                task.predict_chunk(model, tokenizer, mine, config, device, on_batch=grow)
                if len(mine)
                else None
            )
            rows = procs.gather_frame(part, len(chunk.frame))
            if procs.main:
                writer.write(rows)
            languages |= set(chunk.frame["lang"].unique())
    if not procs.main:
        return Artifact(frame=None, meta=meta, path=None)  # type: ignore[arg-type]
    save_config(config, "predict", config_path_for(config.out))
    report.info(
        f"predict: {writer.rows} rows in {report.plural(len(languages), 'language')} → {report.esc(config.out)}"
    )
    # The rows went to disk chunk by chunk and are not held here; read_predictions(path) reads them.
    return Artifact(frame=None, meta=meta, path=writer.path)  # type: ignore[arg-type]
