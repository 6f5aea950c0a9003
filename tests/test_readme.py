"""README's stage-by-hand block runs as written, and again with --overwrite on each command, as it says."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from tests.cli.helpers import invoke

ROOT = Path(__file__).resolve().parents[1]


def readme_commands(section: str) -> list[list[str]]:
    text = (ROOT / "README.md").read_text()
    block = text.split(f"## {section}", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    joined = re.sub(r"\\\n\s*", " ", block)
    return [
        shlex.split(line.split("#")[0]) for line in joined.splitlines() if line.strip().startswith("alsace ")
    ]


def test_the_stage_by_hand_block_runs_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    commands = readme_commands("Running the stages one by one")
    assert [c[1] for c in commands] == [
        "tiny-model",
        "finetune",
        "predict",
        "vote",
        "select",
        "make-pairs",
        "distill",
        "eval",
    ]
    monkeypatch.chdir(ROOT)
    for again in (False, True):
        for command in commands:
            args = [a.replace("runs/demo", str(tmp_path / "demo")) for a in command[1:]]
            extra = (["--overwrite"] if again else []) + (["--device", "cpu"] if "--model" in args else [])
            result = invoke(*args, *extra)
            assert result.exit_code == 0, (" ".join(args), result.output[-2000:])
    assert (tmp_path / "demo" / "metrics.parquet").exists() and (tmp_path / "demo" / "accuracy.png").exists()
