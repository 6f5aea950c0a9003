"""Vote rules that a confident wrong majority cannot capture, and select's warnings about it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alsace_cli.io.artifacts import dataset_meta, write_artifact
from alsace_cli.method.voting import dawid_skene, label_shift, vote_frame
from alsace_cli.stages.select import SelectConfig, select
from alsace_cli.stages.vote import VoteConfig, vote
from tests.conftest import LABELS, predictions_frame

N = 30
TRUTH = [i % 3 for i in range(N)]
WEAK = ("w1", "w2", "w3", "w4")


def _probs(label: int, confidence: float = 0.9) -> list[float]:
    p = [(1 - confidence) / 2] * 3
    p[label] = confidence
    return p


def weak_majority() -> pd.DataFrame:
    """en and es right on every instance; four weak languages that say label 0 on all but one instance in
    seven, where they say the truth: a confident majority that is wrong on every instance whose truth is
    not 0 (2 in 3)."""
    rows = []
    for i, truth in enumerate(TRUTH):
        rows += [(f"x{i}", "en", _probs(truth, 0.6)), (f"x{i}", "es", _probs(truth, 0.6))]
        for j, lang in enumerate(WEAK):
            rows.append((f"x{i}", lang, _probs(truth if (i + j) % 7 == 0 else 0, 0.95)))
    return predictions_frame(rows)


def accuracy(frame: pd.DataFrame) -> float:
    return float(
        (frame.set_index("id").loc[[f"x{i}" for i in range(N)], "pseudo_label"].to_numpy() == TRUTH).mean()
    )


def test_the_majority_follows_the_weak_languages() -> None:
    assert accuracy(vote_frame(weak_majority(), 3)) == pytest.approx(1 / 3)


def test_dawid_skene_weights_the_languages_by_estimated_reliability() -> None:
    preds = weak_majority()
    posterior, ids, reliability, iterations = dawid_skene(preds, 3)
    out = pd.DataFrame({"id": ids, "pseudo_label": posterior.argmax(axis=1)})
    assert accuracy(out) == 1.0
    assert min(reliability["en"], reliability["es"]) > max(reliability[w] for w in WEAK)
    assert 1 < iterations < 200


def test_label_shift_names_the_degenerate_languages() -> None:
    shift = label_shift(weak_majority(), 3, "en")
    assert shift["en"] == 0.0 and shift["es"] == 0.0
    # w1 says the truth on i = 0, 7, 14, 21, 28 (labels 0, 1, 2, 0, 1) and 0 elsewhere: 27/30 label 0
    assert shift["w1"] == pytest.approx(27 / 30 - 1 / 3)
    assert label_shift(weak_majority(), 3, "xx") == {}


@pytest.fixture()
def predictions(tmp_path: Path) -> Path:
    frame = weak_majority()
    meta = {"labels": LABELS, "task": "pair", **dataset_meta("pair", LABELS)}
    return write_artifact(frame, tmp_path / "predictions.parquet", "predictions", meta)


def test_vote_options_exclude_degenerate_languages_or_use_dawid_skene(
    predictions: Path, tmp_path: Path
) -> None:
    plain = vote(VoteConfig(predictions=str(predictions), out=str(tmp_path / "plain.parquet")))
    cleaned = vote(
        VoteConfig(predictions=str(predictions), out=str(tmp_path / "clean.parquet"), exclude_degenerate=True)
    )
    ds = vote(VoteConfig(predictions=str(predictions), out=str(tmp_path / "ds.parquet"), rule="dawid-skene"))
    assert accuracy(plain.frame) < 0.4 and accuracy(cleaned.frame) == 1.0 and accuracy(ds.frame) == 1.0
    assert cleaned.meta["excluded"] == list(WEAK) and plain.meta["excluded"] == []
    assert set(ds.meta["reliability"]) == {"en", "es", *WEAK}
    assert (cleaned.frame["n_langs"] == 2).all()
    written = pd.read_parquet(tmp_path / "ds.parquet")
    assert written["posterior"].between(0, 1).all() and (written["votes"] >= 1).all()


def test_select_warns_when_the_source_is_a_student_and_source_teacher_keeps_it(
    predictions: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    vote(VoteConfig(predictions=str(predictions), out=str(tmp_path / "votes.parquet")))
    capsys.readouterr()
    paper = select(
        SelectConfig(
            predictions=str(predictions),
            pseudo_labels=str(tmp_path / "votes.parquet"),
            out=str(tmp_path / "l.parquet"),
        )
    )
    err = " ".join(capsys.readouterr().err.split())
    roles = paper.frame.set_index("lang")["role"]
    assert roles["en"] == "student" and roles["w1"] == "teacher"  # the weak majority captured the teachers
    assert "the source language en (the only one with labeled data) is ranked a student" in err
    assert "4 languages predict labels far from en's" in err and paper.meta["degenerate"] == list(WEAK)
    kept = select(
        SelectConfig(
            predictions=str(predictions),
            pseudo_labels=str(tmp_path / "votes.parquet"),
            out=str(tmp_path / "l2.parquet"),
            source_teacher=True,
        )
    )
    assert kept.frame.set_index("lang")["role"]["en"] == "teacher"
    assert "is ranked a student" not in capsys.readouterr().err
    assert np.isclose(kept.frame["score"].sum(), 1.0)
