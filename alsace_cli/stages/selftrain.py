"""The paper's self-training baselines: pseudo-label the unlabeled corpus, keep the most confident, fine-tune.

- `--scope source`: English-only self-training, the source-language side of the corpus only.
- `--scope all`: full-language self-training, every language's side.
Each row's pseudo-label is the model's own prediction for that row (from `predict`), not the cross-language
vote, as in the paper's baseline. The most confident `--keep` fraction is kept per language, so every
language contributes the same share. The kept rows are written as a labeled dataset beside the output
(`<out>.train.parquet`, inspectable and reusable), then the fine-tuned model is trained further on them
with `finetune`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from alsace_cli.configs import FinetuneConfig, SelfTrainConfig
from alsace_cli.errors import AlsaceError
from alsace_cli.io.artifacts import dataset_meta, load_dataset, read_predictions, write_artifact
from alsace_cli.io.outputs import artifact_output, check_outputs, model_output
from alsace_cli.io.provenance import make_provenance
from alsace_cli.runtime import report
from alsace_cli.stages.finetune import finetune
from alsace_cli.tasks import get_task, require_label_outputs
from alsace_cli.tasks.models import hub_options, with_model_labels


def pseudo_labeled(
    frame: pd.DataFrame, predictions: pd.DataFrame, languages: list[str] | None, keep: float
) -> pd.DataFrame:
    """Rows of `frame` (in `languages`, or all) labeled with their own prediction; the top `keep` per language."""
    merged = frame.drop(columns=["label"], errors="ignore").merge(
        predictions[["id", "lang", "pred", "confidence"]], on=["id", "lang"], how="inner", validate="1:1"
    )
    if languages is not None:
        merged = merged[merged["lang"].isin(languages)]
    kept = []
    for _, part in merged.groupby("lang", sort=True):
        n = max(1, int(round(keep * len(part))))
        # Stable sort on confidence, so equal confidences keep corpus order: same inputs, same rows.
        kept.append(part.sort_values("confidence", ascending=False, kind="stable").head(n))
    out = pd.concat(kept).sort_index() if kept else merged.head(0)
    return out.rename(columns={"pred": "label"}).drop(columns=["confidence"]).reset_index(drop=True)


def self_train(config: SelfTrainConfig, overwrite: bool = False) -> Path:
    if not 0 < config.keep <= 1:
        raise AlsaceError(f"--keep: {config.keep} is outside (0, 1] (the fraction of rows kept per language)")
    train_path = Path(f"{config.out}.train.parquet")
    check_outputs(
        [model_output("--out", config.out), artifact_output("the training set beside --out", train_path)],
        {"--model": config.model, "--predictions": config.predictions, "--data": config.data},
        overwrite,
    )
    data = with_model_labels(load_dataset(config.data), config.model, hub_options(config))
    require_label_outputs(data.task, "self-train", config.data)
    predictions = read_predictions(config.predictions, data)
    languages = None
    if config.scope == "source":
        if config.source_lang not in data.languages:
            raise AlsaceError(
                f"{config.data}: no rows in the source language {config.source_lang!r} (languages: "
                f"{', '.join(data.languages)}); use --scope all or --source-lang"
            )
        languages = [config.source_lang]
    rows = pseudo_labeled(data.frame, predictions.frame, languages, config.keep)
    if rows.empty:
        raise AlsaceError(
            f"{config.predictions}: no prediction matches a row of {config.data} (same ids and langs?)"
        )
    columns = ["id", "lang", *get_task(data.task).text_columns, "label"]
    provenance = make_provenance(
        "self-train",
        config,
        {"model": config.model, "predictions": config.predictions, "data": config.data},
        config.seed,
    )
    write_artifact(rows[columns], train_path, "dataset", dataset_meta(data.task, data.labels, provenance))
    counts = rows["lang"].value_counts().sort_index()
    report.info(
        f"self-train: {len(rows)} pseudo-labeled rows ({', '.join(f'{k} {v}' for k, v in counts.items())}), "
        f"the top {config.keep:.0%} by confidence per language → {report.esc(train_path)}"
    )
    return finetune(
        FinetuneConfig(
            model=config.model,
            train=str(train_path),
            out=config.out,
            learning_rate=config.learning_rate,
            epochs=config.epochs,
            max_steps=config.max_steps,
            batch_size=config.batch_size,
            max_length=config.max_length,
            warmup_ratio=config.warmup_ratio,
            weight_decay=config.weight_decay,
            seed=config.seed,
            revision=config.revision,
            trust_remote_code=config.trust_remote_code,
            device=config.device,
            precision=config.precision,
        ),
        overwrite=overwrite,
    )
