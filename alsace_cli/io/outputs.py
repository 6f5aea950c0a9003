"""Checks on a stage's outputs, made before any work starts, so that no input and no file alsace did not
write is ever replaced, and a job does not run for hours to fail at its last line.

- An output equal to an input is always refused (and a model directory that holds an input).
- An output that exists is refused unless `--overwrite`; even then only if alsace wrote it: a Parquet file
  with alsace's metadata, a model directory with `alsace_provenance.json`, a config TOML of stage sections,
  a plot made by matplotlib.
- The folder an output goes in must be writable (probed with a temporary file), and not under a file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

from alsace_cli.configs import config_path_for
from alsace_cli.configs.resolve import relative_paths, to_toml_dict
from alsace_cli.configs.table import SECTIONS
from alsace_cli.errors import AlsaceError
from alsace_cli.io.artifacts import read_meta
from alsace_cli.io.atomic import atomic_file

PLOT_SUFFIXES = (".png", ".pdf", ".svg")
STAGE_SECTIONS = SECTIONS
RESULTS_KEY = "alsace_results"  # the key that marks a results.json written by alsace


@dataclass(frozen=True)
class Output:
    option: str  # how the user named it: --out, --plot, or "the config saved beside --out"
    path: Path
    kind: str  # artifact (Parquet), model (directory), config (TOML), plot, checkpoint (directory)


def artifact_output(option: str, path: str | Path) -> Output:
    return Output(option, Path(path), "artifact")


def model_output(option: str, path: str | Path) -> Output:
    return Output(option, Path(path), "model")


def config_output(path: str | Path, beside: str = "--out") -> Output:
    return Output(f"the config saved beside {beside}", Path(path), "config")


def results_output(option: str, path: str | Path) -> Output:
    return Output(option, Path(path), "results")


def results_path_for(output: str | Path) -> Path:
    """Where eval writes its results file: `X.results.json` beside `X.parquet`."""
    output = Path(output)
    return output.with_name(output.stem + ".results.json")


def plot_output(option: str, path: str | Path) -> Output:
    return Output(option, Path(path), "plot")


def is_ours(path: Path, kind: str) -> bool:
    """Whether an existing file or directory at `path` was written by alsace (so it may be replaced)."""
    try:
        if kind == "artifact":
            return "artifact" in read_meta(path)
        if kind == "results":
            import json

            return RESULTS_KEY in json.loads(path.read_text(encoding="utf-8"))
        if kind == "config":
            import tomllib

            return set(tomllib.loads(path.read_text(encoding="utf-8"))) <= STAGE_SECTIONS
        if kind == "plot":
            with path.open("rb") as handle:
                return b"atplotlib" in handle.read(4096)
        if kind in ("model", "checkpoint"):
            return (path / "alsace_provenance.json").is_file() or (path / "alsace_checkpoint.json").is_file()
    except (OSError, ValueError, UnicodeDecodeError):
        return False
    return False


def _check_existing(out: Output, overwrite: bool) -> None:
    path, where = out.path, f"{out.option} {out.path}"
    if out.kind in ("model", "checkpoint"):
        if path.exists() and not path.is_dir():
            raise AlsaceError(f"{where}: is a file; a model is written as a directory")
        if not path.is_dir() or not any(path.iterdir()):
            return
    elif path.is_dir():
        raise AlsaceError(f"{where}: is a directory; expected a file name")
    elif not path.exists():
        return
    if not is_ours(path, out.kind):
        raise AlsaceError(
            f"{where}: exists and was not written by alsace; it is never replaced (move it or pick another name)"
        )
    if not overwrite:
        raise AlsaceError(f"{where}: exists; pass --overwrite to replace it")


def _check_writable(out: Output) -> None:
    ancestor = out.path.absolute().parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise AlsaceError(f"{out.option} {out.path}: cannot be created: {ancestor} is a file, not a folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=".alsace-probe-", dir=ancestor)
    except OSError as exc:
        raise AlsaceError(
            f"{out.option} {out.path}: cannot write in {ancestor} ({exc.strerror or exc})"
        ) from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)


def _input_paths(inputs: Mapping[str, str | Path | Iterable[str | Path] | None]) -> list[tuple[str, Path]]:
    found = []
    for option, value in inputs.items():
        values = [value] if isinstance(value, (str, Path)) or value is None else list(value)
        found += [(option, Path(v).resolve()) for v in values if v and Path(v).exists()]
    return found


def check_outputs(
    outputs: list[Output],
    inputs: Mapping[str, str | Path | Iterable[str | Path] | None],
    overwrite: bool = False,
) -> None:
    """Raise an AlsaceError naming the option and path unless every output may be written (see the module)."""
    resolved_inputs = _input_paths(inputs)
    seen: dict[Path, str] = {}
    for out in outputs:
        where = f"{out.option} {out.path}"
        if out.kind == "artifact" and out.path.suffix != ".parquet":
            raise AlsaceError(f"{where}: an artifact's file name must end in .parquet")
        if out.kind == "plot" and out.path.suffix.lower() not in PLOT_SUFFIXES:
            raise AlsaceError(f"{where}: a plot's file name must end in {', '.join(PLOT_SUFFIXES)}")
        target = out.path.resolve()
        if target in seen:
            raise AlsaceError(f"{where}: is also {seen[target]}; give each output its own path")
        seen[target] = out.option
        for option, source in resolved_inputs:
            if source == target:
                raise AlsaceError(f"{where}: is also the input {option}; an input is never overwritten")
            if out.kind in ("model", "checkpoint") and source.is_relative_to(target):
                raise AlsaceError(f"{where}: holds the input {option} ({source}); pick another output folder")
        _check_existing(out, overwrite)
        _check_writable(out)


def check_artifact_outputs(
    out: str | Path,
    inputs: Mapping[str, str | Path | Iterable[str | Path] | None],
    overwrite: bool,
    extra: Iterable[Output] = (),
) -> None:
    """check_outputs for a stage that writes one artifact (`--out`) and its config beside it."""
    check_outputs(
        [artifact_output("--out", out), config_output(config_path_for(out)), *extra], inputs, overwrite
    )


def save_config(config: Any, section: str, path: str | Path) -> Path:
    """The resolved config as TOML, its paths relative to the file's folder (as they are read back)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path) as tmp:
        tmp.write_text(
            tomli_w.dumps({section: relative_paths(to_toml_dict(config), path.parent)}), encoding="utf-8"
        )
    return path
