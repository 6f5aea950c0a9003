"""--teacher ensemble: the teachers' predictions combined per instance by ŝ or by confidence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alsace_cli.errors import AlsaceError
from alsace_cli.io.artifacts import write_artifact
from alsace_cli.stages.distill import DistillConfig, distill
from alsace_cli.training.ensemble import ensemble_probs
from alsace_cli.training.objectives.label_pairs import LabelPairDistillation
from tests.conftest import LANGS, predictions_frame

validate = LabelPairDistillation.check


def test_score_weights_are_the_selection_scores_and_confidence_weights_are_per_instance() -> None:
    preds = predictions_frame(
        [("a", "en", [0.8, 0.1, 0.1]), ("a", "de", [0.2, 0.6, 0.2]), ("a", "fr", [0.0, 0.0, 1.0])]
    )
    by_score = ensemble_probs(preds, {"en": 0.3, "de": 0.1}, "score")  # fr is a student: left out
    assert np.allclose(
        by_score["probs"].iloc[0], (0.3 * np.array([0.8, 0.1, 0.1]) + 0.1 * np.array([0.2, 0.6, 0.2])) / 0.4
    )
    by_confidence = ensemble_probs(preds, {"en": 0.3, "de": 0.1}, "confidence")
    assert np.allclose(
        by_confidence["probs"].iloc[0],
        (0.8 * np.array([0.8, 0.1, 0.1]) + 0.6 * np.array([0.2, 0.6, 0.2])) / 1.4,
    )


def test_ensemble_options_are_checked() -> None:
    with pytest.raises(AlsaceError, match="--teacher ensemble needs --predictions FILE"):
        validate(DistillConfig(model="m", data="d", pairs="p", teacher="ensemble", predictions="p.parquet"))
    with pytest.raises(AlsaceError, match="--languages is only used by --teacher ensemble"):
        validate(DistillConfig(model="m", data="d", pairs="p", languages="l.parquet"))


def test_distill_trains_every_language_of_the_pairs_toward_the_ensemble(
    data_dir: Path, finetuned: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    from alsace_cli.stages.pairs import PairsConfig, make_pairs
    from alsace_cli.stages.predict import PredictConfig, predict

    unlabeled = data_dir / "unlabeled.parquet"
    predict(
        PredictConfig(
            model=str(finetuned), data=str(unlabeled), out=str(tmp_path / "p.parquet"), device="cpu"
        )
    )
    languages = pd.DataFrame(
        {
            "lang": LANGS,
            "n": 8,
            "avg_confidence": 0.5,
            "score": [0.4, 0.3, 0.2, 0.1],
            "role": ["teacher", "teacher", "student", "student"],
        }
    )
    write_artifact(languages, tmp_path / "l.parquet", "languages", {})
    make_pairs(
        PairsConfig(
            data=str(unlabeled), languages=str(tmp_path / "l.parquet"), out=str(tmp_path / "pairs.parquet")
        )
    )
    capsys.readouterr()
    out = distill(
        DistillConfig(
            model=str(finetuned),
            data=str(unlabeled),
            pairs=str(tmp_path / "pairs.parquet"),
            out=str(tmp_path / "d"),
            teacher="ensemble",
            predictions=str(tmp_path / "p.parquet"),
            languages=str(tmp_path / "l.parquet"),
            max_steps=2,
            pairs_per_batch=32,
            student_dropout=False,
            collapse_check=False,
            device="cpu",
        )
    )
    assert "ensemble of 2 teachers, score weights" in capsys.readouterr().err
    log = pd.read_parquet(out / "train_log.parquet").dropna(subset=["kl"])
    # One epoch is the 32 (instance, language) rows: 8 ids × 4 languages, whatever the pairs' count (48).
    assert log["epoch"].iloc[0] == pytest.approx(1.0)
    # Step 1 with no dropout: the KL of the fine-tuned model's own predictions to the ensemble, by hand.
    p = pd.read_parquet(tmp_path / "p.parquet")
    q = ensemble_probs(p, {"en": 0.4, "de": 0.3}, "score").set_index("id")["probs"]
    own = np.stack(p["probs"].to_numpy()).astype(np.float64)
    target = np.stack(q.loc[p["id"]].to_numpy())
    expected = (target * (np.log(target) - np.log(own))).sum(axis=1).mean()
    assert log["kl"].iloc[0] == pytest.approx(expected, rel=1e-3, abs=1e-5)
