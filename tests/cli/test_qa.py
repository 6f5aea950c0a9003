"""Extractive QA through the CLI on a tiny model: the shipped sample with `run`, and import → finetune →
predict → eval on slices of the real XQuAD, MLQA and SQuAD files in ../shared (skipped where absent)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from alsace_cli.io.artifacts import read_artifact
from tests.cli.helpers import invoke, ok, stdout_json
from tests.conftest import SHARED

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
QA_DATA = SHARED / "data" / "qa"


def test_run_on_the_shipped_qa_sample(tmp_path: Path) -> None:
    config = tmp_path / "qa.toml"
    config.write_text(f"""
[run]
dir = "{tmp_path / "run"}"
model = "tiny"
train = "{SAMPLE / "qa_train_en.parquet"}"
test = "{SAMPLE / "qa_test.parquet"}"
device = "cpu"

[finetune]
learning_rate = 1e-3
max_steps = 4
batch_size = 16
max_length = 96

[predict]
max_length = 96

[eval]
max_length = 96
""")
    result = stdout_json(ok("run", "--config", config, "--json"))
    assert result["ran"] == ["tiny-model", "finetune", "predict", "eval"]
    metrics = read_artifact(tmp_path / "run" / "metrics.parquet", "qa_metrics")
    assert metrics.meta["normalization"] == "mlqa"  # the sample's test set is MLQA-style
    assert len(metrics.frame) == 16 and set(metrics.frame["n"]) == {40}
    summary = result["summary"][0]
    assert {"xlt_f1", "gxlt_f1", "cross_f1", "avg_gap_f1"} <= summary.keys()
    assert (tmp_path / "run" / "gxlt.png").stat().st_size > 1000
    predictions = read_artifact(tmp_path / "run" / "predictions.parquet", "qa_predictions").frame
    assert len(predictions) == 640


def test_run_distils_qa_end_to_end_and_skips_what_is_up_to_date(tmp_path: Path) -> None:
    """With an unlabeled parallel QA corpus, run is the whole method on QA: select ranks question languages
    (no vote), make-pairs pairs them over one context, distill aligns their span distributions."""
    config = tmp_path / "qa.toml"
    config.write_text(f"""
[run]
dir = "{tmp_path / "run"}"
model = "tiny"
train = "{SAMPLE / "qa_train_en.parquet"}"
unlabeled = "{SAMPLE / "qa_unlabeled.parquet"}"
test = "{SAMPLE / "qa_test.parquet"}"
device = "cpu"

[finetune]
learning_rate = 1e-3
max_steps = 4
batch_size = 16
max_length = 96

[predict]
max_length = 96

[distill]
max_steps = 2
pairs_per_batch = 4
max_length = 96

