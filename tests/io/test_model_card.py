"""Every model folder finetune and distill write has a hub-style model card; run adds its test metrics."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.cli.helpers import ok, write_config


def _card(path: Path) -> tuple[dict, str]:
    _, header, body = (path / "README.md").read_text().split("---\n", 2)
    return yaml.safe_load(header), body


def test_run_writes_model_cards_and_adds_each_models_metrics(tmp_path: Path, data_dir: Path) -> None:
    config = write_config(tmp_path / "run.toml", data_dir, tmp_path / "run")
    ok("run", "--config", config)
    run = tmp_path / "run"
    header, body = _card(run / "distilled")
    assert header["base_model"] == str(
        run / "tiny-base"
    )  # the distilled model's base is the fine-tuned model's
    assert header["language"] == ["de", "en", "fr", "ru"] and header["pipeline_tag"] == "text-classification"
    assert {"alsace", "distill"} <= set(header["tags"]) and "unlabeled.parquet" in header["datasets"]
    assert "# distilled" in body and "the guard kept step" in body and "sha256" in body
    finetuned, _ = _card(run / "finetuned")
    assert finetuned["language"] == ["en"] and finetuned["tags"][-1] == "finetune"
    metrics = finetuned["model-index"][0]["results"][0]["metrics"]
    assert {m["name"] for m in metrics} == {f"accuracy ({lang})" for lang in ("en", "de", "fr", "ru")}
    assert all(0 <= m["value"] <= 100 for m in metrics)
    # The card is not part of the model's hash: adding metrics leaves the run up to date.
    import json

    again = json.loads(ok("run", "--config", config, "--json").stdout)
    assert again["ran"] == []


def test_a_local_copy_of_a_hub_model_is_recorded_by_its_hub_id(tmp_path) -> None:
    """Issue 35.16: model cards listed local paths as base_model."""
    import json

    from alsace_cli.io.model_card import base_model

    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "config.json").write_text(
        json.dumps({"_name_or_path": "intfloat/multilingual-e5-small"})
    )
    assert base_model(str(tmp_path / "m")) == "intfloat/multilingual-e5-small"
    (tmp_path / "m" / "config.json").write_text(json.dumps({"_name_or_path": str(tmp_path / "elsewhere")}))
    assert base_model(str(tmp_path / "m")) == str(tmp_path / "m")
