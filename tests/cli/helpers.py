from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from alsace_cli.cli.app import app

runner = CliRunner()


def invoke(*args: str | Path):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def ok(*args: str | Path):
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    return result


def stdout_json(result) -> dict:
    return json.loads(result.stdout)


def leftovers(directory: Path) -> list[str]:
    """Temporary files a failed write would leave behind."""
    return [p.name for p in directory.iterdir() if p.name.startswith(".") and ".tmp" in p.name]


def write_config(path: Path, data_dir: Path, run_dir: Path, distill_lr: float = 1e-4) -> Path:
    path.write_text(
        f"""
[run]
dir = "{run_dir}"
model = "tiny"
train = "{data_dir / "train.parquet"}"
unlabeled = "{data_dir / "unlabeled.parquet"}"
test = "{data_dir / "test.parquet"}"
device = "cpu"

[finetune]
max_steps = 2
batch_size = 8
learning_rate = 1e-3

[distill]
max_steps = 2
pairs_per_batch = 4
learning_rate = {distill_lr}
"""
    )
    return path