[eval]
max_length = 96
""")
    first = stdout_json(ok("run", "--config", config, "--json"))
    assert first["ran"] == ["tiny-model", "finetune", "predict", "select", "make-pairs", "distill", "eval"]
    run = tmp_path / "run"
    assert read_artifact(run / "languages.parquet", "languages").meta["unit"] == "question_lang"
    rule = read_artifact(run / "pairs.parquet", "pair_rule")  # question languages, drawn per step by distill
    assert rule.meta["unit"] == "question_lang" and rule.meta["pairs"] > 0
    assert [row["model"] for row in first["summary"]] == [str(run / "finetuned"), str(run / "distilled")]
    assert first["guard"]["last_step"] == 2
    second = stdout_json(ok("run", "--config", config, "--json"))
    assert second["ran"] == [] and second["summary"] == first["summary"]


def test_sample_qa_files_match_their_source() -> None:
    test = pd.read_parquet(SAMPLE / "qa_test.parquet")
    assert test.groupby(["question_lang", "lang"]).size().eq(40).all() and test["id"].nunique() == 40


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not QA_DATA.exists():
        pytest.skip("../shared/data/qa is absent (a user's clone has no ../shared)")
    w = tmp_path_factory.mktemp("qa-real")
    ok(
        "data",
        "import",
        QA_DATA / "squad_en/train-subset-v1.1.json",
        "--format",
        "squad",
        "--lang",
        "en",
        "--limit",
        "32",
        "--out",
        w / "squad.parquet",
    )
    ok(
        "data",
        "import",
        *(QA_DATA / f"xquad/xquad.{lang}.json" for lang in ("en", "de", "es")),
        "--format",
        "squad",
        "--limit",
        "12",
        "--out",
        w / "xquad.parquet",
    )
    # --limit keeps the first ids in order of appearance: the en-de file's ids are in all four files.
    mlqa = [
        QA_DATA / f"mlqa/dev/dev-context-{c}-question-{q}.json"
        for c, q in (("en", "de"), ("en", "en"), ("de", "en"), ("de", "de"))
    ]
    ok("data", "import", *mlqa, "--format", "mlqa", "--limit", "10", "--out", w / "mlqa.parquet")
    ok("tiny-model", w / "base", "--data", w / "squad.parquet", "--data", w / "xquad.parquet")
    ok(
        "finetune",
        "--model",
        w / "base",
        "--train",
        w / "squad.parquet",
        "--out",
        w / "ft",
        "--max-steps",
        "2",
        "--batch-size",
        "8",
        "--max-length",
        "128",
        "--lr",
        "1e-3",
        "--device",
        "cpu",
    )
    return w


def test_real_files_import_with_their_languages(real: Path) -> None:
    xquad = pd.read_parquet(real / "xquad.parquet")
    assert (
        sorted(xquad["lang"].unique()) == ["de", "en", "es"]
        and (xquad["lang"] == xquad["question_lang"]).all()
    )
    assert xquad.groupby("lang")["id"].agg(set).map(len).eq(12).all()  # parallel by id
    mlqa = pd.read_parquet(real / "mlqa.parquet")
    assert set(zip(mlqa["question_lang"], mlqa["lang"], strict=True)) == {
        ("en", "en"),
        ("de", "en"),
        ("en", "de"),
        ("de", "de"),
    }
    first = mlqa.iloc[0]
    answer = first["answers"][0]
    assert first["context"][answer["answer_start"] :].startswith(answer["text"])


def test_finetuned_qa_model_predicts_spans_and_evaluates_per_language_pair(real: Path) -> None:
    config = json.loads((real / "ft" / "config.json").read_text())
    assert config["architectures"] == ["BertForQuestionAnswering"]
    ok(
        "predict",
        "--model",
        real / "ft",
        "--data",
        real / "xquad.parquet",
        "--out",
        real / "pred.parquet",
        "--max-length",
        "128",
        "--top-k",
        "3",
    )
    predictions = read_artifact(real / "pred.parquet", "qa_predictions").frame
    data = pd.read_parquet(real / "xquad.parquet")
    assert len(predictions) == len(data) == 36
    merged = predictions.merge(data, on=["id", "lang", "question_lang"])
    for row in merged.itertuples():
        assert row.context[row.answer_start : row.answer_start + len(row.answer)] == row.answer
        assert len(row.candidates) == 3
    result = stdout_json(
        ok(
            "eval",
            "--model",
            real / "ft",
            "--data",
            real / "mlqa.parquet",
            "--out",
            real / "m.parquet",
            "--plot",
            real / "gxlt.png",
            "--max-length",
            "128",
            "--json",
        )
    )
    assert result["normalization"] == "mlqa" and len(result["metrics"]) == 4
    xquad = stdout_json(
        ok(
            "eval",
            "--model",
            real / "ft",
            "--data",
            real / "xquad.parquet",
            "--out",
            real / "x.parquet",
            "--max-length",
            "128",
            "--json",
        )
    )
    assert xquad["normalization"] == "squad"
    assert xquad["summary"][0]["cross_f1"] is None  # XQuAD has no cross-language pair
    assert xquad["summary"][0]["gxlt_f1"] == pytest.approx(xquad["summary"][0]["xlt_f1"])


def test_label_stages_refuse_qa_or_name_the_qa_option_with_one_line(real: Path, tmp_path: Path) -> None:
    ok(
        "predict",
        "--model",
        real / "ft",
        "--data",
        real / "mlqa.parquet",
        "--out",
        tmp_path / "p.parquet",
        "--max-length",
        "128",
    )
    for command, needle in (
        (
            ["vote", "--predictions", tmp_path / "p.parquet", "--out", tmp_path / "v.parquet"],
            "cannot be voted",
        ),
        (
            [
                "select",
                "--predictions",
                tmp_path / "p.parquet",
                "--pseudo-labels",
                tmp_path / "x.parquet",
                "--out",
                tmp_path / "l.parquet",
            ],
            "--pseudo-labels: not used on QA predictions",
        ),
    ):
        result = invoke(*command)
        assert result.exit_code == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and needle in lines[0], result.stderr


def test_an_answer_that_is_not_in_its_context_names_the_file_and_id(tmp_path: Path) -> None:
    bad = {
        "version": "1.1",
        "data": [
            {
                "title": "t",
                "paragraphs": [
                    {
                        "context": "Paris is in France.",
                        "qas": [
                            {
                                "id": "good",
                                "question": "Where?",
                                "answers": [{"text": "France", "answer_start": 12}],
                            },
                            {
                                "id": "off-by-one",
                                "question": "What?",
                                "answers": [{"text": "Paris", "answer_start": 1}],
                            },
                        ],
                    }
                ],
            }
        ],
    }
    (tmp_path / "bad.en.json").write_text(json.dumps(bad))
    result = invoke(
        "data", "import", tmp_path / "bad.en.json", "--format", "squad", "--out", tmp_path / "o.parquet"
    )
    assert result.exit_code == 2 and "bad.en.json: id 'off-by-one'" in result.stderr
    assert not (tmp_path / "o.parquet").exists()
    (tmp_path / "dev-en-de.json").write_text(json.dumps(bad))
    result = invoke(
        "data", "import", tmp_path / "dev-en-de.json", "--format", "mlqa", "--out", tmp_path / "o.parquet"
    )
    assert result.exit_code == 2 and "not an MLQA file name" in result.stderr


def test_renumber_ids_gives_repeated_ids_positions(tmp_path: Path) -> None:
    qa = {
        "data": [
            {
                "paragraphs": [
                    {
                        "context": "Paris is in France.",
                        "qas": [
                            {
                                "id": "0",
                                "question": "Where?",
                                "answers": [{"text": "France", "answer_start": 12}],
                            },
                            {
                                "id": "0",
                                "question": "What?",
                                "answers": [{"text": "Paris", "answer_start": 0}],
                            },
                        ],
                    }
                ]
            }
        ]
    }
    (tmp_path / "train-en.json").write_text(json.dumps(qa))
    ok(
        "data",
        "import",
        tmp_path / "train-en.json",
        "--format",
        "squad",
        "--renumber-ids",
        "--out",
        tmp_path / "o.parquet",
    )
    frame = pd.read_parquet(tmp_path / "o.parquet")
    assert frame["id"].tolist() == ["train-en-0", "train-en-1"] and set(frame["lang"]) == {"en"}
    info = stdout_json(ok("data", "info", tmp_path / "o.parquet", "--json"))
    assert info["task"] == "qa" and info["per_language"][0]["answered"] == 2


def test_ensemble_report_is_refused_for_qa_before_any_work(tmp_path: Path) -> None:
    result = invoke(
        "eval",
        "--model",
        tmp_path / "no-model",
        "--data",
        SAMPLE / "qa_test.parquet",
        "--report",
        "ensemble",
        "--out",
        tmp_path / "m.parquet",
    )
    assert result.exit_code == 2 and "--report ensemble" in result.stderr and list(tmp_path.iterdir()) == []
