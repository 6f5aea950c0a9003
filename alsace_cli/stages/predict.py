"""Stage 2, predict: P(y | x_{t,i}) for every instance and language of a dataset."""

from __future__ import annotations

from dataclasses import dataclass

from alsace_cli import report
from alsace_cli.artifacts import Artifact, load_dataset, write_artifact
from alsace_cli.config import config_path_for, save_config
from alsace_cli.inference import predictions_frame, run_model_on
from alsace_cli.provenance import make_provenance


@dataclass
class PredictConfig:
    model: str = ""
    data: str = ""
    out: str = "predictions.parquet"
    batch_size: int = 64
    max_length: int = 128
    device: str = "auto"
    precision: str = "fp32"


def predict(config: PredictConfig) -> Artifact:
    dataset = load_dataset(config.data)
    probs = run_model_on(
        config.model, dataset, config.batch_size, config.max_length, config.device, config.precision
    )
    frame = predictions_frame(dataset.frame["id"], dataset.frame["lang"], probs)
    meta = {
        "task": dataset.task,
        "labels": dataset.labels,
        "provenance": make_provenance("predict", config, {"model": config.model, "data": config.data}),
    }
    out = write_artifact(frame, config.out, "predictions", meta)
    save_config(config, "predict", config_path_for(out))
    report.info(f"predict: {len(frame)} rows in {len(dataset.languages)} languages → {out}")
    return Artifact(frame, meta, out)
