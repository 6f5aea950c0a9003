"""Teachers are objects: each checks what it needs, and the epoch teacher re-syncs at each pass's start."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from alsace_cli.configs import DISTILL_TEACHERS, DistillConfig
from alsace_cli.errors import AlsaceError
from alsace_cli.runtime.batching import batches_per_pass, shuffled_batches
from alsace_cli.training.objective import Objective
from alsace_cli.training.teachers import TEACHERS, EpochTeacher, teacher_class


def test_the_registry_holds_every_teacher_the_config_offers() -> None:
    assert tuple(TEACHERS) == DISTILL_TEACHERS


@pytest.mark.parametrize(
    ("teacher", "given", "message"),
    [
        ("static", {}, "--teacher static needs --predictions FILE"),
        (
            "ensemble",
            {"predictions": "p"},
            "--teacher ensemble needs --predictions FILE .* and --languages FILE",
        ),
        ("live", {"predictions": "p"}, "--predictions is only used by --teacher static or ensemble"),
        ("static", {"predictions": "p", "languages": "l"}, "--languages is only used by --teacher ensemble"),
    ],
)
def test_a_teacher_refuses_what_it_lacks_and_what_it_does_not_use(
    teacher: str, given: dict, message: str
) -> None:
    with pytest.raises(AlsaceError, match=message):
        teacher_class(teacher).check(DistillConfig(teacher=teacher, **given))


@pytest.mark.parametrize(("n", "batch"), [(21, 7), (22, 7), (27, 7), (5, 7)])
def test_the_epoch_teacher_re_syncs_when_a_pass_over_the_items_starts(n: int, batch: int) -> None:
    """A pass holds ⌊n/b⌋ batches (the short last batch is dropped), so re-syncs follow the passes of
    shuffled_batches whether or not b divides n."""
    objective = type("Counting", (Objective,), {"loss_step": None, "summary": None})()
    objective.n_items, objective.batch_size = n, batch
    per_pass = objective.steps_per_epoch
    assert per_pass == batches_per_pass(n, batch)
    batches = shuffled_batches(n, batch, 4 * per_pass, seed=0)
    passes = [set(np.concatenate(batches[k : k + per_pass])) for k in range(0, len(batches), per_pass)]
    assert all(
        len(p) == len(passes[0]) == sum(map(len, batches[:per_pass])) for p in passes
    )  # no item twice in a pass

    model = torch.nn.Linear(2, 2)
    accelerator = SimpleNamespace(unwrap_model=lambda m: m)
    teacher = EpochTeacher(DistillConfig(teacher="epoch"))
    teacher.start(model, accelerator)
    synced = []
    for step in range(1, 4 * per_pass + 1):
        with torch.no_grad():
            model.weight.fill_(float(step))
        teacher.start_step(step, per_pass, model, accelerator)
        if teacher.frozen.weight[0, 0].item() == float(step):
            synced.append(step)
    assert synced == [1 + k * per_pass for k in range(4)]
