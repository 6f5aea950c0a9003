"""The multiple-choice task (XCOPA) end to end on a tiny model: import JSONL, then every stage unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.cli.helpers import invoke, ok
from tests.conftest import SHARED

ITEMS = {
    "en": [
        (
            "The man turned on the faucet.",
            "The toilet filled with water.",
            "Water flowed from the spout.",
            "effect",
            1,
        ),
        (
            "The girl found a bug in her cereal.",
            "She poured milk in the bowl.",
            "She lost her appetite.",
            "effect",
            1,
        ),
        ("The woman retired.", "She received her pension.", "She paid off her mortgage.", "effect", 0),
        ("I wanted to conserve energy.", "I swept the floor.", "I shut off the light.", "effect", 1),
    ],
    "it": [
        ("L'uomo aprì il rubinetto.", "Il water si riempì.", "L'acqua uscì.", "effect", 1),
        ("La ragazza trovò un insetto.", "Versò il latte.", "Perse l'appetito.", "effect", 1),
        ("La donna andò in pensione.", "Ricevette la pensione.", "Pagò il mutuo.", "effect", 0),
        ("Volevo risparmiare energia.", "Spazzai il pavimento.", "Spensi la luce.", "effect", 1),
    ],
    "et": [
        ("Mees keeras kraani lahti.", "Tualett täitus veega.", "Tilast voolas vett.", "effect", 1),
        ("Tüdruk leidis putuka.", "Ta kallas piima.", "Ta kaotas isu.", "effect", 1),
        ("Naine jäi pensionile.", "Ta sai pensioni.", "Ta maksis laenu.", "effect", 0),
        ("Tahtsin energiat säästa.", "Pühkisin põrandat.", "Lülitasin valguse välja.", "effect", 1),
    ],
}
CHOICES = "choice1,choice2"


def write_jsonl(path: Path, lang: str, repeat: int = 1) -> Path:
    rows = [
        {"premise": p, "choice1": c1, "choice2": c2, "question": q, "label": label, "idx": i}
        for i, (p, c1, c2, q, label) in enumerate(ITEMS[lang] * repeat)
    ]
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
    return path


@pytest.fixture(scope="module")
def mc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("mc")
    files = {lang: write_jsonl(root / f"{lang}.jsonl", lang) for lang in ITEMS}
    ok(
        "data",
        "import",
        write_jsonl(root / "train-en.jsonl", "en", repeat=4),
        "--lang",
        "en",
        "--labels",
        CHOICES,
        "--out",
        root / "train.parquet",
    )
    langs = [x for lang in ITEMS for x in ("--lang", lang)]
    ok(
        "data",
        "import",
        *files.values(),
        *langs,
        "--labels",
        CHOICES,
        "--drop-labels",
        "--out",
        root / "unlabeled.parquet",
    )
    ok("data", "import", *files.values(), *langs, "--labels", CHOICES, "--out", root / "test.parquet")
    ok("tiny-model", root / "base", "--data", root / "train.parquet", "--data", root / "unlabeled.parquet")
    return root


def test_multiple_choice_runs_every_stage_unchanged(mc: Path) -> None:
    test = pd.read_parquet(mc / "test.parquet")
    assert {"premise", "question", "choice1", "choice2", "label"} <= set(test.columns)
    ok(
        "finetune",
        "--model",
        mc / "base",
        "--train",
        mc / "train.parquet",
        "--out",
        mc / "ft",
        "--max-steps",
        "2",
        "--batch-size",
        "4",
        "--device",
        "cpu",
    )
    assert json.loads((mc / "ft" / "config.json").read_text())["architectures"] == ["BertForMultipleChoice"]
    ok(
        "predict",
        "--model",
        mc / "ft",
        "--data",
        mc / "unlabeled.parquet",
        "--out",
        mc / "p.parquet",
        "--device",
        "cpu",
    )
    probs = np.stack(pd.read_parquet(mc / "p.parquet")["probs"].to_numpy())
    assert probs.shape == (12, 2) and np.allclose(probs.sum(axis=1), 1, atol=1e-5)
    ok("vote", "--predictions", mc / "p.parquet", "--out", mc / "v.parquet")
    ok(
        "select",
        "--predictions",
        mc / "p.parquet",
        "--pseudo-labels",
        mc / "v.parquet",
        "--out",
        mc / "l.parquet",
    )
    ok(
        "make-pairs",
        "--data",
        mc / "unlabeled.parquet",
        "--languages",
        mc / "l.parquet",
        "--out",
        mc / "pairs.parquet",
    )
    ok(
        "distill",
        "--model",
        mc / "ft",
        "--data",
        mc / "unlabeled.parquet",
        "--pairs",
        mc / "pairs.parquet",
        "--out",
        mc / "d",
        "--steps",
        "2",
        "--pairs-per-batch",
        "4",
        "--dev",
        mc / "train.parquet",
        "--device",
        "cpu",
    )
    ok(
        "eval",
        "--model",
        mc / "ft",
        "--model",
        mc / "d",
        "--data",
        mc / "test.parquet",
        "--languages",
        mc / "l.parquet",
        "--out",
        mc / "m.parquet",
        "--device",
        "cpu",
    )
    metrics = pd.read_parquet(mc / "m.parquet")
    assert len(metrics) == 2 * 3 and metrics["n"].eq(4).all()


def test_a_multiple_choice_model_does_not_fit_a_pair_dataset(mc: Path, data_dir: Path) -> None:
    if not (mc / "ft").exists():
        ok(
            "finetune",
            "--model",
            mc / "base",
            "--train",
            mc / "train.parquet",
            "--out",
            mc / "ft",
            "--max-steps",
            "1",
            "--batch-size",
            "4",
            "--device",
            "cpu",
        )
    result = invoke(
        "predict",
        "--model",
        mc / "ft",
        "--data",
        data_dir / "unlabeled.parquet",
        "--out",
        mc / "x.parquet",
        "--device",
        "cpu",
    )
    assert result.exit_code == 2
    assert "does not fit" in result.output and not (mc / "x.parquet").exists()


@pytest.mark.skipif(not (SHARED / "data" / "xcopa").exists(), reason="needs ../shared/data/xcopa (CI has it)")
def test_import_real_xcopa_and_copa_jsonl(tmp_path: Path) -> None:
    data = SHARED / "data"
    ok(
        "data",
        "import",
        data / "copa_en/test.jsonl",
        data / "xcopa/it/test.it.jsonl",
        data / "xcopa/qu/test.qu.jsonl",
        "--lang",
        "en",
        "--lang",
        "it",
        "--lang",
        "qu",
        "--labels",
        CHOICES,
        "--limit",
        "10",
        "--out",
        tmp_path / "xcopa.parquet",
    )
    frame = pd.read_parquet(tmp_path / "xcopa.parquet")
    assert len(frame) == 30 and sorted(frame["lang"].unique()) == ["en", "it", "qu"]
    # XCOPA test row i is COPA test item 501+i: the same gold answer in every language.
    assert frame.pivot(index="id", columns="lang", values="label").nunique(axis=1).eq(1).all()
    assert frame.loc[frame["lang"] == "en", "premise"].iloc[0] == "The item was packaged in bubble wrap."
