"""Typed stage configs: dataclass defaults < a TOML config file's section < command-line flags.

A config is resolved once, before a stage starts, and saved beside the stage's output as TOML in the
same layout it is read in, so `alsace STAGE --config saved.toml` reruns the exact job.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import tomllib

from alsace_cli.configs.fields import NAME_OR_PATH_FIELDS, PATH_FIELDS
from alsace_cli.errors import AlsaceError

T = TypeVar("T")


def load_toml(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.exists():
        raise AlsaceError(f"{path}: no such config file")
    if path.is_dir():
        found = sorted(p.name for p in path.glob("*.toml"))
        hint = f" (it holds {', '.join(found[:4])})" if found else ""
        raise AlsaceError(f"{path}: a folder, not a config file; --config takes a TOML file{hint}")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise AlsaceError(
            f"{path}: not UTF-8 text (byte {exc.start}); save the config file as UTF-8"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise AlsaceError(f"{path}: not valid TOML ({exc})") from None


def _type_name(hint: Any) -> str:
    names = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) in (list, tuple):
        return "a list of strings"
    if args:
        return " or ".join(_type_name(a) for a in args)
    return names.get(hint, str(hint))


def _fits(value: Any, hint: Any) -> bool:
    """Whether a TOML or flag value fits a field's type hint (int is accepted where a float is wanted)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, arg) for arg in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if origin in (list, tuple):
        return isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    return True


def check_value(where: str, value: Any, hint: Any, meta: Any) -> None:
    """Raise naming `where` (a flag, or file [section] key) unless `value` has the type and range allowed."""
    if not _fits(value, hint):
        raise AlsaceError(f"{where} = {value!r}: expected {_type_name(hint)}")
    if value is None or isinstance(value, (bool, list, tuple)):
        return
    choices = meta.get("choices")
    if choices and value not in choices:
        raise AlsaceError(f"{where}: unknown value {value!r} (use {', '.join(choices)})")
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise AlsaceError(f"{where} = {value!r}: expected a finite number")
        if meta.get("above") is not None and not value > meta["above"]:
            raise AlsaceError(f"{where} = {value!r}: must be greater than {meta['above']:g}")
        if meta.get("minimum") is not None and value < meta["minimum"]:
            raise AlsaceError(f"{where} = {value!r}: must be at least {meta['minimum']:g}")
        if meta.get("maximum") is not None and value > meta["maximum"]:
            raise AlsaceError(f"{where} = {value!r}: must be at most {meta['maximum']:g}")


def flag_name(name: str) -> str:
    return "--" + name.replace("_", "-")


def _section_of(raw: dict[str, Any], section: str, config_file: str | Path) -> Any:
    """A config file's [section]; every top-level name must be a section of a stage (a misspelt one is
    refused, naming the one meant, rather than leaving the stage on its defaults)."""
    import difflib

    from alsace_cli.configs.table import SECTIONS

    for name in raw:
        if name not in SECTIONS:
            meant = difflib.get_close_matches(name.replace("_", "-"), sorted(SECTIONS), n=1, cutoff=0.6)
            hint = f"; did you mean [{meant[0]}]?" if meant else ""
            raise AlsaceError(
                f"{config_file}: unknown section [{name}] (known: {', '.join(sorted(SECTIONS))}){hint}"
            )
    return raw.get(section, {})


def _relative_to(folder: Path, values: dict[str, Any]) -> dict[str, Any]:
    """A TOML file's paths read relative to the file's folder (a model or recipe only where that path exists:
    otherwise it is a hub id or a recipe's name)."""
    import os

    def place(value: Any, name_or_path: bool) -> Any:
        if not isinstance(value, str) or not value or Path(value).is_absolute():
            return value
        joined = os.path.normpath(folder / value)
        return value if name_or_path and not Path(joined).exists() else joined

    out = {}
    for key, value in values.items():
        if key in PATH_FIELDS or key in NAME_OR_PATH_FIELDS:
            keep = key in NAME_OR_PATH_FIELDS
            value = [place(v, keep) for v in value] if isinstance(value, list) else place(value, keep)
        out[key] = value
    return out


