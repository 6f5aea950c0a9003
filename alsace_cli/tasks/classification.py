"""Sequence classification tasks: a text pair (NLI, paraphrase: XNLI, PAWS-X) or one text (topic, sentiment)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from alsace_cli.runtime.batching import TokenCache
from alsace_cli.tasks import Task, TrainingFeatures, register_task


@dataclass(frozen=True)
class SequenceClassificationTask(Task):
    """Training rows are tokenized once (alsace_cli.runtime.batching.TokenCache) rather than at every step."""

    def training_features(self, tokenizer: Any, frame: pd.DataFrame, config: Any) -> TrainingFeatures:
        import numpy as np
        import torch

        labels = torch.tensor(frame["label"].to_numpy(dtype=np.int64))
        cache = TokenCache(
            tokenizer, [frame[c].astype(str).tolist() for c in self.text_columns], config.max_length
        )

        def collate(index: Any) -> Any:
            batch = cache.batch(index)
            batch["labels"] = labels[index]
            return batch

        return TrainingFeatures(len(frame), collate, cache.lengths)


PAIR = register_task(
    SequenceClassificationTask(
        "pair", ("text_a", "text_b"), "two texts per item: NLI, paraphrase (XNLI, PAWS-X)"
    )
)
SINGLE = register_task(SequenceClassificationTask("single", ("text",), "one text per item: topic, sentiment"))
