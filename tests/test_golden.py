"""The golden fingerprint: what alsace computes on the tiny model, pinned before a refactor and checked after.

tests/golden/scenarios.py runs `alsace run` on both samples, `distill` with every teacher and objective,
a finetune with a dev set, self-training and a resumed distill; tests/golden/golden.json.gz holds what
they wrote when it was recorded (`python -m tests.golden.record`). Floats must agree within 1e-5 relative
(a weight tensor's sums within 1e-5 of its scale; the few weights whose gradient is zero in exact
arithmetic carry only rounding noise and are compared by shape, see fingerprint._noise_only), so the
fingerprint holds on CPUs that round differently; labels, roles, pairs and every other value exactly. The
same machine gives the same bits: `python -m tests.golden.record --compare tests/golden/golden.json.gz`
counts the bit-identical tensors.
"""

from __future__ import annotations

import pytest

from tests.golden.fingerprint import compare, fingerprint
from tests.golden.record import load
from tests.golden.scenarios import run_all


@pytest.fixture(scope="module")
def found(tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("golden") / "w"
    run_all(work)
    return fingerprint(work)


def test_every_artifact_matches_the_golden_fingerprint(found: dict) -> None:
    expected = load()
    assert sorted(found) == sorted(expected)
    problems = compare(expected, found)
    assert not problems, "\n".join(problems[:20])


def test_a_resumed_distill_ends_where_an_uninterrupted_one_does(found: dict) -> None:
    straight, resumed = found["distill-live/"], found["distill-resumed/"]
    assert all(
        straight["tensors"][k]["sha256"] == resumed["tensors"][k]["sha256"] for k in straight["tensors"]
    )
    assert not compare(straight["train_log"], resumed["train_log"])


def test_the_fingerprint_sees_a_changed_weight(found: dict) -> None:
    """The comparison is not blind: one weight moved by 1e-3 is a difference."""
    import copy

    changed = copy.deepcopy(found)
    tensor = next(iter(changed["distill-live/"]["tensors"].values()))
    tensor["sum"] += 1e-3 * max(1.0, abs(tensor["sum"]))
    assert compare(found, changed)


def test_noise_only_weights_are_compared_by_shape_and_the_rest_by_their_scale(found: dict) -> None:
    import copy

    changed = copy.deepcopy(found)
    tensors = changed["distill-live/"]["tensors"]
    key_bias = next(name for name in tensors if name.endswith("attention.self.key.bias"))
    tensors[key_bias]["sum"] += 1.0  # rounding noise, amplified by Adam: not a difference
    assert not compare(found, changed)
    tensors[key_bias]["shape"] = [1]  # its shape still is
    assert compare(found, changed)
    weight = next(name for name in tensors if name.endswith("intermediate.dense.weight"))
    changed = copy.deepcopy(found)
    changed["distill-live/"]["tensors"][weight]["sumsq"] *= 1 + 1e-4
    assert compare(found, changed)
