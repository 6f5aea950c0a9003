"""Issue 26's bugs, each reproduced as a user hit it: a misspelt config section, private files, the resume
hint of `run`, out-of-range seeds, a TSV with a header, plain `alsace`, mixed id types, the plot's legend."""

from __future__ import annotations

import os
import signal
import stat
from pathlib import Path

import pandas as pd
import pytest

from tests.cli.helpers import invoke, ok, write_config

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory, data_dir: Path, finetuned: Path) -> Path:
    w = tmp_path_factory.mktemp("usability")
    ok(
        "predict",
        "--model",
        finetuned,
        "--data",
        data_dir / "unlabeled.parquet",
        "--out",
        w / "p.parquet",
        "--device",
        "cpu",
    )
    ok("vote", "--predictions", w / "p.parquet", "--out", w / "v.parquet")
    ok(
        "select",
        "--predictions",
        w / "p.parquet",
        "--pseudo-labels",
        w / "v.parquet",
        "--out",
        w / "l.parquet",
    )
    return w


def one_error_line(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    return lines[0]


def test_a_misspelt_section_in_a_stage_config_is_refused(
    staged: Path, data_dir: Path, tmp_path: Path
) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[make_pairs]\nexclude_weak_students = true\n")
    line = one_error_line(
        invoke(
            "make-pairs",
            "--config",
            config,
            "--data",
            data_dir / "unlabeled.parquet",
            "--languages",
            staged / "l.parquet",
            "--out",
            tmp_path / "pp.parquet",
        )
    )
    assert "[make_pairs]" in line and "[make-pairs]" in line
    assert not (tmp_path / "pp.parquet").exists()


def test_files_and_folders_get_the_mode_the_umask_gives(
    staged: Path, data_dir: Path, tiny_base: Path, tmp_path: Path
) -> None:
    old = os.umask(0o022)
    try:
        ok("vote", "--predictions", staged / "p.parquet", "--out", tmp_path / "v.parquet")
        ok(
            "finetune",
            "--model",
            tiny_base,
            "--train",
            data_dir / "train.parquet",
            "--out",
            tmp_path / "ft",
            "--max-steps",
            1,
            "--batch-size",
            8,
            "--device",
            "cpu",
        )
    finally:
        os.umask(old)
    mode = lambda p: stat.S_IMODE(p.stat().st_mode)  # noqa: E731
    assert mode(tmp_path / "v.parquet") == 0o644 and mode(tmp_path / "v.config.toml") == 0o644
    assert mode(tmp_path / "ft") == 0o755
    assert {mode(p) for p in (tmp_path / "ft").iterdir()} == {0o644}


def test_an_interrupted_run_names_the_same_command_to_resume(
    tmp_path: Path, data_dir: Path, monkeypatch
) -> None:
    from alsace_cli.training.setup import TrainLog

    config = write_config(tmp_path / "run.toml", data_dir, tmp_path / "run")
    original = TrainLog.add

    def add(self, **values):
        original(self, **values)
        if "kl" in values and values["step"] == 1:
            signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(TrainLog, "add", add)
    result = invoke("run", "--config", config)
    assert result.exit_code == 130
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("error:") and f"alsace run --config {config}" in line and "--resume" not in line


@pytest.mark.parametrize("seed", ["-1", "5000000000"])
def test_an_out_of_range_seed_is_one_line_and_nothing_written(
    seed: str, staged: Path, data_dir: Path, tiny_base: Path, tmp_path: Path
) -> None:
    one_error_line(
        invoke(
            "finetune",
            "--model",
            tiny_base,
            "--train",
            data_dir / "train.parquet",
            "--out",
            tmp_path / "ft",
            "--seed",
            seed,
        )
    )
    one_error_line(
        invoke(
            "select",
            "--predictions",
            staged / "p.parquet",
            "--pseudo-labels",
            staged / "v.parquet",
            "--strategy",
            "random",
            "--seed",
            seed,
            "--out",
            tmp_path / "l.parquet",
        )
    )
    config = write_config(tmp_path / "run.toml", data_dir, tmp_path / "run")
    line = one_error_line(invoke("run", "--config", config, "--seed", seed))
    assert "--seed" in line
    assert list(tmp_path.iterdir()) == [tmp_path / "run.toml"]  # no tiny model, no run_state.json


def test_every_integer_option_has_a_range() -> None:
    import dataclasses
    import typing

    from alsace_cli.configs.table import STAGES

    for stage in STAGES:
        hints = typing.get_type_hints(stage.config)
        for field in dataclasses.fields(stage.config):
            if int in (hints[field.name], *typing.get_args(hints[field.name])):
                assert field.metadata.get("minimum") is not None, f"{stage.name} --{field.name}"


def test_a_tsv_with_a_header_imports_when_its_columns_are_named(tmp_path: Path) -> None:
    (tmp_path / "de.tsv").write_text("uid\tbody\ty\nu1\tein Text\tpos\nu2\tnoch einer\tneg\n")
    ok(
        "data",
        "import",
        tmp_path / "de.tsv",
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
        tmp_path / "o.parquet",
    )
    frame = pd.read_parquet(tmp_path / "o.parquet")
    assert frame["id"].tolist() == ["u1", "u2"] and frame["label"].tolist() == [1, 0]
    line = one_error_line(
        invoke(
            "data",
            "import",
            tmp_path / "de.tsv",
            "--lang",
            "de",
            "--text-column",
            "body",
            "--format",
            "xtreme",
            "--labels",
            "neg,pos",
            "--out",
            tmp_path / "x.parquet",
        )
    )
    assert "--format" in line


def test_one_import_mixes_formats_by_extension(tmp_path: Path) -> None:
    (tmp_path / "en.csv").write_text("id,text,label\n1,a text,pos\n2,another,neg\n")
    (tmp_path / "de.jsonl").write_text(
        '{"id": 1, "text": "ein Text", "label": "pos"}\n{"id": 2, "text": "noch", "label": "neg"}\n'
    )
    ok(
        "data",
        "import",
        tmp_path / "en.csv",
        tmp_path / "de.jsonl",
        "--lang",
        "en",
        "--lang",
        "de",
        "--id-column",
        "id",
        "--labels",
        "neg,pos",
        "--out",
        tmp_path / "o.parquet",
    )
    assert len(pd.read_parquet(tmp_path / "o.parquet")) == 4


def test_plain_alsace_prints_its_help() -> None:
    result = invoke()
    assert result.exit_code in (0, 2)
    assert (
        "Usage: alsace" in result.output
        and "Commands" in result.output
        and not result.output.startswith("error:")
    )


def test_integral_float_ids_join_their_integer_spelling(tmp_path: Path) -> None:
    (tmp_path / "en.jsonl").write_text(
        '{"id": 1, "text": "one"}\n{"id": "a", "text": "two"}\n{"id": 2, "text": "three"}\n'
    )
    (tmp_path / "de.jsonl").write_text(
        '{"id": 1.0, "text": "eins"}\n{"id": "a", "text": "zwei"}\n{"id": 2.0, "text": "drei"}\n'
    )
    result = ok(
        "data",
        "import",
        tmp_path / "en.jsonl",
        tmp_path / "de.jsonl",
        "--lang",
        "en",
        "--lang",
        "de",
        "--id-column",
        "id",
        "--labels",
        "x",
        "--drop-labels",
        "--out",
        tmp_path / "o.parquet",
        "--task",
        "single",
    )
    assert "integral" in result.stderr
    frame = pd.read_parquet(tmp_path / "o.parquet")
    assert sorted(frame.loc[frame["lang"] == "de", "id"]) == ["1", "2", "a"]
    (tmp_path / "bad.jsonl").write_text('{"id": 2.5, "text": "x"}\n')
    assert "2.5" in one_error_line(
        invoke(
            "data",
            "import",
            tmp_path / "bad.jsonl",
            "--lang",
            "en",
            "--id-column",
            "id",
            "--labels",
            "x",
            "--drop-labels",
            "--task",
            "single",
            "--out",
            tmp_path / "b.parquet",
        )
    )


def test_the_plot_fills_the_source_language_whatever_its_role(tmp_path: Path) -> None:
    from alsace_cli.output_types.label_report import plot_markers

    metrics = pd.DataFrame(
        {
            "model": ["a"] * 3,
            "lang": ["en", "de", "fr"],
            "accuracy": [0.8, 0.5, 0.6],
            "role": ["student", "teacher", "student"],
        }
    )
    filled = plot_markers(metrics, "en")
    assert filled == {"en": True, "de": True, "fr": False}


def test_vote_on_qa_predictions_says_what_reads_them(tmp_path: Path) -> None:
    from alsace_cli.io.artifacts import write_artifact

    rows = pd.DataFrame(
        {
            "id": ["q"],
            "lang": ["en"],
            "question_lang": ["en"],
            "answer": ["x"],
            "answer_start": [0],
            "score": [0.5],
            "candidates": [[{"text": "x", "start": 0, "score": 0.5}]],
        }
    )
    write_artifact(rows, tmp_path / "p.parquet", "qa_predictions", {})
    line = one_error_line(
        invoke("vote", "--predictions", tmp_path / "p.parquet", "--out", tmp_path / "v.parquet")
    )
    assert "select" in line and "need classification predictions" not in line


def test_renamed_options_still_work_with_a_warning(
    staged: Path, data_dir: Path, finetuned: Path, tmp_path: Path
) -> None:
    result = ok(
        "self-train",
        "--model",
        finetuned,
        "--predictions",
        staged / "p.parquet",
        "--data",
        data_dir / "unlabeled.parquet",
        "--languages",
        "all",
        "--out",
        tmp_path / "st",
        "--steps",
        1,
        "--batch-size",
        4,
        "--device",
        "cpu",
    )
    assert "--languages: renamed --scope" in result.stderr
    from alsace_cli.io.artifacts import read_meta

    assert read_meta(tmp_path / "st.train.parquet")["provenance"]["config"]["scope"] == "all"
    config = tmp_path / "d.toml"
    config.write_text("[distill]\nforce = true\n")
    from alsace_cli.configs import DistillConfig, resolve

    assert resolve(DistillConfig, "distill", config_file=config).allow_other_corpus is True
    # --steps means --max-steps in every command that trains.
    ok(
        "finetune",
        "--model",
        finetuned,
        "--train",
        data_dir / "train.parquet",
        "--out",
        tmp_path / "ft",
        "--steps",
        1,
        "--batch-size",
        4,
        "--device",
        "cpu",
        "--overwrite",
    )


def test_json_errors_answer_on_stdout(tmp_path: Path) -> None:
    """Issue 35.13: with --json a failing command printed nothing on stdout."""
    import json

    result = invoke(
        "vote", "--predictions", tmp_path / "absent.parquet", "--out", tmp_path / "v.parquet", "--json"
    )
    assert result.exit_code == 2
    payload = json.loads(result.stdout)
    assert payload["exit_code"] == 2 and "absent.parquet" in payload["error"]
    usage = invoke("vote", "--nope", "--json")
    assert usage.exit_code == 2 and json.loads(usage.stdout)["exit_code"] == 2


def test_user_text_in_the_report_keeps_its_brackets(tmp_path: Path, data_dir: Path, finetuned: Path) -> None:
    """Issue 35.8: Rich read `[translate-test]` and `[bold]` in a path as markup and ate them."""
    import shutil

    model = tmp_path / "ft [bold]"
    shutil.copytree(finetuned, model)
    result = invoke(
        "eval", "--model", model, "--data", data_dir / "test.parquet", "--out", tmp_path / "m.parquet"
    )
    assert result.exit_code == 0, result.output
    assert "ft [bold]" in result.stderr


def test_quiet_shows_warnings_and_errors_only(tmp_path: Path, data_dir: Path) -> None:
    """Issue 35.14: --quiet / --verbose, as transformers' and accelerate's logging have."""
    import subprocess
    import sys

    def alsace(*args: object) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "alsace_cli", *map(str, args)]
        return subprocess.run(command, capture_output=True, text=True)

    loud = alsace("vote", "--predictions", tmp_path / "absent.parquet", "--out", tmp_path / "v.parquet")
    quiet = alsace("--quiet", "data", "info", data_dir / "test.parquet")
    assert loud.returncode == 2 and "error:" in loud.stderr
    assert quiet.returncode == 0 and quiet.stderr.strip() == "", quiet.stderr
    assert alsace(
        "-q", "vote", "--predictions", tmp_path / "absent.parquet", "--out", tmp_path / "v.parquet"
    ).stderr
    assert "--verbose" in alsace("--help").stdout
