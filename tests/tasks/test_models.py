from __future__ import annotations

from pathlib import Path

import pytest

from alsace_cli.errors import AlsaceError
from alsace_cli.stages.tiny_model import build_tiny_model
from alsace_cli.tasks.models import load_model

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
    with pytest.raises(
        AlsaceError,
        match="needs a .ForSequenceClassification model; this one has no trained head: run `alsace finetune`",
    ):
        load_model(str(base), "pair", ["a", "b", "c"])
    model, _ = load_model(str(base), "pair", ["a", "b", "c"], new_head=True)
    assert model.config.num_labels == 3 and model.config.id2label[2] == "c"


def test_a_misspelt_local_model_folder_is_said_at_once(tmp_path: Path) -> None:
    from alsace_cli.errors import AlsaceError
    from alsace_cli.tasks.models import check_model_spec

    (tmp_path / "runs").mkdir()
    for spec in (str(tmp_path / "runs" / "ft"), "./nowhere/model", "a/b/c"):
        with pytest.raises(AlsaceError, match="no such model folder"):
            check_model_spec(spec)


def test_a_hub_id_without_a_network_is_said_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 35.15: offline, a hub id gave about 25 s of retries before its one line."""
    import socket

    import huggingface_hub.constants

    from alsace_cli.errors import AlsaceError
    from alsace_cli.tasks import models

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    models.check_model_spec("xlm-roberta-base")  # offline on purpose: a hub id is left to the cache
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setattr(models, "_HUB_CHECKED", {})
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path))

    def unreachable(*args, **kwargs):
        raise OSError("no route")

    monkeypatch.setattr(socket, "create_connection", unreachable)
    with pytest.raises(AlsaceError, match="cannot be reached; give a local model folder"):
        models.check_model_spec("FacebookAI/xlm-roberta-base")


def test_a_hub_model_is_recorded_with_the_commit_it_resolves_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A changed hub model marks what was made from it stale (read from the cache, offline)."""
    import huggingface_hub.constants

    from alsace_cli.io.provenance import hash_path

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path))
    repo = tmp_path / "models--org--tiny"

    def publish(commit: str) -> None:
        (repo / "refs").mkdir(parents=True, exist_ok=True)
        (repo / "refs" / "main").write_text(commit)
        (repo / "snapshots" / commit).mkdir(parents=True)
        (repo / "snapshots" / commit / "config.json").write_text("{}")

    assert "@" not in hash_path("org/tiny")  # not in the cache: the name alone
    publish("a" * 40)
    first = hash_path("org/tiny")
    assert first.endswith("@" + "a" * 40)
    publish("b" * 40)
    assert hash_path("org/tiny").endswith("@" + "b" * 40) and hash_path("org/tiny") != first
