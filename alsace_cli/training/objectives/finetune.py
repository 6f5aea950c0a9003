"""finetune's objective: the model's own loss (cross-entropy) on labeled rows, in seeded batches.

One feature per row for classification; for extractive QA, one per window of a long context (the task
makes them). `--group-by-length` batches features of similar length (alsace_cli/runtime/batching.py).
"""

from __future__ import annotations

from typing import Any

from alsace_cli.runtime.batching import shuffled_batches
from alsace_cli.runtime.report import plural
from alsace_cli.training.objective import Objective, StepOutput


class Finetuning(Objective):
    stage = "finetune"

    def __init__(self, config: Any, task: Any, train: Any) -> None:
        self.config, self.task = config, task
        self.frame = train.frame.reset_index(drop=True)
        self.labels = train.labels
        self.languages = sorted(self.frame["lang"].unique())
        self.batch_size = config.batch_size
        self.inputs = {"model": config.model, "train": config.train, "dev": config.dev}

    def build(self, tokenizer: Any) -> None:
        self.features = self.task.training_features(tokenizer, self.frame, self.config)
        self.n_items = len(self.features)

    def start(self, model: Any, accelerator: Any, total: int) -> None:
        self.device = accelerator.device
        lengths = self.features.lengths if self.config.group_by_length else None
        self.batches = shuffled_batches(self.n_items, self.batch_size, total, self.config.seed, lengths)

    def loss_step(self, model: Any, index: Any, step: int) -> StepOutput:
        loss = model(**self.features.collate(index).to(self.device)).loss
        return StepOutput(loss, {"loss": loss})

    def status(self, row: dict[str, Any]) -> str:
        return f"loss {row['loss']:.4f}"

    def summary(self, log: Any, total: int) -> str:
        return (
            f"finetune: {plural(total, 'step')} on {len(self.frame)} rows ({self.n_items} features), "
            f"final loss {log.rows[-1]['loss']:.4f}"
        )
