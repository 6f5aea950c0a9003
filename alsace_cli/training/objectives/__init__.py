"""The registry of distillation objectives: each says which tasks and settings it trains (`fits`), so
the distill stage asks `objective_for(task, config)` and never tests a task's name.

- label_pairs: label distributions (classification, multiple choice) over make-pairs' pairs;
- qa_answers: extractive QA with gold answers (SKD-QA: CE + KL to a teacher);
- qa_pairs: extractive QA over question-language pairs (ALSACE on QA, no gold answers).
finetune's objective (finetune.py) is not distillation and is not registered here.
"""

from __future__ import annotations

from typing import Any

from alsace_cli.errors import AlsaceError
from alsace_cli.training.objective import Objective

OBJECTIVES: list[type[Objective]] = []


def register_objective(cls: type[Objective]) -> type[Objective]:
    OBJECTIVES.append(cls)
    return cls


def objective_for(task: Any, config: Any) -> type[Objective]:
    for cls in OBJECTIVES:
        if cls.fits(task, config):
            return cls
    raise AlsaceError(f"distill: no objective trains task {task.name!r} with these settings")


from alsace_cli.training.objectives import label_pairs, qa_answers, qa_pairs  # noqa: E402,F401  (register)
