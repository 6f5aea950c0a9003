"""The collapse guard keeps the state with the best dev accuracy, whatever the last step did."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from alsace_cli.errors import AlsaceError
from alsace_cli.stages import distill as distill_module
from alsace_cli.stages.distill import DistillConfig, Guard, validate
from alsace_cli.training import TrainLog


def run_guard(monkeypatch: pytest.MonkeyPatch, accuracies: list[float]) -> tuple[torch.nn.Linear, int]:
    scores = iter(accuracies)
    # The guard asks the dev set's task for its score (accuracy here; F1 for QA).
    monkeypatch.setattr(
        distill_module, "get_task", lambda name: SimpleNamespace(dev_score=lambda *a, **k: next(scores))
    )
    accelerator = SimpleNamespace(unwrap_model=lambda m: m, device=torch.device("cpu"))
    model, log = torch.nn.Linear(2, 2), TrainLog()
    guard = Guard(DistillConfig(dev="dev"), SimpleNamespace(task="pair"), None, accelerator)
    for step in range(len(accuracies)):
        with torch.no_grad():
            model.weight.fill_(float(step))  # the state at step k has every weight equal to k
        guard.check(model, step, log)
    guard.restore_best(model, len(accuracies) - 1)
    return model, int(model.weight[0, 0].item())


def test_guard_restores_the_best_step_when_accuracy_later_falls(monkeypatch: pytest.MonkeyPatch) -> None:
    _, kept = run_guard(monkeypatch, [0.60, 0.70, 0.40, 0.33])
    assert kept == 1


def test_guard_ties_go_to_the_later_step_and_the_start_can_win(monkeypatch: pytest.MonkeyPatch) -> None:
    assert run_guard(monkeypatch, [0.60, 0.60, 0.55])[1] == 1
    assert run_guard(monkeypatch, [0.80, 0.50, 0.33])[1] == 0


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"teacher": "frozen"}, "unknown teacher"),
        ({"teacher": "static"}, "needs --predictions"),
        ({"predictions": "p.parquet"}, "only used by --teacher static"),
        ({"eval_every": 5}, "needs --dev"),
    ],
)
def test_distill_options_are_checked(fields: dict, message: str) -> None:
    with pytest.raises(AlsaceError, match=message):
        validate(DistillConfig(model="m", data="d", pairs="p", **fields))
