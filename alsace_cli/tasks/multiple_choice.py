"""Multiple choice (XCOPA, COPA): premise, a question (cause or effect) and two choices."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from alsace_cli.tasks import Task, register_task

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase


@dataclass(frozen=True)
class MultipleChoiceTask(Task):
    """The label is the index of the right choice.

    Each choice is encoded as one sequence pair (premise, "<question>: <choice>") and the model scores every
    choice (AutoModelForMultipleChoice), so its softmax over choices is a label distribution like any other
    task's and vote, select, make-pairs and distill work on it unchanged.
    """

    choice_columns: tuple[str, ...] = ("choice1", "choice2")

    def fixed_labels(self) -> list[str]:
        return list(self.choice_columns)  # the label is the right choice's column

    def encode(self, tokenizer: PreTrainedTokenizerBase, rows: pd.DataFrame, max_length: int) -> Any:
        n = len(self.choice_columns)
        premises = [p for p in rows["premise"].astype(str) for _ in range(n)]
        questions = rows["question"].astype(str).tolist()
        choices = [rows[c].astype(str).tolist() for c in self.choice_columns]
        seconds = [f"{questions[i]}: {choices[k][i]}" for i in range(len(rows)) for k in range(n)]
        batch = tokenizer(
            premises, seconds, truncation=True, max_length=max_length, padding=True, return_tensors="pt"
        )
        return batch.__class__({key: value.view(len(rows), n, -1) for key, value in batch.items()})

    def auto_model_class(self) -> Any:
        from transformers import AutoModelForMultipleChoice

        return AutoModelForMultipleChoice


MULTIPLE_CHOICE = register_task(
    MultipleChoiceTask(
        "multiple-choice",
        ("premise", "question", "choice1", "choice2"),
        "premise, question (cause/effect), two choices: XCOPA, COPA",
        head="ForMultipleChoice",
        known_by_columns=True,
        pipeline_tag="multiple-choice",
        probs_per_label=False,
    )
)
