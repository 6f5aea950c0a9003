"""The guard's step-0 check, remembered for the next distill in the same process that repeats it.

`--recipe auto` distils every candidate from one fine-tuned model and checks each on the same dev rows and
collapse samples before its first step. Those step-0 checks are one computation (the same weights, scored
in eval mode, which draws no random numbers), so the second and third candidates read the first one's
instead of scoring the rows again. Only a check that would be the same is shared: the key holds the model's
hash, the dev set's and the corpus's, the rows the collapse detector samples, the device and every guard
setting a check reads. A handful of keys are kept, the oldest dropped first.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
from collections import OrderedDict
from typing import Any

import numpy as np

from alsace_cli.training.guard_rules import Check, GuardSettings

KEPT = 4  # keys remembered at once: a run's candidates share one


@dataclasses.dataclass(frozen=True)
class Step0:
    check: Check
    start_pred: np.ndarray | None  # step 0's predicted labels on the dev rows
    reference: dict[str, tuple[np.ndarray, float]] | None  # the collapse detector's step-0 histograms


_MEMO: OrderedDict[str, Step0] = OrderedDict()


def step0_key(config: Any, corpus: dict[str, Any] | None) -> str:
    """What a distill's step-0 check depends on (`config`: its DistillConfig; `corpus`: the collapse
    detector's samples, {name: rows of --data})."""
    from alsace_cli.io.provenance import hash_path
    from alsace_cli.tasks.models import hub_options

    settings = dataclasses.asdict(GuardSettings.of(config))
    for when_or_which in ("eval_every", "guard_rule"):  # they decide later checks and the kept one
        settings.pop(when_or_which)
    payload = {
        "model": hash_path(config.model),
        "hub": hub_options(config),
        "data": hash_path(config.data),
        "dev": hash_path(config.dev) if config.dev else None,
        "samples": _sampled(corpus),
        "device": config.device,
        "settings": settings,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _sampled(corpus: dict[str, Any] | None) -> dict[str, list[str]] | None:
    """The (id, language) of every row the collapse detector samples."""
    if not corpus:
        return None
    return {
        name: (rows["id"].astype(str) + "/" + rows["lang"].astype(str)).tolist()
        for name, rows in corpus.items()
    }


def remembered(key: str | None) -> Step0 | None:
    """A copy of the step-0 check stored under `key`, or None."""
    found = _MEMO.get(key) if key else None
    return copy.deepcopy(found) if found is not None else None


def remember(key: str | None, step0: Step0) -> None:
    if not key:
        return
    _MEMO[key] = copy.deepcopy(step0)
    _MEMO.move_to_end(key)
    while len(_MEMO) > KEPT:
        _MEMO.popitem(last=False)


def forget() -> None:
    _MEMO.clear()
