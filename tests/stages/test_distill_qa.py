"""QA self-distillation on the shipped sample: CE + α·KL to a frozen epoch teacher, per-window weights."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from alsace_cli.errors import AlsaceError
from alsace_cli.stages.distill import DistillConfig, distill

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"


@pytest.fixture(scope="module")
def qa(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from alsace_cli.stages.cross_sample import CrossSampleConfig, cross_sample
    from alsace_cli.stages.finetune import FinetuneConfig, finetune
    from alsace_cli.stages.tiny_model import build_tiny_model

    w = tmp_path_factory.mktemp("qa-skd")
    train, test = pd.read_parquet(SAMPLE / "qa_train_en.parquet"), pd.read_parquet(SAMPLE / "qa_test.parquet")
    build_tiny_model(w / "base", [*train["question"], *train["context"], *test["question"], *test["context"]])
    finetune(
        FinetuneConfig(
            model=str(w / "base"),
            train=str(SAMPLE / "qa_train_en.parquet"),
            out=str(w / "ft"),
            max_steps=3,
            batch_size=16,
            max_length=96,
            learning_rate=1e-3,
            device="cpu",
        )
    )
    cross_sample(CrossSampleConfig(data=str(SAMPLE / "qa_test.parquet"), out=str(w / "sampled.parquet"), n=1))
    return w


def _run(qa: Path, out: str, **settings) -> pd.DataFrame:
    config = DistillConfig(
        model=str(qa / "ft"),
        data=str(qa / "sampled.parquet"),
        out=str(qa / out),
        max_length=96,
        pairs_per_batch=8,
        device="cpu",
        **settings,
    )
    path = distill(config)
    assert (path / "model.safetensors").exists()
    return pd.read_parquet(path / "train_log.parquet").dropna(subset=["kl"]).reset_index(drop=True)


def test_epoch_teacher_kl_starts_at_zero_and_grows_as_the_student_moves(qa: Path) -> None:
    log = _run(
        qa, "epoch", teacher="epoch", student_dropout=False, ce_weight=1.0, max_steps=3, learning_rate=1e-2
    )
    assert log["kl"].iloc[0] == pytest.approx(0.0, abs=1e-6)  # the same model on the same window
    assert log["kl"].iloc[2] > 1e-4
    assert (log["ce"] > 0).all() and (log["alpha_mean"] == 1.0).all()


def test_map_and_mrr_weights_are_logged_per_step_and_lie_in_0_1(qa: Path) -> None:
    for kind in ("map@k", "mrr@k"):
        log = _run(
            qa,
            kind.replace("@", "-"),
            teacher="epoch",
            kl_weight=kind,
            kl_top_k=5,
            ce_weight=1.0,
            max_steps=2,
        )
        assert log["alpha_mean"].between(0, 1).all() and log["alpha_zero"].between(0, 1).all()
    mrr = _run(qa, "mrr-wide", teacher="epoch", kl_weight="mrr@k", kl_top_k=96, max_steps=1)
    assert (
        mrr["alpha_zero"].iloc[0] == 0.0
    )  # with every position ranked, a position near the gold is always found


def test_kl_alone_and_classification_options_are_refused_for_qa(qa: Path) -> None:
    log = _run(qa, "kl-only", teacher="epoch", max_steps=1)  # --ce-weight 0: KL alone, the paper's ablation
    assert log["loss"].iloc[0] == pytest.approx(log["kl"].iloc[0])
    with pytest.raises(AlsaceError, match="--ce-weight: question-language pairs"):  # pairs are zero-shot
        _run(qa, "x", pairs=str(qa / "sampled.parquet"), ce_weight=1.0, max_steps=1)
    with pytest.raises(AlsaceError, match="is a dataset artifact, expected pairs"):
        _run(qa, "x", pairs=str(qa / "sampled.parquet"), max_steps=1)
    with pytest.raises(AlsaceError, match="--teacher static: for QA use live or epoch"):
        _run(qa, "y", teacher="static", max_steps=1)
