"""The registry of distillation objectives: each says which tasks and settings it trains (`fits`), so
the distill stage asks `objective_for(task, config)` and never tests a task's name.

- label_pairs: label distributions (classification, multiple choice) over make-pairs' pairs;
- qa_answers: extractive QA with gold answers (SKD-QA: CE + KL to a teacher);
- qa_pairs: extractive QA over question-language pairs (ALSACE on QA, no gold answers).
finetune's objective (finetune.py) is not distillation and is not registered here.
"""

from __future__ import annotations

from typing import Any

from alsace_cli.registry import Registry
from alsace_cli.training.objective import Objective

# Exactly one objective fits a task and its settings: registration order never decides.
OBJECTIVES: Registry[type[Objective]] = Registry("objective")
register_objective = OBJECTIVES.register


def objective_for(task: Any, config: Any) -> type[Objective]:
    return OBJECTIVES.the_one(
        lambda cls: cls.fits(task, config),
        f"distill: no objective trains task {task.name!r} with these settings",
    )


from alsace_cli.training.objectives import label_pairs, qa_answers, qa_pairs  # noqa: E402,F401  (register)
