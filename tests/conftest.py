"""Shared fixtures: tiny pair-task datasets and a tiny local model, built once per test session.

Nothing here downloads anything: the model is a 2-layer random BERT with a tokenizer trained on the
fixture texts (alsace_cli.stages.tiny_model.build_tiny_model).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from alsace_cli.io.artifacts import dataset_meta, write_artifact

LABELS = ["entailment", "neutral", "contradiction"]
LANGS = ["en", "de", "fr", "ru"]
SHARED = Path(__file__).resolve().parents[1].parent / "shared"

WORDS = {
    "en": ["the cat sleeps", "a dog runs", "it rains today", "the sun shines", "we eat bread", "birds sing"],
    "de": [
        "die katze schläft",
        "ein hund rennt",
        "es regnet heute",
        "die sonne scheint",
        "wir essen brot",
        "vögel singen",
    ],
    "fr": [
        "le chat dort",
        "un chien court",
        "il pleut aujourd'hui",
        "le soleil brille",
        "nous mangeons du pain",
        "les oiseaux chantent",
    ],
    "ru": ["кошка спит", "собака бежит", "сегодня дождь", "солнце светит", "мы едим хлеб", "птицы поют"],
}


def pair_rows(langs: list[str], n_ids: int, labeled: bool, offset: int = 0) -> pd.DataFrame:
    rows = []
    for i in range(n_ids):
        for lang in langs:
            words = WORDS[lang]
            row = {
                "id": f"x{i + offset}",
                "lang": lang,
                "text_a": f"{words[i % 6]} {words[(i + 1) % 6]}",
                "text_b": words[(i * 2 + offset) % 6],
            }
            if labeled:
                row["label"] = (i + offset) % 3
            rows.append(row)
    return pd.DataFrame(rows)


def write_dataset(
    frame: pd.DataFrame, path: Path, labels: list[str] | None = None, task: str = "pair"
) -> Path:
    return write_artifact(frame, path, "dataset", dataset_meta(task, labels or LABELS))


@pytest.fixture(autouse=True)
def _no_step0_check_from_another_test():
    """Each test measures its own step-0 guard checks: a distill in an earlier test (some patch what a
    check measures) must not hand its check on (alsace_cli/training/step0_memo.py)."""
    from alsace_cli.training import step0_memo

    step0_memo.forget()


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("data")
    write_dataset(pair_rows(["en"], 24, labeled=True), root / "train.parquet")
    write_dataset(pair_rows(LANGS, 8, labeled=False, offset=100), root / "unlabeled.parquet")
    write_dataset(pair_rows(LANGS, 8, labeled=True, offset=200), root / "test.parquet")
    return root


@pytest.fixture(scope="session")
def tiny_base(data_dir: Path) -> Path:
    from alsace_cli.stages.tiny_model import build_tiny_model

    texts = [
        t
        for frame in (
            pd.read_parquet(data_dir / "train.parquet"),
            pd.read_parquet(data_dir / "unlabeled.parquet"),
        )
        for column in ("text_a", "text_b")
        for t in frame[column]
    ]
    return build_tiny_model(data_dir / "tiny-base", texts, seed=0)


@pytest.fixture(scope="session")
def finetuned(data_dir: Path, tiny_base: Path) -> Path:
    from alsace_cli.stages.finetune import FinetuneConfig, finetune

    config = FinetuneConfig(
        model=str(tiny_base),
        train=str(data_dir / "train.parquet"),
        out=str(data_dir / "finetuned"),
        max_steps=2,
        batch_size=8,
        learning_rate=1e-3,
        device="cpu",
    )
    return finetune(config)


def english_teacher_pairs(data_dir: Path, folder: Path, materialize: bool = False) -> Path:
    """make-pairs on the fixture corpus with English its one teacher (select's output written by hand)."""
    from alsace_cli.stages.pairs import PairsConfig, make_pairs

    languages = pd.DataFrame(
        {
            "lang": ["de", "en", "fr", "ru"],
            "n": 8,
            "avg_confidence": 0.5,
            "score": 0.25,
            "role": ["student", "teacher", "student", "student"],
        }
    )
    write_artifact(languages, folder / "languages.parquet", "languages", {})
    out = folder / "pairs.parquet"
    make_pairs(
        PairsConfig(
            materialize=materialize,
            data=str(data_dir / "unlabeled.parquet"),
            languages=str(folder / "languages.parquet"),
            out=str(out),
        )
    )
    return out


def predictions_frame(rows: list[tuple[str, str, list[float]]]) -> pd.DataFrame:
    """Hand-written predictions: (id, lang, probs)."""
    return pd.DataFrame(
        {
            "id": [r[0] for r in rows],
            "lang": [r[1] for r in rows],
            "probs": [r[2] for r in rows],
            "pred": [max(range(len(r[2])), key=r[2].__getitem__) for r in rows],
            "confidence": [max(r[2]) for r in rows],
        }
    )
