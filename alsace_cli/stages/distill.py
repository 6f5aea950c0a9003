"""Stage 6, distill: cross-lingual self-distillation from teacher languages.

The task's output type picks the objective (training/objectives/: label distributions over make-pairs'
pairs; QA with gold answers; QA over question-language pairs), `--teacher` picks where the targets come
from (training/teachers.py), and the guard (training/guard.py) decides which checkpoint is kept: a paired
sign test on `--dev` (labeled rows in any languages) and a label-free collapse detector on a sample of
`--data`, checked before the first step, every `--eval-every` steps and after the last. Neither looks at
the gap, so a gap that shrinks because every language got worse cannot fool them.
"""

from __future__ import annotations

from pathlib import Path

from alsace_cli.artifacts import load_dataset
from alsace_cli.configs import DistillConfig
from alsace_cli.devices import with_resolved_precision
from alsace_cli.errors import AlsaceError
from alsace_cli.models import hub_options, load_model, seed_everything
from alsace_cli.streaming import open_dataset
from alsace_cli.tasks import get_task
from alsace_cli.training.checkpoints import check_training_outputs
from alsace_cli.training.dev_set import DevSet
from alsace_cli.training.guard import Guard, GuardSettings
from alsace_cli.training.objectives import objective_for
from alsace_cli.training.trainer import Trainer


def check(config: DistillConfig, task_of: str | None = None) -> None:
    """Every check that needs no file read: what `alsace run` asks before it starts any stage. `task_of`: a
    file of the same task as --data, when --data is not written yet (run's translated corpus)."""
    objective_for(get_task(open_dataset(task_of or config.data).task), config).check(config)


def distill(config: DistillConfig, overwrite: bool = False, resume: bool | str = False) -> Path:
    """Train; `resume` True continues from the checkpoint, "auto" does so if it matches this job."""
    config = with_resolved_precision(config)
    task = get_task(open_dataset(config.data).task)  # reads the metadata and one row
    objective_class = objective_for(task, config)
    objective_class.check(config)
    check_training_outputs(config.out, objective_class.output_inputs(config), overwrite, resume)
    seed_everything(config.seed)
    objective = objective_class(config, task)
    dev = load_dataset(config.dev, require_labels=True) if config.dev else None
    data = objective.data
    if dev is not None and (dev.labels != data.labels or dev.task != data.task):
        raise AlsaceError(f"{config.dev}: task or labels {dev.labels} differ from {config.data}'s {data.labels}")
    dev_set = DevSet(dev, config.source_lang, config.guard_alpha) if dev is not None else None
    guard = Guard(GuardSettings.of(config), dev_set, corpus=objective.collapse_corpus(), task=task)
    trainer = Trainer(config, objective)
    model, tokenizer = load_model(config.model, data.task, data.labels, max_length=config.max_length,
                                  hub=hub_options(config))
    return trainer.fit(model, tokenizer, guard, resume)
