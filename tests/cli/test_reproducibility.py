"""Same seed, same machine, same inputs: the same bytes; `alsace verify` says what went stale; `alsace run`
resumes a stage that was interrupted."""

from __future__ import annotations

import json
import shutil
import signal
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.cli.helpers import invoke, ok, stdout_json, write_config

# Provenance fields that say when and how a file was made, not what it holds.
VOLATILE = ("created_at", "command")


def _content(path: Path) -> tuple:
    """A Parquet file's data and its metadata without the time it was written."""
    table = pq.read_table(path)
    meta = json.loads(table.schema.metadata[b"alsace"])
    for holder in (meta, meta.get("provenance", {})):
        for key in VOLATILE:
            holder.pop(key, None)
    return table.replace_schema_metadata({}).to_pylist(), meta


def _files(run_dir: Path) -> dict[str, bytes]:
    skip = {
        "alsace_provenance.json",
        "run_state.json",
        "accuracy.png",
        "run.log",
    }  # they record when they were written
    return {
        str(p.relative_to(run_dir)): p.read_bytes()
        for p in sorted(run_dir.rglob("*"))
        if p.is_file()
        and p.suffix != ".parquet"
        and p.name not in skip
        and not p.name.endswith("results.json")
    }


def test_two_runs_with_one_seed_write_the_same_artifacts(tmp_path: Path, data_dir: Path) -> None:
    run_dir = tmp_path / "run"
    config = write_config(tmp_path / "run.toml", data_dir, run_dir)
    ok("run", "--config", config)
    first = {str(p.relative_to(run_dir)): _content(p) for p in sorted(run_dir.rglob("*.parquet"))}
    first_files = _files(run_dir)
    shutil.rmtree(run_dir)  # a second run from scratch, in the same run directory
    ok("run", "--config", config)
    second = {str(p.relative_to(run_dir)): _content(p) for p in sorted(run_dir.rglob("*.parquet"))}
    assert len(first) >= 7 and first.keys() == second.keys()
    for name in first:
        assert first[name] == second[name], name
    # Weights, tokenizers and saved configs: byte for byte.
    assert first_files == _files(run_dir) and "distilled/model.safetensors" in first_files


def test_verify_names_what_is_stale_and_why(tmp_path: Path, data_dir: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(data_dir, data, ignore=shutil.ignore_patterns("tiny-base", "finetuned"))
    run_dir = tmp_path / "run"
    ok("run", "--config", write_config(tmp_path / "run.toml", data, run_dir))
    fresh = stdout_json(ok("verify", run_dir, "--json"))
    assert {row["status"] for row in fresh} == {"ok"} and len(fresh) >= 7

    from alsace_cli.io.artifacts import read_meta, write_artifact

    meta = read_meta(data / "unlabeled.parquet")
    frame = pq.read_table(data / "unlabeled.parquet").to_pandas()
    frame.loc[0, "text_a"] = "a changed sentence"
    write_artifact(frame, data / "unlabeled.parquet", "dataset", meta)
    result = invoke("verify", run_dir, "--json")
    assert result.exit_code == 1
    verdicts = {row["artifact"]: row for row in json.loads(result.stdout)}
    assert verdicts["predictions.parquet"]["status"] == "stale"
    assert "input data" in verdicts["predictions.parquet"]["reason"]
    assert "upstream" in verdicts["pseudo_labels.parquet"]["reason"]
    assert verdicts["finetuned/"]["status"] == "ok"  # fine-tuning never read the unlabeled corpus
    assert verdicts["metrics.parquet"]["status"] == "stale"


def test_run_resumes_an_interrupted_distill_by_itself(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alsace_cli.training.setup import TrainLog

    straight_dir, run_dir = tmp_path / "straight", tmp_path / "run"
    ok("run", "--config", write_config(tmp_path / "a.toml", data_dir, straight_dir))
    config = write_config(tmp_path / "b.toml", data_dir, run_dir)
    original = TrainLog.add

    def add(self, **values):
        original(self, **values)
        if "kl" in values and values["step"] == 1:
            signal.raise_signal(signal.SIGINT)

    with monkeypatch.context() as patch:
        patch.setattr(TrainLog, "add", add)
        interrupted = invoke("run", "--config", config)
    assert interrupted.exit_code == 130 and f"resume with: alsace run --config {config}" in interrupted.stderr
    assert (run_dir / "distilled.checkpoint").is_dir() and not (run_dir / "distilled").exists()
    result = ok("run", "--config", config, "--json")
    assert "distill: resumed at step 1 of 2" in result.stderr
    assert stdout_json(result)["ran"] == ["distill", "eval"]
    assert (run_dir / "distilled" / "model.safetensors").read_bytes() == (
        straight_dir / "distilled" / "model.safetensors"
    ).read_bytes()
