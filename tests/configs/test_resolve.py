from __future__ import annotations

from pathlib import Path

import pytest

from alsace_cli.configs import resolve
from alsace_cli.errors import AlsaceError
from alsace_cli.io.outputs import save_config
from alsace_cli.stages.distill import DistillConfig


def test_defaults_then_file_then_flags(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[distill]\nlearning_rate = 1e-6\ntemperature = 2.0\nmodel = "m"\n')
    config = resolve(DistillConfig, "distill", flags={"temperature": 3.0, "seed": None}, config_file=path)
    assert config.learning_rate == 1e-6  # from the file
    assert config.temperature == 3.0  # the flag wins
    assert config.seed == DistillConfig().seed  # a flag left unset (None) does not override
    assert config.model == "m"


def test_unknown_key_and_missing_required(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[distill]\nlr = 1\n")
    with pytest.raises(AlsaceError, match="unknown setting 'lr'"):
        resolve(DistillConfig, "distill", config_file=path)
    with pytest.raises(AlsaceError, match="missing --pairs"):
        resolve(
            DistillConfig, "distill", flags={"model": "m", "data": "d"}, required=("model", "data", "pairs")
        )


def test_saved_config_reruns_the_same_job(tmp_path: Path) -> None:
    """Saved paths are relative to the saved file and read back relative to it: the same files."""
    import dataclasses
    import os

    config = DistillConfig(
        model="m", data="d", pairs="p", temperature=1.5, teacher="mutual", dev="dev.parquet"
    )
    saved = save_config(config, "distill", tmp_path / "sub" / "saved.toml")
    assert 'data = "../../' in saved.read_text()  # relative to the file's folder
    again = resolve(DistillConfig, "distill", config_file=saved)
    expected = dataclasses.replace(
        config, **{k: os.path.abspath(getattr(config, k)) for k in ("data", "pairs", "dev", "out")}
    )
    assert again == expected and again.model == "m"  # a model that names no local folder is a hub id


def test_paths_in_a_config_file_are_relative_to_its_folder(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "ft").mkdir()
    path = tmp_path / "conf" / "c.toml"
    path.write_text('[distill]\nmodel = "ft"\ndata = "corpus.parquet"\nout = "../out/d"\n')
    config = resolve(DistillConfig, "distill", config_file=path)
    assert config.model == str(tmp_path / "conf" / "ft")  # a local folder beside the file
    assert config.data == str(tmp_path / "conf" / "corpus.parquet") and config.out == str(
        tmp_path / "out" / "d"
    )
    path.write_text('[distill]\nmodel = "xlm-roberta-base"\n')
    assert resolve(DistillConfig, "distill", config_file=path).model == "xlm-roberta-base"


def test_a_crash_mid_write_leaves_the_previous_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pandas as pd
    import pyarrow.parquet as pq

    from alsace_cli.io.artifacts import read_artifact, write_artifact

    path = tmp_path / "pairs.parquet"
    first = pd.DataFrame({"id": ["a"], "student_lang": ["de"], "teacher_lang": ["en"]})
    write_artifact(first, path, "pairs")
    real = pq.write_table

    def crash(table, where, *args, **kwargs):
        real(table.slice(0, 0), where)  # part of the file is on disk, then the process dies
        raise KeyboardInterrupt

    monkeypatch.setattr(pq, "write_table", crash)
    with pytest.raises(KeyboardInterrupt):
        write_artifact(pd.concat([first, first.assign(id="b")]), path, "pairs")
    assert read_artifact(path, "pairs").frame["id"].tolist() == ["a"]
    assert [p.name for p in tmp_path.iterdir()] == ["pairs.parquet"]


def test_config_values_are_type_and_range_checked(tmp_path: Path) -> None:
    from alsace_cli.stages.finetune import FinetuneConfig

    path = tmp_path / "c.toml"
    path.write_text('[finetune]\nbatch_size = "eight"\n')
    with pytest.raises(AlsaceError, match=r"c.toml \[finetune\] batch_size = 'eight': expected an integer"):
        resolve(FinetuneConfig, "finetune", config_file=path)
    path.write_text("[finetune]\nlearning_rate = 1\nwarmup_ratio = true\n")
    with pytest.raises(AlsaceError, match="warmup_ratio = True: expected a number"):
        resolve(FinetuneConfig, "finetune", config_file=path)
    with pytest.raises(AlsaceError, match="--epochs = -1: must be greater than 0"):
        resolve(FinetuneConfig, "finetune", flags={"epochs": -1})
    assert resolve(FinetuneConfig, "finetune", flags={"epochs": 2}).epochs == 2  # an int where a float goes
