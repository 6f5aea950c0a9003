from __future__ import annotations

from pathlib import Path

import pytest

from alsace_cli.config import resolve, save_config
from alsace_cli.errors import AlsaceError
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
    config = DistillConfig(
        model="m", data="d", pairs="p", temperature=1.5, teacher="mutual", dev="dev.parquet"
    )
    saved = save_config(config, "distill", tmp_path / "saved.toml")
    assert resolve(DistillConfig, "distill", config_file=saved) == config
