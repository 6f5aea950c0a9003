"""`data import --hf`: a Hugging Face dataset saved with save_to_disk (offline), in the same column mapping as
files; a dataset of translation columns (XNLI's all_languages shape) spread into one row per language."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.cli.helpers import invoke, ok

datasets = pytest.importorskip("datasets")


def test_a_saved_dataset_imports_as_a_file_would(tmp_path: Path) -> None:
    data = datasets.Dataset.from_dict(
        {"premise": ["a cat", "a dog", "rain"], "hypothesis": ["an animal", "x", "wet"], "label": [0, 2, 1]}
    )
    datasets.DatasetDict({"train": data, "test": data.select([0])}).save_to_disk(tmp_path / "nli")
    ok(
        "data",
        "import",
        "--hf",
        tmp_path / "nli",
        "--split",
        "train",
        "--lang",
        "en",
        "--labels",
        "entailment,neutral,contradiction",
        "--out",
        tmp_path / "o.parquet",
    )
    frame = pd.read_parquet(tmp_path / "o.parquet")
    assert frame[["id", "lang", "text_a", "text_b"]].values.tolist() == [
        ["0", "en", "a cat", "an animal"],
        ["1", "en", "a dog", "x"],
        ["2", "en", "rain", "wet"],
    ]
    assert frame["label"].tolist() == [0, 2, 1]


def test_translation_columns_become_one_row_per_language(tmp_path: Path) -> None:
    features = datasets.Features(
        {
            "premise": datasets.Translation(languages=["de", "en"]),
            "hypothesis": datasets.TranslationVariableLanguages(languages=["de", "en"]),
            "label": datasets.ClassLabel(names=["entailment", "neutral", "contradiction"]),
        }
    )
    data = datasets.Dataset.from_dict(
        {
            "premise": [{"de": "eine Katze", "en": "a cat"}, {"de": "Regen", "en": "rain"}],
            "hypothesis": [
                {"language": ["de", "en"], "translation": ["ein Tier", "an animal"]},
                {"language": ["de", "en"], "translation": ["nass", "wet"]},
            ],
            "label": [0, 1],
        },
        features=features,
    )
    data.save_to_disk(tmp_path / "xnli")
    ok(
        "data",
        "import",
        "--hf",
        tmp_path / "xnli",
        "--labels",
        "entailment,neutral,contradiction",
        "--out",
        tmp_path / "o.parquet",
    )
    frame = pd.read_parquet(tmp_path / "o.parquet").sort_values(["id", "lang"])
    assert frame[["id", "lang", "text_a", "text_b", "label"]].values.tolist() == [
        ["0", "de", "eine Katze", "ein Tier", 0],
        ["0", "en", "a cat", "an animal", 0],
        ["1", "de", "Regen", "nass", 1],
        ["1", "en", "rain", "wet", 1],
    ]


def test_a_missing_dataset_is_one_line(tmp_path: Path) -> None:
    result = invoke(
        "data",
        "import",
        "--hf",
        tmp_path / "nowhere",
        "--labels",
        "a",
        "--out",
        tmp_path / "o.parquet",
        "--split",
        "train",
    )
    assert (
        result.exit_code == 2 and "no such folder" in result.stderr and not (tmp_path / "o.parquet").exists()
    )


def test_a_missing_split_names_the_splits_there_are(tmp_path: Path) -> None:
    """Issue 35.9: it said `cannot load ('validation')`."""
    data = datasets.Dataset.from_dict({"premise": ["a"], "hypothesis": ["b"], "label": [0]})
    datasets.DatasetDict({"train": data, "test": data}).save_to_disk(tmp_path / "nli")
    result = invoke(
        "data",
        "import",
        "--hf",
        tmp_path / "nli",
        "--split",
        "validation",
        "--labels",
        "a,b,c",
        "--out",
        tmp_path / "o.parquet",
    )
    assert result.exit_code == 2 and "no split 'validation'; --split one of train, test" in result.stderr
