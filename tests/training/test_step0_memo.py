"""Step 0's guard check, shared by distills in one process that start from the same weights and check the
same rows (`--recipe auto`'s candidates): measured once, and the same as measuring it again."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest
import torch
from safetensors.torch import load_file

from alsace_cli.configs import DistillConfig
from alsace_cli.training import step0_memo
from alsace_cli.training.guard import Guard
from tests.conftest import english_teacher_pairs


@pytest.fixture
def pairs(data_dir: Path, tmp_path: Path) -> Path:
    return english_teacher_pairs(data_dir, tmp_path)


def candidate(data_dir: Path, finetuned: Path, pairs: Path, out: Path, **settings) -> DistillConfig:
    """A guarded distill on the 4-language test rows as dev set, with the collapse detector on."""
    settings = {"max_steps": 4, "eval_every": 2} | settings
    return DistillConfig(
        model=str(finetuned),
        data=str(data_dir / "unlabeled.parquet"),
        pairs=str(pairs),
        dev=str(data_dir / "test.parquet"),
        out=str(out),
        pairs_per_batch=8,
        collapse_sample=16,
        device="cpu",
        precision="fp32",
        **settings,
    )


def test_a_second_candidate_reuses_step_0s_check_and_ends_as_if_it_had_measured_it(
    data_dir: Path, finetuned: Path, pairs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alsace_cli.stages.distill import distill

    measured: list[int] = []
    real = Guard._measure_dev
    monkeypatch.setattr(
        Guard, "_measure_dev", lambda self, m, c: (measured.append(c.step), real(self, m, c))[1]
    )
    distill(candidate(data_dir, finetuned, pairs, tmp_path / "a", learning_rate=1e-5))
    assert measured == [0, 2, 4]
    shared = distill(candidate(data_dir, finetuned, pairs, tmp_path / "b", learning_rate=2e-5, eval_every=4))
    assert measured[3:] == [4]  # the second candidate scored only its own checks
    step0_memo.forget()
    alone = distill(candidate(data_dir, finetuned, pairs, tmp_path / "c", learning_rate=2e-5, eval_every=4))
    assert measured[4:] == [0, 4]
    for name in ("train_log.parquet", "guard_dev.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(shared / name), pd.read_parquet(alone / name))
    weights = load_file(shared / "model.safetensors"), load_file(alone / "model.safetensors")
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])


def test_the_key_holds_what_step_0_depends_on_and_not_what_comes_after(
    data_dir: Path, finetuned: Path, pairs: Path, tmp_path: Path
) -> None:
    from alsace_cli.training.collapse import collapse_samples

    config = candidate(data_dir, finetuned, pairs, tmp_path / "a")
    frame = pd.read_parquet(data_dir / "unlabeled.parquet")
    corpus = collapse_samples(frame, 16, "en", config.seed)
    key = step0_memo.step0_key(config, corpus)
    later = dataclasses.replace(config, eval_every=7, guard_rule="best", teacher="static", learning_rate=1.0)
    assert step0_memo.step0_key(later, corpus) == key
    for changed in (
        {"dev": str(data_dir / "train.parquet")},
        {"eval_batch_size": 7},
        {"max_length": 32},
        {"collapse_tv": 0.1},
        {"model": str(data_dir / "tiny-base")},
    ):
        assert step0_memo.step0_key(dataclasses.replace(config, **changed), corpus) != key, changed
    other_sample = collapse_samples(frame, 16, "en", config.seed + 1)
    assert step0_memo.step0_key(config, other_sample) != key


def test_the_memo_keeps_a_few_keys_and_hands_out_copies() -> None:
    import numpy as np

    from alsace_cli.training.guard_rules import Check

    for k in range(step0_memo.KEPT + 1):
        step0_memo.remember(f"k{k}", step0_memo.Step0(Check(0, rows=np.zeros(3)), None, None))
    assert step0_memo.remembered("k0") is None and step0_memo.remembered(f"k{step0_memo.KEPT}") is not None
    copy = step0_memo.remembered("k1")
    copy.check.rows[0] = 1.0
    assert step0_memo.remembered("k1").check.rows[0] == 0.0
    assert step0_memo.remembered(None) is None
