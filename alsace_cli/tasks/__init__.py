"""The task registry: one module per task, each with its columns, encoding, model head, decoding, metrics.

A stage never branches on a task's name: it asks the task. A task says
- which text columns its rows have and which columns key a row (`key_columns`);
- which Auto model class fits it (`head`, `auto_model_class`);
- how labeled rows become training features (`training_features`: one per row for classification,
  several windows per row for extractive QA);
- how a chunk of rows becomes prediction rows (`predict_chunk`) and which artifact kind those are;
- its dev-set score for finetune's best-epoch check (`dev_score`), per row for distill's guard
  (`dev_row_scores`).
Classification tasks (pair, single) and multiple choice produce label distributions, so vote, select,
make-pairs and distill work on them unchanged; extractive QA (`qa`) produces spans.
Users extend alsace by registering their own Task before running a stage.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from alsace_cli.errors import AlsaceError
from alsace_cli.registry import Registry
from alsace_cli.runtime.inference import predict_probs, predictions_frame, text_lengths

if TYPE_CHECKING:
    from pathlib import Path

    import numpy as np
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase


@dataclass
class TrainingFeatures:
    """What finetune iterates over: `n` features, a collate that turns feature indices into a batch, and
    each feature's length (tokens, or characters where the task encodes per batch) for --group-by-length."""

    n: int
    collate: Callable[[Any], Any]
    lengths: Any = None

    def __len__(self) -> int:
        return self.n


@dataclass(frozen=True)
class Task:
    """A classification task over a fixed label set (the base every label-distribution task shares)."""

    name: str
    text_columns: tuple[str, ...]
    description: str
    head: str = "ForSequenceClassification"  # the suffix a fitting model's architecture name has
    key_columns: tuple[str, ...] = ("id", "lang")
    output_type: str = "labels"  # a distribution over a label set (names in the metadata); QA: "spans"
    pipeline_tag: str = "text-classification"  # the hub's name for what the model does (its model card)
    prediction_kind: str = "predictions"
    dev_metric: str = "dev_accuracy"
    # Why translate cannot make this task's data field by field (None: it can).
    translate_note: str | None = None
    # Whether the model's head has one output per label (a classifier), or scores the rows' candidates itself.
    labels_in_head: bool = True
    # Whether predictions hold one probability per label name (a multiple-choice row scores its choices).
    probs_per_label: bool = True
    # A row attribute eval also reports accuracy by (probe: "country"), where the data has that column.
    breakdown: str | None = None
    # Whether a file holding every one of its text columns is this task's, when `data import` is given no
    # --task (a multiple-choice file's columns say what it is; a single text column could be anything).
    known_by_columns: bool = False

    @property
    def has_label_set(self) -> bool:
        return self.output_type == "labels"

    def fixed_labels(self) -> list[str]:
        """Label names the task fixes itself (none: the data or the model names them)."""
        return []

    @property
    def model_names_labels(self) -> bool:
        """Whether a trained model's head names the labels, so an unlabeled corpus may come without names."""
        return self.has_label_set and self.labels_in_head and not self.fixed_labels()

    def encode(self, tokenizer: PreTrainedTokenizerBase, rows: pd.DataFrame, max_length: int) -> Any:
        """Tokenize `rows` into a padded batch of PyTorch tensors."""
        texts = [rows[column].astype(str).tolist() for column in self.text_columns]
        return tokenizer(*texts, truncation=True, max_length=max_length, padding=True, return_tensors="pt")

    def auto_model_class(self) -> Any:
        from transformers import AutoModelForSequenceClassification

        return AutoModelForSequenceClassification

    def new_head_kwargs(self, labels: list[str]) -> dict[str, Any]:
        return {
            "num_labels": len(labels),
            "id2label": dict(enumerate(labels)),
            "label2id": {name: i for i, name in enumerate(labels)},
            "ignore_mismatched_sizes": True,
        }

    def load_kwargs(self, labels: list[str]) -> dict[str, Any]:
        """from_pretrained's arguments for a model trained for this task (a classifier needs none)."""
        return {}

    def correct(self, frame: pd.DataFrame, probs: np.ndarray) -> np.ndarray:
        """Per row, 1.0 where the prediction is right, else 0.0 (the argmax is the label)."""
        import numpy as np

        return (probs.argmax(axis=1) == frame["label"].to_numpy(dtype=np.int64)).astype(np.float64)

    def validate_rows(self, frame: pd.DataFrame, path: str | Path, labels: list[str]) -> None:
        """Checks of the task's own columns, after the common ones (none for classification)."""

    def training_features(
        self, tokenizer: PreTrainedTokenizerBase, frame: pd.DataFrame, config: Any
    ) -> TrainingFeatures:
        import numpy as np
        import torch

        labels = torch.tensor(frame["label"].to_numpy(dtype=np.int64))

        def collate(index: Any) -> Any:
            batch = self.encode(tokenizer, frame.iloc[index], config.max_length)
            batch["labels"] = labels[index]
            return batch

        return TrainingFeatures(len(frame), collate, text_lengths(frame, self))

    def predict_chunk(
        self,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        frame: pd.DataFrame,
        config: Any,  # predict's or eval's config: max_length, batch_size, precision (QA: its decoding)
        device: torch.device,
        on_batch: Callable[[int], None] | None = None,
    ) -> pd.DataFrame:

        probs = predict_probs(
            model,
            tokenizer,
            self,
            frame,
            max_length=config.max_length,
            batch_size=config.batch_size,
            device=device,
            precision=config.precision,
            on_batch=on_batch,
        )
        return predictions_frame(frame["id"], frame["lang"], probs)

    def dev_row_scores(
        self, model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, dataset: Any, **settings: Any
    ) -> np.ndarray:
        """Per dev row, 1.0 if the predicted label is right, else 0.0 (the guard's paired test reads these).
        `dataset` is an io.artifacts.Dataset (not annotated so: io imports tasks)."""

        seen = settings.pop("predictions", None)  # a dict the caller reads each row's predicted label from
        probs = predict_probs(model, tokenizer, self, dataset.frame, **settings)  # `encoded`: batches kept
        if seen is not None:
            seen["pred"] = probs.argmax(axis=1)
        return self.correct(dataset.frame, probs)

    def dev_options(self, config: Any) -> dict[str, Any]:
        """The settings of `config` this task's dev scoring takes beyond length, batch, device, precision."""
        return {}

    def dev_score(
        self, model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, dataset: Any, **settings: Any
    ) -> float:
        """The mean of dev_row_scores: accuracy here, F1 for QA."""
        return float(self.dev_row_scores(model, tokenizer, dataset, **settings).mean())


# Users extend alsace by registering their own task before running a stage: register_task(MyTask(...)).
TASKS: Registry[Task] = Registry("task")
register_task = TASKS.register


def get_task(name: str) -> Task:
    return TASKS.get_entry(name)


def infer_task(columns: Sequence[str]) -> Task | None:
    """The task whose text columns a file has, most specific first (a pair file also has no 'text')."""
    for task in sorted(TASKS.values(), key=lambda t: -len(t.text_columns)):
        if all(column in columns for column in task.text_columns):
            return task
    return None


def require_label_outputs(task_name: str, stage: str, path: Any) -> None:
    """The stages that read label distributions refuse a task that predicts answer spans."""
    task = get_task(task_name)
    if task.output_type != "labels":
        raise AlsaceError(
            f"{path}: {stage} works on label distributions; task {task.name!r} predicts answer spans"
        )


from alsace_cli.tasks import classification, multiple_choice, probe, qa  # noqa: E402,F401  (registers them)
