from __future__ import annotations

from pathlib import Path

import pytest

from alsace_cli.errors import AlsaceError
from alsace_cli.models import build_tiny_model, load_model

TEXTS = ["the cat sleeps", "кошка спит", "猫在睡觉", "القط نائم", "le chat dort"] * 3


def test_tiny_model_is_byte_identical_across_builds(tmp_path: Path) -> None:
    # tokenizers' own trainers tie-break in hash order; ours must not, or seeds would not reproduce runs
    first, second = (
        build_tiny_model(tmp_path / "a", TEXTS, seed=1),
        build_tiny_model(tmp_path / "b", TEXTS, seed=1),
    )
    for name in ("tokenizer.json", "model.safetensors", "config.json"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_tiny_tokenizer_covers_every_script(tmp_path: Path) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(build_tiny_model(tmp_path / "m", TEXTS))
    for text in TEXTS[:5]:
        assert tokenizer.unk_token not in tokenizer.tokenize(text)


def test_base_model_without_head_does_not_fit_without_new_head(tmp_path: Path) -> None:
    base = build_tiny_model(tmp_path / "m", TEXTS)
    with pytest.raises(AlsaceError, match="does not fit the task: it has 2 labels"):
        load_model(str(base), "pair", ["a", "b", "c"])
    model, _ = load_model(str(base), "pair", ["a", "b", "c"], new_head=True)
    assert model.config.num_labels == 3 and model.config.id2label[2] == "c"
