"""Stage 1, finetune: fine-tune a pretrained multilingual model on labeled (normally English) data.

Batches are a seeded list of row indices fixed before the loop (so a resumed run continues at its step).
With `--dev` the best epoch on the dev set is kept. The loop is the trainer's (training/trainer.py); the
loss is the model's own (training/objectives/finetune.py).
"""

from __future__ import annotations

from pathlib import Path

from alsace_cli.configs import FinetuneConfig
from alsace_cli.errors import AlsaceError
from alsace_cli.io.artifacts import load_dataset
from alsace_cli.runtime.devices import with_resolved_precision
from alsace_cli.tasks import get_task
from alsace_cli.tasks.models import hub_options, load_model, seed_everything
from alsace_cli.training.checkpoints import check_training_outputs
from alsace_cli.training.checks import BestDevCheck
from alsace_cli.training.objectives.finetune import Finetuning
from alsace_cli.training.trainer import Trainer


def finetune(config: FinetuneConfig, overwrite: bool = False, resume: bool | str = False) -> Path:
    """Train; `resume` True continues from the checkpoint, "auto" does so if it matches this job."""
    config = with_resolved_precision(config)
    check_training_outputs(
        config.out, {"--model": config.model, "--train": config.train, "--dev": config.dev}, overwrite, resume
    )
    seed_everything(config.seed)
    train = load_dataset(config.train, require_labels=True)
    dev = load_dataset(config.dev, require_labels=True) if config.dev else None
    if dev is not None and (dev.labels != train.labels or dev.task != train.task):
        raise AlsaceError(
            f"{config.dev}: labels or task differ from {config.train} ({dev.labels} vs {train.labels})"
        )
    task = get_task(train.task)
    trainer = Trainer(config, Finetuning(config, task, train))
    model, tokenizer = load_model(
        config.model,
        train.task,
        train.labels,
        new_head=True,
        max_length=config.max_length,
        hub=hub_options(config),
    )
    return trainer.fit(model, tokenizer, BestDevCheck(task, dev, config), resume)
