"""What differs between training jobs, as the trainer sees it: the items, their batches and one step's loss.

finetune, distillation on label distributions, QA distillation with gold answers and QA distillation over
question languages are each an `Objective` (training/objectives/); the loop, processes, checkpoints,
checks, logging and saving are the trainer's (training/trainer.py). A new objective is one small module
that subclasses this and registers itself (training/objectives/__init__.py).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from alsace_cli.runtime.batching import batches_per_pass

if TYPE_CHECKING:
    import torch
    from accelerate import Accelerator
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

    from alsace_cli.tasks import Task
    from alsace_cli.training.setup import TrainLog


@dataclass
class StepOutput:
    """One step of one process: its loss and what the log records.

    `loss` is this process's mean over its share of the batch. `logged` values are whole-batch means in the
    log: tensors are averaged across processes as the loss is, floats are logged as they are. `extra` are
    logged after the learning rate, as this process measured them. `kept` makes the loss a masked mean: how
    many of this process's items counted (the trainer then weights each process by its share of them).
    """

    loss: torch.Tensor
    logged: dict[str, Any]
    extra: dict[str, float] = field(default_factory=dict)
    kept: torch.Tensor | None = None


class Objective(ABC):
    name: ClassVar[str]  # the registry's key (training/objectives)
    output_type: ClassVar[str | None] = None  # trains tasks of this output type (tasks/output_types)
    # Fits only with (True) or without (False) --pairs; None: either.
    reads_pairs: ClassVar[bool | None] = None
    stage: ClassVar[str] = "distill"  # names the provenance, checkpoint, tracker and progress bar
    batch_size: int
    labels: list[str]  # saved with the model
    task: Task  # the task trained (its model card says so)
    languages: list[str]  # the languages trained on (the model card's)
    inputs: dict[str, str | None]  # recorded in the provenance and the checkpoint's fingerprint
    n_items: int = 0
    batches: list[np.ndarray]

    @classmethod
    def fits(cls, task: Task, config: Any) -> bool:
        """Whether this objective trains `task` under `config` (the registry asks; no task name is tested)."""
        pairs_fit = cls.reads_pairs is None or cls.reads_pairs == bool(getattr(config, "pairs", None))
        return cls.output_type is not None and task.output_type == cls.output_type and pairs_fit

    @classmethod
    def check(cls, config: Any) -> None:
        """Refuse, before any work, settings this objective cannot use."""

    @classmethod
    def output_inputs(cls, config: Any) -> dict[str, Any]:
        """The inputs by option name, which no output may overwrite."""
        return {}

    def check_processes(self, world: int) -> None:
        """Refuse what cannot run across `world` processes."""

    def build(self, tokenizer: PreTrainedTokenizerBase) -> None:
        """Make the items that need the tokenizer; sets `n_items`."""

    def start(self, model: PreTrainedModel, accelerator: Accelerator, total: int) -> None:
        """Once the model is prepared: the batches of `total` steps and any copy of the model."""

    def before_step(self, step: int, model: PreTrainedModel, accelerator: Accelerator) -> None:
        pass

    @abstractmethod
    def loss_step(self, model: PreTrainedModel, index: np.ndarray, step: int) -> StepOutput:
        """One batch's loss (the trainer calls backward on it) and what the log records."""

    @property
    def steps_per_epoch(self) -> int:
        """Batches in one pass over the items (the epoch teacher re-syncs and finetune's dev check runs at
        each pass's end)."""
        return batches_per_pass(self.n_items, self.batch_size)

    def epoch(self, step: int) -> float:
        return step / self.steps_per_epoch

    def status(self, row: dict[str, Any]) -> str:
        return f"kl {row['kl']:.4f}"

    def collapse_corpus(self) -> dict | None:
        """Samples of the unlabeled corpus for distill's collapse detector, or None (no label histogram)."""
        return None

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass

    @abstractmethod
    def summary(self, log: TrainLog, total: int) -> str:
        """The line the stage prints when training ends."""
