"""Typed stage configs: dataclass defaults < a TOML config file's section < command-line flags.

A config is resolved once, before a stage starts, and saved beside the stage's output as TOML in the
same layout it is read in, so `alsace STAGE --config saved.toml` reruns the exact job.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, TypeVar

import tomli_w
import tomllib

from alsace_cli.errors import AlsaceError

T = TypeVar("T")


def load_toml(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.exists():
        raise AlsaceError(f"{path}: no such config file")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise AlsaceError(f"{path}: not valid TOML ({exc})") from None


def resolve(
    cls: type[T],
    section: str,
    flags: dict[str, Any] | None = None,
    config_file: str | Path | None = None,
    file_values: dict[str, Any] | None = None,
    required: tuple[str, ...] = (),
) -> T:
    """Build `cls` from its defaults, then the file's `[section]`, then the flags that were given (not None)."""
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    values: dict[str, Any] = {}
    sources: list[tuple[str, dict[str, Any]]] = []
    if config_file is not None:
        sources.append((f"{config_file} [{section}]", load_toml(config_file).get(section, {})))
    if file_values:
        sources.append((f"[{section}]", file_values))
    for where, section_values in sources:
        unknown = sorted(set(section_values) - names)
        if unknown:
            raise AlsaceError(f"{where}: unknown setting {unknown[0]!r} (known: {', '.join(sorted(names))})")
        values.update(section_values)
    values.update({key: value for key, value in (flags or {}).items() if value is not None})
    for name in required:
        if values.get(name) in (None, "", []):
            option = "--" + name.replace("_", "-")
            raise AlsaceError(f"missing {option} (or `{name}` in the [{section}] section of a --config file)")
    try:
        return cls(**values)
    except TypeError as exc:
        raise AlsaceError(f"[{section}]: {exc}") from None


def to_toml_dict(config: Any) -> dict[str, Any]:
    """A config as TOML-ready values: Paths as strings, None left out (TOML has no null)."""
    out: dict[str, Any] = {}
    for key, value in dataclasses.asdict(config).items():
        if value is None:
            continue
        out[key] = str(value) if isinstance(value, Path) else value
    return out


def save_config(config: Any, section: str, path: str | Path) -> Path:
    from alsace_cli.artifacts import atomic_file

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path) as tmp:
        tmp.write_text(tomli_w.dumps({section: to_toml_dict(config)}), encoding="utf-8")
    return path


def config_path_for(output: str | Path) -> Path:
    """Where a stage saves its resolved config: `X.config.toml` beside a file, `alsace_config.toml` in a dir."""
    output = Path(output)
    if output.suffix == ".parquet":
        return output.with_name(output.stem + ".config.toml")
    return output / "alsace_config.toml"
