"""What the trainer asks at the start, after each step and at the end, to decide which weights are kept.

A check has `setup(tokenizer, accelerator, objective)`, `begin(model, log)` (before the first step of a
run that is not resumed), `after_step(model, step, total, log) -> bool` (True stops training),
`restore(model, total)`, `decision` (recorded in the model's provenance under `guard`, or None),
`state_dict()` / `load_state_dict()` (carried in checkpoints), `note()` (a few words for the last
line) and `dev_rows()` (the dev rows scored at step 0 and at the kept step, written beside the model, or
None). distill's guard (guard.py) is one; finetune's best epoch on a dev set is the other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import pandas as pd
    from accelerate import Accelerator
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

    from alsace_cli.configs import FinetuneConfig
    from alsace_cli.io.artifacts import Dataset
    from alsace_cli.tasks import Task
    from alsace_cli.training.objective import Objective
    from alsace_cli.training.setup import TrainLog


class Checks(Protocol):
    """What the trainer asks of a check (the module's docstring says when it asks)."""

    decision: dict[str, Any] | None

    def setup(
        self, tokenizer: PreTrainedTokenizerBase, accelerator: Accelerator, objective: Objective
    ) -> None: ...
    def begin(self, model: PreTrainedModel, log: TrainLog) -> None: ...
    def after_step(self, model: PreTrainedModel, step: int, total: int, log: TrainLog) -> bool: ...
    def restore(self, model: PreTrainedModel, total: int) -> None: ...
    def state_dict(self) -> dict[str, Any]: ...
    def load_state_dict(self, state: dict[str, Any]) -> None: ...
    def dev_rows(self) -> pd.DataFrame | None: ...
    def note(self) -> str: ...


class BestDevCheck:
    """finetune --dev: score the dev set at the end of every epoch and keep the best epoch's weights."""

    decision = None

    def __init__(self, task: Task, dev: Dataset, config: FinetuneConfig) -> None:
        self.task, self.dev, self.config = task, dev, config
        self.best_score, self.best_state = -1.0, None

    def setup(
        self, tokenizer: PreTrainedTokenizerBase, accelerator: Accelerator, objective: Objective
    ) -> None:
        self.tokenizer, self.accelerator, self.objective = tokenizer, accelerator, objective

    def begin(self, model: PreTrainedModel, log: TrainLog) -> None:
        pass

    def after_step(self, model: PreTrainedModel, step: int, total: int, log: TrainLog) -> bool:
        if self.dev is None or not (step % self.objective.steps_per_epoch == 0 or step == total):
            return False
        config = self.config
        score = self.task.dev_score(
            model,
            self.tokenizer,
            self.dev,
            max_length=config.max_length,
            batch_size=config.eval_batch_size,
            device=self.accelerator.device,
            precision=config.precision,
            **self.task.dev_options(config),
        )
        log.rows[-1][self.task.dev_metric] = score
        model.train()
        if score > self.best_score:
            self.best_score = score
            unwrapped = self.accelerator.unwrap_model(model)
            self.best_state = {k: v.detach().cpu().clone() for k, v in unwrapped.state_dict().items()}
        return False

    def restore(self, model: PreTrainedModel, total: int) -> None:
        if self.best_state is not None:
            model.load_state_dict(self.best_state)

    def state_dict(self) -> dict[str, Any]:
        return {"best_acc": self.best_score, "best_state": self.best_state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best_score, self.best_state = state["best_acc"], state["best_state"]

    def dev_rows(self) -> None:
        return None

    def note(self) -> str:
        if self.dev is None:
            return ""
        return f", best {self.task.dev_metric.replace('_', ' ')} {self.best_score:.4f}"
