"""`alsace data import` on real XNLI and PAWS-X rows from ../shared, and on generic files."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from alsace_cli.io.artifacts import load_dataset
from tests.cli.helpers import invoke, leftovers, ok, stdout_json
from tests.conftest import SHARED

XNLI = SHARED / "data" / "xnli"
PAWSX = SHARED / "data" / "pawsx"
needs_shared = pytest.mark.skipif(not XNLI.exists(), reason="../shared/data is not beside this checkout")
NLI = "entailment,neutral,contradiction"


def first_lines(path: Path, n: int) -> list[str]:
    with open(path, encoding="utf-8", newline="") as handle:
        return [next(handle) for _ in range(n)]


@needs_shared
def test_xnli_test_tsv_with_crlf(tmp_path: Path) -> None:
    files = [XNLI / f"test-{lang}.tsv" for lang in ("en", "ar", "zh")]
    assert first_lines(files[0], 1)[0].endswith("\r\n")  # the real files have CRLF line ends
    out = tmp_path / "xnli.parquet"
    ok("data", "import", *files, "--labels", NLI, "--limit", "50", "--out", out)
    dataset = load_dataset(out, require_labels=True)
    assert dataset.task == "pair" and dataset.labels == NLI.split(",")
    assert dataset.languages == ["ar", "en", "zh"] and len(dataset.frame) == 150
    en = dataset.frame[dataset.frame["lang"] == "en"].set_index("id")
    premise, hypothesis, label = first_lines(files[0], 1)[0].rstrip("\r\n").split("\t")
    assert en.loc["0", "text_a"] == premise and en.loc["0", "text_b"] == hypothesis
    assert en.loc["0", "label"] == NLI.split(",").index(label)
    assert not dataset.frame["text_b"].str.endswith("\r").any()
    ar = dataset.frame[dataset.frame["lang"] == "ar"].set_index("id")
    assert (ar["label"] == en["label"]).all()  # parallel rows carry the same gold label


@needs_shared
def test_pawsx_dev_and_unlabeled_test(tmp_path: Path) -> None:
    ok(
        "data",
        "import",
        PAWSX / "dev-en.tsv",
        PAWSX / "dev-ja.tsv",
        "--labels",
        "different,paraphrase",
        "--limit",
        "20",
        "--out",
        tmp_path / "dev.parquet",
    )
    dev = load_dataset(tmp_path / "dev.parquet", require_labels=True)
    assert set(dev.frame["label"].unique()) <= {0, 1} and dev.languages == ["en", "ja"]
    result = ok(
        "data",
        "import",
        PAWSX / "test-de.tsv",
        PAWSX / "test-ko.tsv",
        "--labels",
        "different,paraphrase",
        "--limit",
        "20",
        "--out",
        tmp_path / "test.parquet",
        "--json",
    )
    info = stdout_json(result)
    assert info["labeled"] is False and info["ids_in_every_language"] == 20
    assert "label" not in pd.read_parquet(tmp_path / "test.parquet").columns


@needs_shared
def test_data_info_reports_languages_and_balance(tmp_path: Path) -> None:
    ok(
        "data",
        "import",
        XNLI / "dev-en.tsv",
        XNLI / "dev-sw.tsv",
        "--labels",
        NLI,
        "--limit",
        "30",
        "--out",
        tmp_path / "d.parquet",
    )
    info = stdout_json(ok("data", "info", tmp_path / "d.parquet", "--json"))
    assert info["languages"] == ["en", "sw"] and info["rows"] == 60 and info["ids_in_every_language"] == 30
    per_lang = {row["lang"]: row for row in info["per_language"]}
    assert sum(per_lang["sw"][name] for name in NLI.split(",")) == 30
    text = ok("data", "info", tmp_path / "d.parquet").stderr
    assert "30 ids in every language" in text


def test_generic_csv_jsonl_parquet_with_column_mapping(tmp_path: Path) -> None:
    pd.DataFrame({"uid": ["a", "b"], "body": ["good day", "bad day"], "y": ["pos", "neg"]}).to_csv(
        tmp_path / "en.csv", index=False
    )
    with open(tmp_path / "de.jsonl", "w", encoding="utf-8") as handle:
        for uid, body, y in (("b", "schlechter Tag", "neg"), ("a", "guter Tag", "pos")):
            handle.write(json.dumps({"uid": uid, "body": body, "y": y}) + "\n")
    ok(
        "data",
        "import",
        tmp_path / "en.csv",
        tmp_path / "de.jsonl",
        "--lang",
        "en",
        "--lang",
        "de",
        "--text-column",
        "body",
        "--label-column",
        "y",
        "--id-column",
        "uid",
        "--labels",
        "neg,pos",
        "--out",
        tmp_path / "out.parquet",
    )
    dataset = load_dataset(tmp_path / "out.parquet", require_labels=True)
    assert dataset.task == "single"
    got = dataset.frame.set_index(["id", "lang"])
    assert got.loc[("a", "de"), "text"] == "guter Tag" and got.loc[("a", "de"), "label"] == 1
    assert got.loc[("b", "en"), "label"] == 0


def test_one_file_with_a_language_column(tmp_path: Path) -> None:
    pd.DataFrame(
        {
            "language": ["en", "fr", "en", "fr"],
            "premise": ["p1", "p1f", "p2", "p2f"],
            "hypothesis": ["h1", "h1f", "h2", "h2f"],
            "label": [0, 0, 2, 2],
        }
    ).to_parquet(tmp_path / "all.parquet")
    ok(
        "data",
        "import",
        tmp_path / "all.parquet",
        "--lang-column",
        "language",
        "--labels",
        NLI,
        "--out",
        tmp_path / "out.parquet",
    )
    frame = load_dataset(tmp_path / "out.parquet").frame.set_index(["id", "lang"])
    assert frame.loc[("1", "fr"), "text_a"] == "p2f" and frame.loc[("1", "fr"), "label"] == 2


def _shuffled_language_column(tmp_path: Path) -> Path:
    """The docs' one-file example with an `id` column, the German rows in another order than the English."""
    english = ["The goalkeeper caught the ball.", "This fruit is sweet and juicy.", "It will rain tomorrow."]
    german = ["Diese Frucht ist süß und saftig.", "Morgen wird es regnen.", "Der Torwart fing den Ball."]
    frame = pd.DataFrame(
        {
            "id": ["g1", "f1", "w1", "f1", "w1", "g1"],
            "language": ["en"] * 3 + ["de"] * 3,
            "text": english + german,
            "label": ["sport", "food", "weather", "food", "weather", "sport"],
        }
    )
    frame.to_parquet(tmp_path / "all.parquet")
    return tmp_path / "all.parquet"


