"""`alsace verify RUN_DIR`: recompute the input hashes each artifact's provenance records; say what is stale.

An artifact is stale when an input it was made from has changed or is gone since it was written, or when an
input is itself stale (upstream). Model directories are checked through `alsace_provenance.json`; the
training log inside a model directory and checkpoints are part of their model and not listed apart.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alsace_cli.errors import AlsaceError
from alsace_cli.io.artifacts import read_meta
from alsace_cli.io.provenance import hash_path


@dataclass
class Verdict:
    artifact: str
    stage: str
    status: str  # ok, stale, unknown
    reason: str


def _provenance(path: Path) -> dict | None:
    try:
        if path.is_dir():
            return json.loads((path / "alsace_provenance.json").read_text())
        return read_meta(path).get("provenance")
    except (OSError, ValueError):
        return None


def _artifacts(root: Path) -> list[Path]:
    models = sorted(p.parent for p in root.rglob("alsace_provenance.json"))
    models = [m for m in models if not m.name.endswith(".checkpoint")]
    inside = [p for p in sorted(root.rglob("*.parquet")) if not any(p.is_relative_to(m) for m in models)]
    return models + [p for p in inside if not any(part.endswith(".checkpoint") for part in p.parts)]


def verify(run_dir: str | Path) -> list[Verdict]:
    root = Path(run_dir)
    if root.is_file():
        raise AlsaceError(
            f"{root}: a file; verify takes the folder that holds it and its inputs "
            f"(alsace verify {root.parent})"
        )
    if not root.is_dir():
        raise AlsaceError(f"{root}: no such run directory")
    found = _artifacts(root)
    if not found:
        raise AlsaceError(f"{root}: holds no alsace artifact (Parquet files or model directories)")
    verdicts: dict[Path, Verdict] = {}
    inputs_of: dict[Path, list[Path]] = {}
    for path in found:
        name = str(path.relative_to(root)) + ("/" if path.is_dir() else "")
        provenance = _provenance(path)
        if not provenance or "inputs" not in provenance:
            verdicts[path.resolve()] = Verdict(name, "?", "unknown", "no provenance recorded")
            continue
        stage, reasons, inputs_of[path.resolve()] = provenance.get("stage", "?"), [], []
        for key, record in provenance["inputs"].items():
            source = Path(record["path"])
            inputs_of[path.resolve()].append(source.resolve())
            if record["sha256"].startswith("hub:"):  # a hub id: the commit its name resolves to in the cache
                now = hash_path(source)
                if "@" in now and now != record["sha256"]:
                    was = record["sha256"].partition("@")[2] or "unrecorded"
                    reasons.append(
                        f"input {key} {source}: the hub model is now commit {now.partition('@')[2]} "
                        f"(was {was})"
                    )
                continue
            if not source.exists():
                reasons.append(f"input {key} {source} is gone")
            elif hash_path(source) != record["sha256"]:
                reasons.append(f"input {key} {source} changed since")
        verdicts[path.resolve()] = Verdict(name, stage, "stale" if reasons else "ok", "; ".join(reasons))
    changed = True
    while changed:  # staleness flows downstream, through inputs that are artifacts of this run
        changed = False
        for path, sources in inputs_of.items():
            verdict = verdicts[path]
            upstream = [s for s in sources if s in verdicts and verdicts[s].status == "stale"]
            if upstream and verdict.status == "ok":
                verdict.status = "stale"
                verdict.reason = f"upstream {verdicts[upstream[0]].artifact} is stale"
                changed = True
    return list(verdicts.values())


def verify_run(config: Any) -> list[Verdict]:
    """`alsace verify RUN_DIR` (configs: VerifyConfig)."""
    return verify(config.run_dir)
