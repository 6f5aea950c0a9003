"""Stage 2, predict: P(y | x_{t,i}) for every instance and language of a dataset."""

from __future__ import annotations

from alsace_cli import report
from alsace_cli.artifacts import Artifact, load_dataset, write_artifact
from alsace_cli.config import config_path_for, save_config
from alsace_cli.configs import PredictConfig
from alsace_cli.inference import predictions_frame, run_model_on
from alsace_cli.outputs import artifact_output, check_outputs, config_output
from alsace_cli.provenance import make_provenance


def predict(config: PredictConfig, overwrite: bool = False) -> Artifact:
    check_outputs(
        [artifact_output("--out", config.out), config_output(config_path_for(config.out))],
        {"--data": config.data, "--model": config.model},
        overwrite,
    )
    dataset = load_dataset(config.data)
    probs = run_model_on(
        config.model, dataset, config.batch_size, config.max_length, config.device, config.precision
    )
    frame = predictions_frame(dataset.frame["id"], dataset.frame["lang"], probs)
    meta = {
        "task": dataset.task,
        "labels": dataset.labels,
        "rows": len(frame),
        "provenance": make_provenance("predict", config, {"model": config.model, "data": config.data}),
    }
    out = write_artifact(frame, config.out, "predictions", meta)
    save_config(config, "predict", config_path_for(out))
    report.info(f"predict: {len(frame)} rows in {len(dataset.languages)} languages → {report.esc(out)}")
    return Artifact(frame, meta, out)