def test_an_id_column_is_used_without_being_named(tmp_path: Path) -> None:
    """Issue 35.1: ids were numbered by row order, pairing 'The goalkeeper ...' with 'Diese Frucht ...'."""
    result = ok(
        "data",
        "import",
        _shuffled_language_column(tmp_path),
        "--lang-column",
        "language",
        "--labels",
        "sport,food,weather",
        "--out",
        tmp_path / "out.parquet",
    )
    frame = load_dataset(tmp_path / "out.parquet").frame.set_index(["id", "lang"])
    assert frame.loc[("g1", "en"), "text"] == "The goalkeeper caught the ball."
    assert frame.loc[("g1", "de"), "text"] == "Der Torwart fing den Ball."
    assert "row order" not in result.stderr


def test_ids_from_row_order_are_said_and_disagreeing_labels_refused(tmp_path: Path) -> None:
    raw = pd.read_parquet(_shuffled_language_column(tmp_path)).drop(columns="id")
    raw.to_parquet(tmp_path / "noid.parquet")
    out = tmp_path / "out.parquet"
    result = invoke(
        "data",
        "import",
        tmp_path / "noid.parquet",
        "--lang-column",
        "language",
        "--labels",
        "sport,food,weather",
        "--out",
        out,
    )
    assert result.exit_code == 2, result.output
    assert "3 of 3 parallel ids (100.0%) have different labels" in result.stderr
    assert "--max-label-disagreement" in result.stderr and not out.exists()
    result = ok(
        "data",
        "import",
        tmp_path / "noid.parquet",
        "--lang-column",
        "language",
        "--labels",
        "sport,food,weather",
        "--max-label-disagreement",
        "1",
        "--out",
        out,
    )
    assert "ids from row order" in result.stderr and "100.0% of parallel ids disagree" in result.stderr
    result = ok(
        "data",
        "import",
        tmp_path / "noid.parquet",
        "--lang-column",
        "language",
        "--labels",
        "sport,food,weather",
        "--drop-labels",
        "--out",
        out,
        "--overwrite",
    )
    assert "ids from row order" in result.stderr and "disagree" not in result.stderr


def test_import_errors_name_the_file_and_row(tmp_path: Path) -> None:
    (tmp_path / "a-en.tsv").write_text("x\ty\tentailment\r\nx2\ty2\tneutral\r\n", encoding="utf-8")
    (tmp_path / "a-de.tsv").write_text("x\ty\tentailment\r\n", encoding="utf-8")
    (tmp_path / "b-fr.tsv").write_text("x\ty\tentailment\nx2\ty2\tmaybe\n", encoding="utf-8")
    out = tmp_path / "out.parquet"
    cases = [
        ((tmp_path / "a-en.tsv", tmp_path / "a-de.tsv"), ("a-de.tsv", "not parallel", "'de' has 1 row,")),
        ((tmp_path / "b-fr.tsv",), ("b-fr.tsv", "row 1", "'maybe'")),
        ((tmp_path / "missing-en.tsv",), ("missing-en.tsv", "no such file")),
    ]
    for files, needles in cases:
        result = invoke("data", "import", *files, "--labels", NLI, "--out", out)
        assert result.exit_code == 2, result.output
        assert all(n in result.stderr for n in needles), result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
        assert not out.exists() and leftovers(tmp_path) == []
    result = invoke("data", "import", tmp_path / "a-en.tsv", "--out", out)
    assert result.exit_code == 2 and "pass --labels" in result.stderr


