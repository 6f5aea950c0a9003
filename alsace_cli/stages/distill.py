"""Stage 6, distill: cross-lingual self-distillation from teacher languages.

The task's output type picks the objective (training/objectives/: label distributions over make-pairs'
pairs; QA with gold answers; QA over question-language pairs), `--teacher` picks where the targets come
from (training/teachers.py), and the guard (training/guard.py) decides which checkpoint is kept: a paired
sign test on `--dev` (labeled rows in any languages) and a label-free collapse detector on a sample of
`--data`, checked before the first step, every `--eval-every` steps and after the last. Neither looks at
the gap, so a gap that shrinks because every language got worse cannot fool them.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from alsace_cli.configs import DistillConfig
from alsace_cli.errors import AlsaceError
from alsace_cli.io.artifacts import load_dataset, read_meta
from alsace_cli.io.streaming import open_dataset
from alsace_cli.runtime import report
from alsace_cli.runtime.devices import with_resolved_precision
from alsace_cli.tasks import get_task
from alsace_cli.tasks.models import hub_options, load_model, seed_everything
from alsace_cli.training.checkpoints import check_training_outputs
from alsace_cli.training.dev_set import DevSet
from alsace_cli.training.guard import Guard, GuardSettings
from alsace_cli.training.objectives import objective_for
from alsace_cli.training.step0_memo import step0_key
from alsace_cli.training.teachers import teacher_class
from alsace_cli.training.trainer import Trainer


def check(config: DistillConfig, task_of: str | None = None) -> None:
    """Every check that needs no file read: what `alsace run` asks before it starts any stage. `task_of`: a
    file of the same task as --data, when --data is not written yet (run's translated corpus)."""
    objective_for(get_task(open_dataset(task_of or config.data).task), config).check(config)


def with_found_inputs(config: DistillConfig) -> DistillConfig:
    """The teacher's inputs that were not given (--languages, --predictions), found through the provenance of
    --pairs: make-pairs read select's output, which read predict's. Said in one line when used."""
    needs = teacher_class(config.teacher).needs
    missing = [name for name in ("languages", "predictions") if name in needs and not getattr(config, name)]
    if not missing or not config.pairs or not Path(config.pairs).is_file():
        return config
    found: dict[str, str] = {}
    languages = config.languages or _input_of(config.pairs, "languages")
    if "languages" in missing and languages:
        found["languages"] = languages
    predictions = _input_of(languages, "predictions") if languages else None
    if "predictions" in missing and predictions:
        found["predictions"] = predictions
    if found:
        report.info(
            report.esc(
                "distill: "
                + ", ".join(f"--{k} {v}" for k, v in found.items())
                + " (found through the provenance of --pairs)"
            )
        )
    return dataclasses.replace(config, **found)


def _input_of(path: str, name: str) -> str | None:
    """The file an artifact's provenance records as its input `name`, where it still exists."""
    try:
        recorded = read_meta(path).get("provenance", {}).get("inputs", {}).get(name) or {}
    except (OSError, AlsaceError, ValueError):
        return None
    found = recorded.get("path") if isinstance(recorded, dict) else None
    return found if found and Path(found).is_file() else None


def distill(config: DistillConfig, overwrite: bool = False, resume: bool | str = False) -> Path:
    """Train; `resume` True continues from the checkpoint, "auto" does so if it matches this job."""
    config = with_found_inputs(with_resolved_precision(config))
    task = get_task(open_dataset(config.data).task)  # reads the metadata and one row
    objective_class = objective_for(task, config)
    objective_class.check(config)
    check_training_outputs(config.out, objective_class.output_inputs(config), overwrite, resume)
    seed_everything(config.seed)
    objective = objective_class(config, task)
    dev = load_dataset(config.dev, require_labels=True) if config.dev else None
    data = objective.data
    if dev is not None and (dev.labels != data.labels or dev.task != data.task):
        raise AlsaceError(
            f"{config.dev}: task or labels {dev.labels} differ from {config.data}'s {data.labels}"
        )
    dev_set = DevSet(dev, config.source_lang, config.guard_alpha) if dev is not None else None
    corpus = objective.collapse_corpus()
    guard = Guard(
        GuardSettings.of(config),
        dev_set,
        corpus=corpus,
        task=task,
        step0_key=step0_key(config, corpus) if dev is not None or corpus else None,
    )
    trainer = Trainer(config, objective)
    model, tokenizer = load_model(
        config.model, data.task, data.labels, max_length=config.max_length, hub=hub_options(config)
    )
    return trainer.fit(model, tokenizer, guard, resume)
