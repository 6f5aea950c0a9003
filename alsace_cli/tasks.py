"""Task registry: which text columns a task has, how rows become model inputs, which model class fits.

Every stage after `predict` works on label distributions only, so a new task type (multiple choice,
extractive QA) is a new `Task` registered here plus, where needed, a new model head; vote, select,
make-pairs and distill do not change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from alsace_cli.errors import AlsaceError

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase


@dataclass(frozen=True)
class Task:
    name: str
    text_columns: tuple[str, ...]
    description: str
    head: str = "ForSequenceClassification"  # the suffix a fitting model's architecture name has

    def encode(self, tokenizer: PreTrainedTokenizerBase, rows: pd.DataFrame, max_length: int) -> Any:
        """Tokenize `rows` into a padded batch of PyTorch tensors."""
        texts = [rows[column].astype(str).tolist() for column in self.text_columns]
        return tokenizer(*texts, truncation=True, max_length=max_length, padding=True, return_tensors="pt")

    def auto_model_class(self) -> Any:
        from transformers import AutoModelForSequenceClassification

        return AutoModelForSequenceClassification


TASKS: dict[str, Task] = {}


def register_task(task: Task) -> Task:
    """Add a task type; users extend alsace by registering their own before running a stage."""
    TASKS[task.name] = task
    return task


@dataclass(frozen=True)
class MultipleChoiceTask(Task):
    """Premise, a question (cause or effect) and two choices; the label is the index of the right choice.

    Each choice is encoded as one sequence pair (premise, "<question>: <choice>") and the model scores every
    choice (AutoModelForMultipleChoice), so its softmax over choices is a label distribution like any other
    task's and vote, select, make-pairs and distill work on it unchanged.
    """

    choice_columns: tuple[str, ...] = ("choice1", "choice2")

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


register_task(Task("pair", ("text_a", "text_b"), "two texts per item: NLI, paraphrase (XNLI, PAWS-X)"))
register_task(Task("single", ("text",), "one text per item: topic, sentiment"))
register_task(
    MultipleChoiceTask(
        "multiple-choice",
        ("premise", "question", "choice1", "choice2"),
        "premise, question (cause/effect), two choices: XCOPA, COPA",
        head="ForMultipleChoice",
    )
)


def get_task(name: str) -> Task:
    if name not in TASKS:
        raise AlsaceError(f"unknown task {name!r} (known: {', '.join(sorted(TASKS))})")
    return TASKS[name]


def infer_task(columns: Sequence[str]) -> Task | None:
    """The task whose text columns a file has, most specific first (a pair file also has no 'text')."""
    for task in sorted(TASKS.values(), key=lambda t: -len(t.text_columns)):
        if all(column in columns for column in task.text_columns):
            return task
    return None
