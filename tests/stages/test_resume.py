"""Interrupt a training run with a real signal at a random step, resume it, and end with the same weights."""

from __future__ import annotations

import random
import signal
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from alsace_cli.errors import AlsaceError
from alsace_cli.stages.distill import DistillConfig, distill
from alsace_cli.stages.finetune import FinetuneConfig, finetune
from alsace_cli.training.checkpoints import NonFiniteLoss, TrainingInterrupted, checkpoint_dir
from alsace_cli.training.setup import TrainLog


def _signal_at(monkeypatch: pytest.MonkeyPatch, step: int, signum: int) -> None:
    """Deliver `signum` to this process while the loop logs `step`, as Ctrl-C or a scheduler would."""
    original = TrainLog.add

    def add(self, **values):
        original(self, **values)
        if values.get("step") == step and "loss" in values:
            signal.raise_signal(signum)

    monkeypatch.setattr(TrainLog, "add", add)


def _max_difference(a: Path, b: Path) -> float:
    left, right = load_file(a / "model.safetensors"), load_file(b / "model.safetensors")
    assert left.keys() == right.keys()
    return max(float((left[k].float() - right[k].float()).abs().max()) for k in left)


def test_finetune_interrupted_and_resumed_matches_an_uninterrupted_run(
    tmp_path: Path, data_dir: Path, tiny_base: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def config(out: str) -> FinetuneConfig:
        return FinetuneConfig(
            model=str(tiny_base),
            train=str(data_dir / "train.parquet"),
            out=str(tmp_path / out),
            max_steps=8,
            batch_size=4,
            learning_rate=1e-3,
            device="cpu",
            seed=7,
        )

    straight = finetune(config("straight"))
    stop_at = random.Random().randint(1, 7)  # a random step, printed on failure
    with monkeypatch.context() as patch:
        _signal_at(patch, stop_at, signal.SIGTERM)
        with pytest.raises(TrainingInterrupted, match=f"SIGTERM at step {stop_at} of 8.*--resume"):
            finetune(config("resumed"))
    assert checkpoint_dir(tmp_path / "resumed").is_dir() and not (tmp_path / "resumed").exists()
    with pytest.raises(AlsaceError, match="--resume"):  # a checkpoint is never silently thrown away
        finetune(config("resumed"))
    resumed = finetune(config("resumed"), resume=True)
    assert _max_difference(straight, resumed) <= 1e-6, f"interrupted at step {stop_at}"
    assert not checkpoint_dir(resumed).exists()  # a finished run removes its checkpoint
    import pandas as pd

    log_a, log_b = (
        pd.read_parquet(straight / "train_log.parquet"),
        pd.read_parquet(resumed / "train_log.parquet"),
    )
    assert log_a["step"].tolist() == log_b["step"].tolist() == list(range(1, 9))
    assert log_a["loss"].tolist() == pytest.approx(log_b["loss"].tolist(), abs=1e-6)


def test_distill_with_guard_interrupted_by_ctrl_c_resumes_to_the_same_weights(
    tmp_path: Path, data_dir: Path, finetuned: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alsace_cli.stages.pairs import PairsConfig, make_pairs
    from alsace_cli.stages.predict import PredictConfig, predict
    from alsace_cli.stages.select import SelectConfig, select
    from alsace_cli.stages.vote import VoteConfig, vote

    unlabeled = str(data_dir / "unlabeled.parquet")
    predict(
        PredictConfig(model=str(finetuned), data=unlabeled, out=str(tmp_path / "p.parquet"), device="cpu")
    )
    vote(VoteConfig(predictions=str(tmp_path / "p.parquet"), out=str(tmp_path / "v.parquet")))
    select(
        SelectConfig(
            predictions=str(tmp_path / "p.parquet"),
            pseudo_labels=str(tmp_path / "v.parquet"),
            out=str(tmp_path / "l.parquet"),
        )
    )
    make_pairs(
        PairsConfig(
            data=unlabeled, languages=str(tmp_path / "l.parquet"), out=str(tmp_path / "pairs.parquet")
        )
    )

    def config(out: str) -> DistillConfig:
        return DistillConfig(
            model=str(finetuned),
            data=unlabeled,
            pairs=str(tmp_path / "pairs.parquet"),
            out=str(tmp_path / out),
            max_steps=6,
            pairs_per_batch=4,
            learning_rate=1e-3,
            dev=str(data_dir / "train.parquet"),
            eval_every=2,
            device="cpu",
            # The tiny model's near-uniform predictions trip the collapse detector at
            # this learning rate, which would end the run before the interrupt.
            collapse_check=False,
        )

    straight = distill(config("straight"))
    stop_at = random.Random().randint(1, 5)
    with monkeypatch.context() as patch:
        _signal_at(patch, stop_at, signal.SIGINT)
        with pytest.raises(TrainingInterrupted, match=f"SIGINT at step {stop_at} of 6"):
            distill(config("resumed"))
    with pytest.raises(AlsaceError, match="another setting 'learning_rate'"):
        changed = config("resumed")
        changed.learning_rate = 5e-4
        distill(changed, resume=True)
    resumed = distill(config("resumed"), resume=True)
    assert _max_difference(straight, resumed) <= 1e-6, f"interrupted at step {stop_at}"


def test_save_every_keeps_a_rolling_checkpoint(
    tmp_path: Path, data_dir: Path, tiny_base: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    config = FinetuneConfig(
        model=str(tiny_base),
        train=str(data_dir / "train.parquet"),
        out=str(tmp_path / "ft"),
        max_steps=5,
        batch_size=4,
        device="cpu",
        save_every=2,
    )
    seen: list[int] = []
    original = TrainLog.add

    def add(self, **values):
        original(self, **values)
        marker = checkpoint_dir(tmp_path / "ft") / "alsace_checkpoint.json"
        if marker.exists():
            seen.append(json.loads(marker.read_text())["step"])

    monkeypatch.setattr(TrainLog, "add", add)
    finetune(config)
    assert sorted(set(seen)) == [2, 4]
    assert not checkpoint_dir(tmp_path / "ft").exists()


def test_a_nan_loss_stops_the_run_naming_the_step_and_writes_nothing(
    tmp_path: Path, data_dir: Path, tiny_base: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from transformers import BertForSequenceClassification

    forward = BertForSequenceClassification.forward
    calls = {"n": 0}

    def poisoned(self, *args, **kwargs):
        output = forward(self, *args, **kwargs)
        calls["n"] += 1
        if calls["n"] == 3 and output.loss is not None:
            output.loss = output.loss * torch.tensor(float("nan"))
        return output

    monkeypatch.setattr(BertForSequenceClassification, "forward", poisoned)
    config = FinetuneConfig(
        model=str(tiny_base),
        train=str(data_dir / "train.parquet"),
        out=str(tmp_path / "ft"),
        max_steps=5,
        batch_size=4,
        device="cpu",
    )
    with pytest.raises(NonFiniteLoss, match=r"loss is nan at step 3 \(batch rows \["):
        finetune(config)
    assert list(tmp_path.iterdir()) == []
