"""Every bad input: one line naming the file, column or row; exit code 2; no output file left behind."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from alsace_cli.artifacts import write_artifact
from tests.cli.helpers import invoke, leftovers
from tests.conftest import LANGS, pair_rows, predictions_frame, write_dataset


def assert_clean_failure(result, out: Path, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert not out.exists(), f"{out} was written"
    assert leftovers(out.parent) == []


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bad")
    write_dataset(pair_rows(["en"], 6, labeled=True).drop(columns="text_b"), root / "no_text_b.parquet")
    out_of_range = pair_rows(["en"], 6, labeled=True)
    out_of_range.loc[4, "label"] = 7
    write_dataset(out_of_range, root / "label7.parquet")
    write_dataset(pair_rows(["en"], 6, labeled=True).iloc[0:0], root / "empty.parquet")
    write_dataset(pair_rows(LANGS, 4, labeled=True), root / "test.parquet")
    two = pair_rows(["en", "de"], 4, labeled=True)
    two["label"] = two["label"] % 2
    write_dataset(two, root / "two_labels.parquet", labels=["yes", "no"])
    unlabeled = pair_rows(["en", "de"], 4, labeled=False)
    write_dataset(unlabeled, root / "unlabeled.parquet")
    partial = predictions_frame(
        [("a", "en", [0.5, 0.5, 0.0]), ("b", "en", [0.5, 0.5, 0.0]), ("a", "de", [0.1, 0.9, 0.0])]
    )
    write_artifact(partial, root / "partial_predictions.parquet", "predictions", {"labels": ["x", "y", "z"]})
    write_artifact(pd.DataFrame({"id": ["a", "b"], "pseudo_label": [0, 0], "votes": [1, 1], "n_langs": [2, 1],
                                 "agreement": [0.5, 1.0]}), root / "pseudo.parquet", "pseudo_labels")  # fmt: skip
    langs = pd.DataFrame({"lang": ["en", "xx"], "n": [4, 4], "avg_confidence": [0.9, 0.5], "score": [0.6, 0.4],
                          "role": ["teacher", "student"]})  # fmt: skip
    write_artifact(langs, root / "unknown_lang.parquet", "languages")
    pairs = pd.DataFrame({"id": ["x0", "x99"], "student_lang": ["de", "de"], "teacher_lang": ["en", "en"]})
    write_artifact(pairs, root / "pairs_missing.parquet", "pairs")
    (root / "not_parquet.parquet").write_text("hello")
    return root


def test_missing_file(bad: Path, finetuned: Path) -> None:
    out = bad / "out1.parquet"
    result = invoke("predict", "--model", finetuned, "--data", bad / "nope.parquet", "--out", out)
    assert_clean_failure(result, out, "nope.parquet", "no such file")


def test_not_a_parquet_file(bad: Path, finetuned: Path) -> None:
    out = bad / "out2.parquet"
    result = invoke("predict", "--model", finetuned, "--data", bad / "not_parquet.parquet", "--out", out)
    assert_clean_failure(result, out, "not_parquet.parquet", "not a readable Parquet file")


def test_missing_column(bad: Path, finetuned: Path) -> None:
    out = bad / "out3.parquet"
    result = invoke("predict", "--model", finetuned, "--data", bad / "no_text_b.parquet", "--out", out)
    # a file with text_a only has no pair columns; it is read as neither task
    assert_clean_failure(result, out, "no_text_b.parquet")


def test_labels_out_of_range(bad: Path, tiny_base: Path) -> None:
    out = bad / "ft_bad"
    result = invoke(
        "finetune", "--model", tiny_base, "--train", bad / "label7.parquet", "--out", out, "--max-steps", "1"
    )
    assert_clean_failure(result, out, "label7.parquet", "row 4", "label 7 out of range")


def test_empty_data(bad: Path, finetuned: Path) -> None:
    out = bad / "out4.parquet"
    result = invoke("eval", "--model", finetuned, "--data", bad / "empty.parquet", "--out", out)
    assert_clean_failure(result, out, "empty.parquet", "no rows")


def test_unknown_source_language(bad: Path, finetuned: Path) -> None:
    out = bad / "out5.parquet"
    result = invoke(
        "eval", "--model", finetuned, "--data", bad / "test.parquet", "--source-lang", "sw", "--out", out
    )
    assert_clean_failure(result, out, "test.parquet", "unknown language 'sw'")


def test_unknown_language_in_languages_file(bad: Path) -> None:
    out = bad / "out6.parquet"
    result = invoke("make-pairs", "--data", bad / "unlabeled.parquet", "--languages", bad / "unknown_lang.parquet",
                    "--out", out)  # fmt: skip
    assert_clean_failure(result, out, "unknown_lang.parquet", "unknown language 'xx'")


def test_ids_not_parallel_in_select(bad: Path) -> None:
    out = bad / "out7.parquet"
    result = invoke("select", "--predictions", bad / "partial_predictions.parquet", "--pseudo-labels",
                    bad / "pseudo.parquet", "--out", out)  # fmt: skip
    assert_clean_failure(
        result, out, "partial_predictions.parquet", "not parallel", "'de' lacks 1", "--allow-partial"
    )
    result = invoke("select", "--predictions", bad / "partial_predictions.parquet", "--pseudo-labels",
                    bad / "pseudo.parquet", "--out", out, "--allow-partial")  # fmt: skip
    assert result.exit_code == 0 and out.exists()


def test_model_that_does_not_fit_the_task(bad: Path, finetuned: Path) -> None:
    out = bad / "out8.parquet"
    result = invoke("predict", "--model", finetuned, "--data", bad / "two_labels.parquet", "--out", out)
    assert_clean_failure(result, out, str(finetuned), "does not fit", "3 labels", "2 (yes, no)")


def test_not_a_model_directory(bad: Path) -> None:
    out = bad / "out9.parquet"
    result = invoke("predict", "--model", bad, "--data", bad / "test.parquet", "--out", out)
    assert_clean_failure(result, out, "not a model directory")


def test_pairs_referring_to_missing_rows(bad: Path, finetuned: Path) -> None:
    out = bad / "dist_bad"
    result = invoke("distill", "--model", finetuned, "--data", bad / "unlabeled.parquet", "--pairs",
                    bad / "pairs_missing.parquet", "--out", out, "--steps", "1")  # fmt: skip
    assert_clean_failure(result, out, "pairs_missing.parquet", "row 1", "x99")


def test_ce_weight_without_train(bad: Path, finetuned: Path) -> None:
    out = bad / "dist_bad2"
    result = invoke("distill", "--model", finetuned, "--data", bad / "unlabeled.parquet", "--pairs",
                    bad / "pairs_missing.parquet", "--out", out, "--ce-weight", "1")  # fmt: skip
    assert_clean_failure(result, out, "--ce-weight needs --train")


def test_wrong_artifact_kind(bad: Path) -> None:
    out = bad / "out10.parquet"
    result = invoke("vote", "--predictions", bad / "pseudo.parquet", "--out", out)
    assert_clean_failure(result, out, "pseudo.parquet", "is a pseudo labels artifact, expected predictions")


def test_missing_required_option(bad: Path) -> None:
    out = bad / "predictions.parquet"
    result = invoke("vote", "--out", out)
    assert_clean_failure(result, out, "missing --predictions")


def test_failed_stage_keeps_the_previous_output(bad: Path, finetuned: Path) -> None:
    out = bad / "kept.parquet"
    out.write_bytes(b"previous")
    result = invoke("predict", "--model", finetuned, "--data", bad / "nope.parquet", "--out", out)
    assert result.exit_code == 2 and out.read_bytes() == b"previous"


@pytest.mark.parametrize(
    "command",
    [
        ["finetune", "--model", "{model}", "--train", "{missing}", "--out", "{out}"],
        ["predict", "--model", "{model}", "--data", "{missing}", "--out", "{out}"],
        ["vote", "--predictions", "{missing}", "--out", "{out}"],
        ["select", "--predictions", "{missing}", "--pseudo-labels", "{missing}", "--out", "{out}"],
        ["make-pairs", "--data", "{missing}", "--languages", "{missing}", "--out", "{out}"],
        ["distill", "--model", "{model}", "--data", "{missing}", "--pairs", "{missing}", "--out", "{out}"],
        ["eval", "--model", "{model}", "--data", "{missing}", "--out", "{out}"],
        ["data", "import", "{missing}", "--labels", "a,b", "--out", "{out}"],
        ["data", "info", "{missing}"],
        ["run", "--config", "{missing}", "--dir", "{out}"],
        ["finetune", "--config", "{missing}", "--out", "{out}"],
    ],
    ids=lambda c: " ".join(c[:2]) if c[0] == "data" or "--config" in c[1:2] else c[0],
)
def test_every_command_names_a_missing_input(
    command: list[str], bad: Path, finetuned: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    args = [a.format(model=finetuned, missing=tmp_path / "absent.parquet", out=out) for a in command]
    result = invoke(*args)
    assert_clean_failure(result, out, "absent.parquet", "no such")


def test_tiny_model_command(tmp_path: Path, bad: Path) -> None:
    from tests.cli.helpers import ok

    ok("tiny-model", tmp_path / "m", "--data", bad / "test.parquet", "--seed", "3")
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= {
        p.name for p in (tmp_path / "m").iterdir()
    }


def test_label_names_where_indices_belong(bad: Path, tiny_base: Path, tmp_path: Path) -> None:
    frame = pair_rows(["en"], 4, labeled=True)
    frame["label"] = ["entailment", "neutral", "contradiction", "neutral"]
    write_dataset(frame, tmp_path / "names.parquet")
    out = tmp_path / "ft"
    result = invoke("finetune", "--model", tiny_base, "--train", tmp_path / "names.parquet", "--out", out)
    assert_clean_failure(result, out, "names.parquet", "row 0", "'entailment'", "not a label index")
