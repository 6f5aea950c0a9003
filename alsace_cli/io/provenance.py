"""Where an artifact came from: versions, command, config, input hashes, seed.

Every artifact carries this in its Parquet metadata (and model directories in `alsace_provenance.json`) so
that a result can be traced back to the exact inputs and rerun.
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
from dataclasses import asdict, is_dataclass
from datetime import datetime, timezone
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from alsace_cli import __version__

_PACKAGES = ("torch", "transformers", "accelerate", "pandas", "pyarrow", "numpy")
# Files that do not change what a model computes: hashing them would make two identical models differ (the
# model card also gains eval's metrics after the model was used downstream).
_IGNORED_IN_DIRS = {"alsace_provenance.json", "training_args.bin", "README.md"}


COMMAND_LINE: list[str] | None = None  # the arguments the `alsace` command was run with (cli sets it)


def command_line() -> str:
    """`alsace ARGS` as the user typed it (the process's argv when no command set it)."""
    args = COMMAND_LINE if COMMAND_LINE is not None else sys.argv[1:]
    return " ".join(["alsace", *map(str, args)])


def package_versions() -> dict[str, str]:
    versions = {"alsace": __version__, "python": platform.python_version()}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


# When and by which command line an artifact was written: not what it holds.
VOLATILE = ("created_at", "command")


def content_meta(meta: dict[str, Any]) -> dict[str, Any]:
    """alsace metadata without its volatile fields, at the top and in its provenance."""
    out = {k: v for k, v in meta.items() if k not in VOLATILE}
    if isinstance(out.get("provenance"), dict):
        out["provenance"] = {k: v for k, v in out["provenance"].items() if k not in VOLATILE}
    return out


def _parquet_digest(path: str, size: int) -> str | None:
    """sha256 of a Parquet artifact's data pages and its alsace metadata less VOLATILE, or None if not one.

    The footer (which holds the metadata, time of writing included) is left out and the metadata hashed
    without its time, so two runs that write the same rows record the same hash downstream.
    """
    import pyarrow.parquet as pq

    with open(path, "rb") as handle:
        if size < 12 or handle.read(4) != b"PAR1":
            return None
        handle.seek(size - 8)
        footer = int.from_bytes(handle.read(4), "little")
        if handle.read(4) != b"PAR1" or footer + 12 > size:
            return None
        try:
            schema = pq.read_schema(path)
        except Exception:  # noqa: BLE001 - an unreadable file is hashed as plain bytes
            return None
        raw = (schema.metadata or {}).get(b"alsace")
        if raw is None:
            return None
        digest = hashlib.sha256(b"alsace-parquet-content-v1")
        handle.seek(0)
        remaining = size - 8 - footer
        while remaining > 0:
            chunk = handle.read(min(1 << 20, remaining))
            digest.update(chunk)
            remaining -= len(chunk)
    digest.update(str(schema.remove_metadata()).encode())
    digest.update(json.dumps(content_meta(json.loads(raw)), sort_keys=True, default=str).encode())
    return digest.hexdigest()


@lru_cache(maxsize=256)
def _hash_file_cached(path: str, size: int, mtime_ns: int) -> str:
    if path.endswith(".parquet"):
        found = _parquet_digest(path, size)
        if found is not None:
            return found
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def hash_path(path: str | Path) -> str:
    """sha256 of a file, or of a directory's files (names and contents, sorted); a hub id hashes its name and
    the commit it resolves to in the local cache (`hub:<sha256 of the name>@<commit>`).

    An alsace Parquet artifact is hashed by content: its data and its metadata without the time and
    command it was written with (see `_parquet_digest`); any other file by its bytes.

    Cached on (path, size, mtime) so that a model directory used by several stages is read once.
    """
    p = Path(path)
    if p.is_file():
        stat = p.stat()
        return _hash_file_cached(str(p.resolve()), stat.st_size, stat.st_mtime_ns)
    if p.is_dir():
        digest = hashlib.sha256()
        for child in sorted(q for q in p.rglob("*") if q.is_file() and q.name not in _IGNORED_IN_DIRS):
            digest.update(str(child.relative_to(p)).encode())
            digest.update(hash_path(child).encode())
        return digest.hexdigest()
    commit = hub_commit(str(path))
    return "hub:" + hashlib.sha256(str(path).encode()).hexdigest() + (f"@{commit}" if commit else "")


def hub_commit(name: str) -> str | None:
    """The commit a hub id resolves to in this machine's Hugging Face cache (no network), or None: so that
    an artifact made from a model that since changed on the hub reads as stale."""
    try:
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(name, "config.json")
    except Exception:  # noqa: BLE001 - not a repository id, or no cache: the name alone is recorded
        return None
    return Path(found).parent.name if isinstance(found, str) else None


def config_to_dict(config: Any) -> dict[str, Any]:
    raw = asdict(config) if is_dataclass(config) else dict(config)
    return {key: (str(value) if isinstance(value, Path) else value) for key, value in raw.items()}


def make_provenance(
    stage: str, config: Any, inputs: dict[str, str | Path | None], seed: int | None = None
) -> dict[str, Any]:
    return {
        "stage": stage,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": command_line(),
        "versions": package_versions(),
        "config": config_to_dict(config),
        "inputs": {
            name: {"path": str(value), "sha256": hash_path(value)}
            for name, value in inputs.items()
            if value is not None
        },
        "seed": seed,
    }