def relative_paths(values: dict[str, Any], folder: Path) -> dict[str, Any]:
    """The inverse, for saving: paths written relative to the folder of the file they go in (a model or
    recipe only when it names a local path), so that reading the file back finds the same files."""
    import os

    def place(value: Any, name_or_path: bool) -> Any:
        if not isinstance(value, str) or not value or (name_or_path and not Path(value).exists()):
            return value
        return os.path.relpath(value, folder)

    out = {}
    for key, value in values.items():
        if key in PATH_FIELDS or key in NAME_OR_PATH_FIELDS:
            keep = key in NAME_OR_PATH_FIELDS
            value = [place(v, keep) for v in value] if isinstance(value, list) else place(value, keep)
        out[key] = value
    return out


def _renamed(values: dict[str, Any], fields: dict[str, Any], label: str) -> dict[str, Any]:
    """A file's keys with a field's earlier name (its `was`) read as the field, each with a one-line warning."""
    import sys

    old = {name: field.name for field in fields.values() for name in field.metadata.get("was", ())}
    out = {}
    for key, value in values.items():
        if key in old and key not in fields:
            print(
                f"warning: {label} {key}: renamed {old[key]}; the old name still works for now",
                file=sys.stderr,
            )
            key = old[key]
        out[key] = value
    return out


def resolve(
    cls: type[T],
    section: str,
    flags: dict[str, Any] | None = None,
    config_file: str | Path | None = None,
    file_values: dict[str, Any] | None = None,
    required: tuple[str, ...] = (),
    file_label: str | None = None,
    file_dir: Path | None = None,
    recipe: tuple[str, dict[str, Any]] | None = None,
) -> T:
    """Build `cls` from its defaults, then a recipe's `[section]` (`recipe`: its label and values), then the
    file's `[section]`, then the flags that were given (not None).

    Every value is checked against its field's type and range; an error names the flag, or the file, section
    and key, it came from. Paths in a file are relative to its folder (`file_dir` for `file_values`).
    """
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    where: dict[str, str] = {}
    sources: list[tuple[str, dict[str, Any]]] = [recipe] if recipe else []
    if config_file is not None:
        raw = _section_of(load_toml(config_file), section, config_file)
        if not isinstance(raw, dict):
            raise AlsaceError(f"{config_file}: {section} must be a [{section}] section, not a value")
        sources.append((f"{config_file} [{section}]", _relative_to(Path(config_file).parent, raw)))
    if file_values:
        placed = _relative_to(file_dir, file_values) if file_dir is not None else file_values
        sources.append((f"{file_label} [{section}]" if file_label else f"[{section}]", placed))
    for label, section_values in sources:
        section_values = _renamed(section_values, fields, label)
        unknown = sorted(set(section_values) - set(fields))
        if unknown:
            raise AlsaceError(f"{label}: unknown setting {unknown[0]!r} (known: {', '.join(sorted(fields))})")
        values.update(section_values)
        where.update({key: f"{label} {key}" for key in section_values})
    given = {key: value for key, value in (flags or {}).items() if value is not None}
    values.update(given)
    where.update({key: flag_name(key) for key in given})
    for name in required:
        if values.get(name) in (None, "", []):
            flag = (
                (fields[name].metadata.get("flags") or (flag_name(name),))[0]
                if name in fields
                else flag_name(name)
            )
            raise AlsaceError(f"missing {flag} (or `{name}` in the [{section}] section of a --config file)")
    for name, value in values.items():
        if name in fields:
            check_value(where.get(name, name), value, hints[name], fields[name].metadata)
    config = cls(**values)
    if hasattr(config, "validate"):  # the rules that tie one field to another
        config.validate()
    return config


def to_toml_dict(config: Any) -> dict[str, Any]:
    """A config as TOML-ready values: Paths as strings, None left out (TOML has no null)."""
    out: dict[str, Any] = {}
    for key, value in dataclasses.asdict(config).items():
        if value is None:
            continue
        out[key] = str(value) if isinstance(value, Path) else value
    return out


def config_path_for(output: str | Path) -> Path:
    """Where a stage saves its resolved config: `X.config.toml` beside a file, `alsace_config.toml` in a dir."""
    output = Path(output)
    if output.suffix == ".parquet":
        return output.with_name(output.stem + ".config.toml")
    return output / "alsace_config.toml"
