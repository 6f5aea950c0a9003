from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alsace_cli.output_types.labels import ensemble_accuracy, language_metrics, summarize


def test_gap_and_group_averages_by_hand() -> None:
    frame = pd.DataFrame({"lang": ["en"] * 4 + ["de"] * 4 + ["sw"] * 4, "label": [0, 1, 2, 0] * 3})
    correct = {"en": [1, 1, 1, 1], "de": [1, 1, 1, 0], "sw": [1, 0, 0, 0]}
    probs = np.zeros((12, 3))
    for row, (lang, label) in enumerate(zip(frame["lang"], frame["label"], strict=True)):
        hit = correct[lang][row % 4]
        probs[row, label if hit else (label + 1) % 3] = 1.0
    metrics = language_metrics("m", frame, probs, "en").set_index("lang")
    assert metrics.loc["en", "accuracy"] == 1.0 and np.isnan(metrics.loc["en", "gap"])
    assert metrics.loc["de", "gap"] == pytest.approx(0.25) and metrics.loc["sw", "gap"] == pytest.approx(0.75)
    metrics = metrics.reset_index()
    metrics["role"] = metrics["lang"].map({"en": "teacher", "de": "teacher", "sw": "student"})
    summary = summarize(metrics, "en").set_index("group")
    assert summary.loc["all", "avg_accuracy"] == pytest.approx((1 + 0.75 + 0.25) / 3)
    assert summary.loc["all", "avg_gap"] == pytest.approx((0.25 + 0.75) / 2)  # English excluded
    assert summary.loc["teachers", "avg_gap"] == pytest.approx(0.25)
    assert summary.loc["students", "avg_accuracy"] == pytest.approx(0.25)
    assert summary.loc["all", "worst_lang"] == "sw" and summary.loc["all", "worst_accuracy"] == 0.25
    assert (summary["source_accuracy"] == 1.0).all()


def test_ensemble_vote_source_and_score_weighted_disagree_where_they_should() -> None:
    # id a: en says 0, de and sw say 1 → vote 1, en-only 0; weighted by ŝ (en 0.8) → 0. Gold is 0.
    # id b: everyone says 2 → all methods right.
    frame = pd.DataFrame(
        {"id": ["a"] * 3 + ["b"] * 3, "lang": ["en", "de", "sw"] * 2, "label": [0] * 3 + [2] * 3}
    )
    probs = np.array([[0.9, 0.1, 0.0], [0.4, 0.6, 0.0], [0.3, 0.7, 0.0]] + [[0.1, 0.1, 0.8]] * 3)
    rows = ensemble_accuracy("m", frame, probs, "en", {"en": 0.8, "de": 0.1, "sw": 0.1})
    assert {row["method"]: row["accuracy"] for row in rows} == {
        "vote": 0.5,
        "en only": 1.0,
        "ŝ-weighted": 1.0,
    }
    assert all(row["n"] == 2 for row in rows)
    assert [row["method"] for row in ensemble_accuracy("m", frame, probs, "en", None)] == ["vote", "en only"]


def test_ensemble_scores_against_the_source_languages_label() -> None:
    # The German row comes first and carries another label (translations can be relabeled, as in PAWS-X):
    # the ensemble is an English-instance prediction, so English's label is the gold one.
    frame = pd.DataFrame({"id": ["a", "a"], "lang": ["de", "en"], "label": [1, 0]})
    probs = np.array([[0.9, 0.1], [0.8, 0.2]])
    rows = ensemble_accuracy("m", frame, probs, "en", None)
    assert {row["method"]: row["accuracy"] for row in rows} == {"vote": 1.0, "en only": 1.0}


def test_many_languages_report_their_extremes_and_their_groups(tmp_path, data_dir, finetuned) -> None:
    """60 languages: the table lists the source and the 10 best and worst, the groups get their averages."""
    import pandas as pd

    from alsace_cli.io.artifacts import read_artifact
    from tests.cli.helpers import ok
    from tests.conftest import LANGS, pair_rows, write_dataset

    frame = pair_rows(LANGS, 8, labeled=True, offset=200)
    copies = [frame[frame["lang"] == LANGS[k % 4]].assign(lang=f"l{k:02d}") for k in range(59)]
    write_dataset(pd.concat([frame[frame["lang"] == "en"], *copies]), tmp_path / "test.parquet")
    groups = pd.DataFrame(
        {
            "lang": ["en"] + [f"l{k:02d}" for k in range(59)],
            "group": ["high"] + ["mid" if k < 30 else "low" for k in range(59)],
        }
    )
    groups.to_csv(tmp_path / "groups.csv", index=False)
    result = ok(
        "eval",
        "--model",
        finetuned,
        "--data",
        tmp_path / "test.parquet",
        "--groups",
        tmp_path / "groups.csv",
        "--out",
        tmp_path / "m.parquet",
        "--plot",
        tmp_path / "a.png",
        "--device",
        "cpu",
    )
    assert (
        "the source and the 10 best and 10 worst languages" in result.stderr
        and "40 more in the metrics file" in result.stderr
    )
    summary = pd.DataFrame(read_artifact(tmp_path / "m.parquet", "metrics").meta["summary"])
    assert {"all", "group high", "group mid", "group low"} <= set(summary["group"])
    mid = summary.set_index("group").loc["group mid"]
    assert mid["n_langs"] == 30
    assert (tmp_path / "a.png").stat().st_size > 1000
    groups.iloc[:5].to_csv(tmp_path / "few.csv", index=False)
    from tests.cli.helpers import invoke

    bad = invoke(
        "eval",
        "--model",
        finetuned,
        "--data",
        tmp_path / "test.parquet",
        "--groups",
        tmp_path / "few.csv",
        "--out",
        tmp_path / "m2.parquet",
        "--device",
        "cpu",
    )
    assert bad.exit_code == 2 and "no group for lang" in bad.stderr


def test_a_test_language_the_corpus_lacks_is_its_own_group(tmp_path, data_dir, finetuned) -> None:
    """A corpus translated into fewer languages than the test set has: those languages are 'unseen'."""
    import pandas as pd

    from alsace_cli.io.artifacts import read_artifact, write_artifact
    from tests.cli.helpers import ok

    roles = pd.DataFrame(
        {
            "lang": ["en", "de", "fr"],
            "role": ["teacher", "teacher", "student"],
            "n": 8,
            "avg_confidence": 0.5,
            "score": [0.4, 0.3, 0.3],
        }
    )
    write_artifact(roles, tmp_path / "languages.parquet", "languages", {})
    result = ok(
        "eval",
        "--model",
        finetuned,
        "--data",
        data_dir / "test.parquet",
        "--languages",
        tmp_path / "languages.parquet",
        "--out",
        tmp_path / "m.parquet",
        "--device",
        "cpu",
    )
    assert "ru not in" in result.stderr and "'unseen'" in result.stderr
    metrics = read_artifact(tmp_path / "m.parquet", "metrics")
    assert metrics.frame.set_index("lang").loc["ru", "role"] == "unseen"
    summary = pd.DataFrame(metrics.meta["summary"]).set_index("group")
    assert summary.loc["unseen", "n_langs"] == 1 and summary.loc["students", "n_langs"] == 1
