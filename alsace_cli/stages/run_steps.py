"""`alsace run`'s steps and when one is skipped: its output exists and its fingerprint (its resolved
settings plus the sha256 of each input) matches the one recorded in `run_state.json` when it ran."""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alsace_cli.configs import to_toml_dict
from alsace_cli.io.atomic import atomic_file
from alsace_cli.io.provenance import hash_path
from alsace_cli.runtime import report


@dataclass
class Step:
    name: str
    settings: Any
    inputs: list[str | None]
    output: Path
    action: Callable[[], Any]


@contextlib.contextmanager
def run_log(root: Path, header: bool = True) -> Iterator[None]:
    """What is printed inside the block, tables included, also goes to `run.log` in the run directory
    (appended; each run starts with a header line of its time and command line), also when a stage fails."""
    from alsace_cli.io import provenance

    report.console.record = True
    report.console.export_text(clear=True)  # what was printed before is not this block's
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    try:
        yield
    finally:
        text = report.console.export_text(clear=True)
        report.console.record = False
        if root.is_dir():
            command = " ".join(["alsace", *(provenance.COMMAND_LINE or [])])
            with open(root / "run.log", "a", encoding="utf-8") as handle:
                handle.write((f"== {started}: {command}\n" if header else "") + text)


def execute(steps: list[Step], root: Path, force: bool = False) -> tuple[list[str], list[str]]:
    """Run the steps whose outputs are missing or whose fingerprints changed; record each one that ran."""
    root.mkdir(parents=True, exist_ok=True)
    state_path = root / "run_state.json"
    state: dict[str, str] = {} if force or not state_path.exists() else json.loads(state_path.read_text())
    ran: list[str] = []
    skipped: list[str] = []
    for step in steps:
        fingerprint = _fingerprint(step.name, step.settings, step.inputs)
        if step.output.exists() and state.get(step.name) == fingerprint:
            report.info(f"[dim]run: {step.name} is up to date ({report.esc(step.output)}), skipped[/dim]")
            skipped.append(step.name)
            continue
        report.info(f"[bold]run: {step.name}[/bold] [dim]{time.strftime('%H:%M:%S')}[/dim]")
        step.action()
        state[step.name] = fingerprint
        with atomic_file(state_path) as tmp:
            tmp.write_text(json.dumps(state, indent=2, sort_keys=True))
        ran.append(step.name)
    return ran, skipped


def _fingerprint(stage: str, settings: Any, inputs: list[str | None]) -> str:
    payload = {
        "stage": stage,
        "settings": to_toml_dict(settings) if not isinstance(settings, dict) else settings,
        "inputs": {str(p): hash_path(p) for p in inputs if p},
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()
