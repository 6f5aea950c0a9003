"""Where distillation's target distribution comes from (`distill --teacher`): one class per kind.

A teacher checks what it needs from the config, prepares its targets, holds its state and says whether it
runs across processes. The objectives ask it for the teacher side of a batch and never test its name:
- `live` (default): the model being trained, run on the teacher side in eval mode (no dropout) without
  gradient. The target moves as the model moves.
- `static`: the fine-tuned model's own predictions from `predict` (`--predictions`), fixed for the run.
  The KL loss alone has a trivial minimum (one distribution for every input) that a moving teacher can
  drift into; fixed per-instance targets do not have it. It also saves the teacher forward pass.
- `mutual`: gradient through both sides, both in train mode, as the authors' code does.
- `epoch`: a frozen copy of the model, re-synced at the start of each pass over the items (SKD-QA's
  teacher); no gradient, eval mode.
- `ensemble`: every language of an instance learns one fixed target, the teacher languages' predictions
  combined with weights ŝ_t (or each teacher's confidence): training/ensemble.py.
A new teacher is a subclass registered with `register_teacher`.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from alsace_cli.configs import DISTILL_TEACHERS, DistillConfig
from alsace_cli.errors import AlsaceError
from alsace_cli.registry import Registry
from alsace_cli.training.ensemble import ensemble_items
from alsace_cli.training.inputs import pair_rows, static_targets

if TYPE_CHECKING:
    import torch
    from accelerate import Accelerator
    from transformers import PreTrainedModel

    from alsace_cli.io.artifacts import Dataset

# The config inputs a teacher may need, and the option that names each.
OPTIONS = {
    "predictions": "--predictions FILE (predict's output on --data)",
    "languages": "--languages FILE (select's output: the teachers and their ŝ)",
}


class Teacher:
    """The teacher side of distillation. `fixed` teachers give stored targets (`targets`); the others run a
    model forward (`forward`)."""

    name: ClassVar[str]
    needs: ClassVar[tuple[str, ...]] = ()  # config fields (OPTIONS) that must be set
    fixed: ClassVar[bool] = False
    across_processes: ClassVar[bool] = True  # under DDP one forward with gradient per step only
    # The output types (tasks/output_types) whose distributions it gives: labels, or also QA's start and end.
    outputs: ClassVar[frozenset[str]] = frozenset({"labels"})
    draws_pairs: ClassVar[bool] = True  # trains on pairs; False: on each row of the pairs, toward one target

    def __init__(self, config: DistillConfig) -> None:
        self.config = config

    @classmethod
    def check(cls, config: DistillConfig) -> None:
        """Refuse a config that misses what this teacher needs, or gives inputs only other teachers use."""
        if not all(getattr(config, need) for need in cls.needs):
            raise AlsaceError(
                f"--teacher {cls.name} needs {' and '.join(OPTIONS[need] for need in cls.needs)}"
            )
        for option in OPTIONS:
            if getattr(config, option) and option not in cls.needs:
                users = [t.name for t in TEACHERS.values() if option in t.needs]
                raise AlsaceError(f"--{option} is only used by --teacher {' or '.join(users)}")

    def items(
        self,
        data: Dataset,
        pairs: pd.DataFrame,
        student_rows: np.ndarray,
        teacher_rows: np.ndarray,
        pairs_path: str,
    ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
        """The rows trained on (pairs, or what replaces them) and each one's student and teacher row."""
        return pairs, student_rows, teacher_rows

    def start(self, model: PreTrainedModel, accelerator: Accelerator) -> None:
        """Called once the model is prepared."""

    def start_step(
        self, step: int, steps_per_epoch: int, model: PreTrainedModel, accelerator: Accelerator
    ) -> None:
        """Called before each step."""

    def forward(self, model: PreTrainedModel, inputs: dict[str, torch.Tensor]) -> Any:
        raise NotImplementedError

    def targets(self, index: np.ndarray, device: torch.device) -> torch.Tensor:
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        return {"teacher_state": None}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass


# The names are declared in configs (the --teacher choices `alsace --help` shows without importing torch);
# a teacher registered under another name fails at import, and a test checks that none is missing.
TEACHERS: Registry[type[Teacher]] = Registry("teacher", "--teacher", declared=DISTILL_TEACHERS)
register_teacher = TEACHERS.register


def teacher_class(name: str) -> type[Teacher]:
    return TEACHERS.get_entry(name)


def check_teaches(config: DistillConfig, output_type: str, what: str) -> None:
    """Refuse a teacher that gives no distributions of `output_type`, naming those that do."""
    if output_type not in teacher_class(config.teacher).outputs:
        usable = " or ".join(name for name, cls in TEACHERS.items() if output_type in cls.outputs)
        raise AlsaceError(f"--teacher {config.teacher}: for {what} use {usable}")


@register_teacher
class LiveTeacher(Teacher):
    name = "live"
    outputs = frozenset({"labels", "spans"})

    def forward(self, model: PreTrainedModel, inputs: dict[str, torch.Tensor]) -> Any:
        import torch

        model.train(False)  # no dropout: the target is the model's prediction
        with torch.no_grad():
            return model(**inputs)


class FixedTeacher(Teacher):
    """Stored log-probabilities, one row per item, fixed for the run."""

    fixed = True
    log_probs: np.ndarray

    def targets(self, index: np.ndarray, device: torch.device) -> torch.Tensor:
        import torch

        return torch.from_numpy(self.log_probs[index]).to(device)


@register_teacher
class StaticTeacher(FixedTeacher):
    name = "static"
    needs = ("predictions",)

    def items(self, data, pairs, student_rows, teacher_rows, pairs_path):
        config = self.config
        self.log_probs = static_targets(
            config.predictions, data, config.data, teacher_rows, pairs_path, config.allow_other_corpus
        )
        return pairs, student_rows, teacher_rows


@register_teacher
class MutualTeacher(Teacher):
    name = "mutual"
    across_processes = False

    def forward(self, model: PreTrainedModel, inputs: dict[str, torch.Tensor]) -> Any:
        model.train(True)  # both sides in train mode, with gradient, as the authors' code
        return model(**inputs)


@register_teacher
class EpochTeacher(Teacher):
    """A frozen copy of the model, re-synced at the start of each pass over the items."""

    name = "epoch"
    outputs = frozenset({"labels", "spans"})

    def start(self, model: PreTrainedModel, accelerator: Accelerator) -> None:
        self.frozen = copy.deepcopy(accelerator.unwrap_model(model)).eval()
        self.frozen.requires_grad_(False)

    def start_step(
        self, step: int, steps_per_epoch: int, model: PreTrainedModel, accelerator: Accelerator
    ) -> None:
        if (step - 1) % steps_per_epoch == 0:
            self.frozen.load_state_dict(accelerator.unwrap_model(model).state_dict())

    def forward(self, model: PreTrainedModel, inputs: dict[str, torch.Tensor]) -> Any:
        import torch

        with torch.no_grad():
            return self.frozen(**inputs)

    def state_dict(self) -> dict[str, Any]:
        return {"teacher_state": self.frozen.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.frozen.load_state_dict(state["teacher_state"])


@register_teacher
class EnsembleTeacher(FixedTeacher):
    """One row per (instance, language) of the pairs, one fixed target per instance (training/ensemble.py)."""

    name = "ensemble"
    needs = ("predictions", "languages")
    draws_pairs = False

    def items(self, data, pairs, student_rows, teacher_rows, pairs_path):
        items, self.log_probs = ensemble_items(self.config, data, pairs)
        (student_rows,) = pair_rows(data, items, Path(pairs_path), ("student_lang",))
        return items, student_rows, student_rows