def test_ids_that_no_two_languages_share_are_said(tmp_path: Path) -> None:
    """Issue 35.4: importing files whose ids do not overlap was silent (only `data info` showed it)."""
    pd.DataFrame(
        {"id": ["a1", "b1"], "lang": ["en", "de"], "text": ["x y", "z w"], "label": [0, 1]}
    ).to_parquet(tmp_path / "x.parquet")
    result = ok("data", "import", tmp_path / "x.parquet", "--labels", "p,q", "--out", tmp_path / "o.parquet")
    assert "no id is in more than one language" in " ".join(result.stderr.split())


def test_encoding_reads_a_latin1_file(tmp_path: Path) -> None:
    """Issue 35.16: no --encoding for CSV/TSV."""
    (tmp_path / "x-fr.tsv").write_bytes("caf\xe9\tth\xe9\ta\n".encode("latin-1"))
    ok(
        "data",
        "import",
        tmp_path / "x-fr.tsv",
        "--encoding",
        "latin-1",
        "--labels",
        "a,b",
        "--out",
        tmp_path / "o.parquet",
    )
    assert load_dataset(tmp_path / "o.parquet").frame["text_a"].tolist() == ["café"]


def test_data_info_shows_what_a_pairs_file_holds(tmp_path: Path) -> None:
    """Issue 35.11: make-pairs writes a pairing rule by default; `data info` says so."""
    from alsace_cli.io.artifacts import write_artifact
    from tests.cli.helpers import stdout_json

    rule = pd.DataFrame(
        {
            "lang": ["en", "de"],
            "role": ["teacher", "student"],
            "teaches": [True, False],
            "learns": [False, True],
        }
    )
    write_artifact(rule, tmp_path / "pairs.parquet", "pair_rule")
    found = stdout_json(ok("data", "info", tmp_path / "pairs.parquet", "--json"))
    assert found["kind"] == "pair_rule" and "pairing rule" in found["task"] and found["rows"] == 2
    assert "pairing rule" in ok("data", "info", tmp_path / "pairs.parquet").stderr


def test_unlabeled_text_imports_without_label_names_and_takes_the_models(
    tmp_path: Path, data_dir: Path, finetuned: Path
) -> None:
    """Issue 35.16: an unlabeled corpus needs no --labels; predict and distill take the fine-tuned head's names."""
    from alsace_cli.io.artifacts import read_artifact

    rows = load_dataset(data_dir / "unlabeled.parquet").frame.drop(columns="label", errors="ignore")
    rows.to_csv(tmp_path / "corpus.csv", index=False)
    result = ok("data", "import", tmp_path / "corpus.csv", "--out", tmp_path / "corpus.parquet")
    assert "unlabeled, no label names (the model's head gives them)" in result.stderr
    assert load_dataset(tmp_path / "corpus.parquet").labels == []
    ok(
        "predict",
        "--model",
        finetuned,
        "--data",
        tmp_path / "corpus.parquet",
        "--out",
        tmp_path / "preds.parquet",
        "--device",
        "cpu",
    )
    assert read_artifact(tmp_path / "preds.parquet", "predictions").labels == NLI.split(",")


def test_labeled_rows_still_need_label_names_and_multiple_choice_has_its_own(tmp_path: Path) -> None:
    """Only an unlabeled corpus goes without names; a multiple-choice task's labels are its choice columns."""
    pd.DataFrame({"id": ["a"], "lang": ["en"], "text": ["x"], "label": ["yes"]}).to_parquet(
        tmp_path / "l.parquet"
    )
    result = invoke("data", "import", tmp_path / "l.parquet", "--out", tmp_path / "o.parquet")
    assert result.exit_code == 2 and "pass --labels" in result.stderr
    choice = {"premise": ["p"], "question": ["cause"], "choice1": ["a"], "choice2": ["b"], "label": [1]}
    pd.DataFrame({"id": ["q"], "lang": ["en"], **choice}).to_json(
        tmp_path / "c.jsonl", orient="records", lines=True
    )
    ok("data", "import", tmp_path / "c.jsonl", "--task", "multiple-choice", "--out", tmp_path / "c.parquet")
    assert load_dataset(tmp_path / "c.parquet").labels == ["choice1", "choice2"]
