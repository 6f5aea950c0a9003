"""verify on a hub model: an artifact made from it is stale once the model resolves to another commit."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest


def test_an_artifact_of_a_hub_model_goes_stale_when_the_model_changes(tmp_path: Path, monkeypatch) -> None:
    import huggingface_hub.constants

    from alsace_cli.io.artifacts import write_artifact
    from alsace_cli.io.provenance import make_provenance
    from alsace_cli.stages.verify import verify

    cache = tmp_path / "cache"
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))
    repo = cache / "models--org--tiny"

    def publish(commit: str) -> None:
        (repo / "refs").mkdir(parents=True, exist_ok=True)
        (repo / "refs" / "main").write_text(commit)
        (repo / "snapshots" / commit).mkdir(parents=True)
        (repo / "snapshots" / commit / "config.json").write_text("{}")

    publish("a" * 40)
    run = tmp_path / "run"
    frame = pd.DataFrame(
        {"id": ["x"], "lang": ["en"], "probs": [[0.5, 0.5]], "pred": [0], "confidence": [0.5]}
    )
    provenance = make_provenance("predict", {}, {"model": "org/tiny"})
    write_artifact(frame, run / "p.parquet", "predictions", {"provenance": provenance})
    assert [v.status for v in verify(run)] == ["ok"]
    publish("b" * 40)
    (verdict,) = verify(run)
    assert verdict.status == "stale" and "b" * 40 in verdict.reason and "a" * 40 in verdict.reason


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".tsv"])
def test_a_plain_text_file_given_as_data_names_the_import_command(tmp_path: Path, suffix: str) -> None:
    from alsace_cli.errors import AlsaceError
    from alsace_cli.io.artifacts import load_dataset

    path = tmp_path / f"raw{suffix}"
    path.write_text("id,text\n1,a\n")
    with pytest.raises(AlsaceError, match=f"alsace data import {path}"):
        load_dataset(path)
