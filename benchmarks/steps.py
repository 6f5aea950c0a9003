"""What every benchmark script shares: a resumable step runner that times each step, and alsace's CLI as a
function of keyword options.

Each step writes one output and is skipped when that output exists, so an interrupted benchmark resumes
where it stopped (alsace writes its artifacts atomically: one that exists is complete).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SHARED = Path(__file__).resolve().parents[2] / "shared"


def log(message: str, tag: str = "quality") -> None:
    print(f"[{tag} {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Runner:
    """Runs a step unless its output exists; records each step's wall time in <root>/timings.json."""

    def __init__(self, root: Path, tag: str = "quality") -> None:
        self.root = root
        self.tag = tag
        self.timings_path = root / "timings.json"
        self.timings: dict[str, float] = (
            json.loads(self.timings_path.read_text()) if self.timings_path.exists() else {}
        )

    def step(self, name: str, output: Path, action: Callable[[], Any]) -> Path:
        if output.exists():
            return output
        log(f"{name} → {output.relative_to(self.root)}", self.tag)
        start = time.perf_counter()
        action()
        self.timings[name] = round(time.perf_counter() - start, 1)
        self.timings_path.write_text(json.dumps(self.timings, indent=2, sort_keys=True))
        log(f"{name}: {self.timings[name]:.0f} s", self.tag)
        return output


def options(**values: Any) -> list[str]:
    """`--name value` for each keyword (underscores become dashes), in order; True gives the bare flag."""
    argv: list[str] = []
    for name, value in values.items():
        argv.append("--" + name.replace("_", "-"))
        if value is not True:
            argv.append(str(value))
    return argv


def build_me5_small(model_dir: str) -> str:
    """multilingual-e5-small, built offline by ../shared/tools (once; later calls return its path)."""
    return subprocess.run(
        [str(SHARED / "tools/build-me5-small"), model_dir],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHON": sys.executable},
    ).stdout.strip()
