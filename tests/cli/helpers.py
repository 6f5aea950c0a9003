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
