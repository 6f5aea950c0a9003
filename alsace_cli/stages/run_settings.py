"""How `alsace run` reads its settings: the run file's sections (each checked to be a known stage's), a
recipe laid under them, and `--set SECTION.KEY=VALUE` laid over them, every value checked as a config
file's would be."""

from __future__ import annotations

import os
import typing
from pathlib import Path
from typing import Any

import pandas as pd

from alsace_cli.configs.fields import PATH_FIELDS
from alsace_cli.configs.recipes import (
    AUTO,
    AUTO_CANDIDATES,
    FALLBACK_GUARD_RULE,
    auto_candidates,
    load_recipe,
)
from alsace_cli.configs.table import PIPELINE, RUN_SECTIONS
from alsace_cli.errors import AlsaceError


def sections_of(raw: dict[str, Any], config_file: str | Path) -> dict[str, dict[str, Any]]:
    known = set(RUN_SECTIONS)
    unknown = sorted(set(raw) - known)
    if unknown:
        raise AlsaceError(
            f"{config_file}: unknown section [{unknown[0]}] (known: {', '.join(sorted(known))})"
        )
    for name, value in raw.items():
        if not isinstance(value, dict):
            raise AlsaceError(f"{config_file}: {name} = {value!r} must be a [{name}] section")
    return {name: dict(raw.get(name, {})) for name in known}


SECTION_CONFIGS = RUN_SECTIONS  # section → its config class, from the stage table


def with_settings(sections: dict[str, dict[str, Any]], settings: list[str]) -> dict[str, dict[str, Any]]:
    """`--set SECTION.KEY=VALUE` laid over the run file: each value is read as TOML (a bare word as text) and
    checked against its setting's type and range, naming the --set that holds it."""
    import tomllib

    from alsace_cli.configs import check_value

    for item in settings:
        name, equals, text = item.partition("=")
        section, dot, key = name.strip().rpartition(".")
        if not equals or not dot or section not in SECTION_CONFIGS:
            raise AlsaceError(
                f"--set {item}: expected SECTION.KEY=VALUE with SECTION one of "
                f"{', '.join(SECTION_CONFIGS)} (e.g. distill.teacher=static)"
            )
        fields = SECTION_CONFIGS[section].__dataclass_fields__
        if key not in fields:
            raise AlsaceError(
                f"--set {item}: unknown setting {key!r} of [{section}] (known: {', '.join(sorted(fields))})"
            )
        try:
            value = tomllib.loads(f"value = {text.strip()}")["value"]
        except tomllib.TOMLDecodeError:
            value = text.strip()
        hints = typing.get_type_hints(SECTION_CONFIGS[section])
        check_value(f"--set {section}.{key}", value, hints[key], fields[key].metadata)
        if key in PATH_FIELDS and isinstance(
            value, str
        ):  # typed here: relative to this folder, not the file's
            value = os.path.abspath(value)
        sections[section][key] = value
    return sections


def with_recipe(
    name: str | None, sections: dict[str, dict[str, Any]], has_dev: bool = False, fallback: bool = False
) -> dict[str, dict[str, Any]]:
    """The run file's stage sections laid over the recipe's: a setting in the run file wins. A `fallback`
    recipe (the rule's default when no candidate qualified) keeps the fine-tuned weights unless [run] dev shows a gain, so
    with a dev set its guard rule becomes FALLBACK_GUARD_RULE."""
    if name is None:
        return sections
    if name == AUTO:  # the candidates' shared sections; their [distill] sections are auto_distill_sections'
        recipe = {
            k: v
            for k, v in auto_candidates(frozenset(PIPELINE))[AUTO_CANDIDATES[0]].items()
            if k != "distill"
        }
    else:
        recipe = load_recipe(name, frozenset(PIPELINE))
    recipe = {
        section: _without_length(values, sections.get(section, {})) for section, values in recipe.items()
    }
    distill = recipe.setdefault("distill", {})
    if fallback and has_dev:
        distill["guard_rule"] = FALLBACK_GUARD_RULE
    if not has_dev and sections["distill"].get("collapse_check") is False:
        distill.pop("eval_every", None)  # the run turned off the only check there is: no cadence to keep
    return {section: {**recipe.get(section, {}), **values} for section, values in sections.items()}


# A run's length is one setting written two ways: a length the run file gives wins whole over the recipe's.
LENGTH = ("epochs", "max_steps")


def _without_length(recipe: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    """A recipe section less its length when the run file's section gives one (max_steps beats epochs, so a
    recipe's max_steps would otherwise silently override the file's epochs)."""
    if any(key in own for key in LENGTH):
        return {k: v for k, v in recipe.items() if k not in LENGTH}
    return recipe


def auto_distill_sections(own: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`--recipe auto`: each candidate's [distill] with the run file's own laid over it. Each candidate's guard
    keeps its best check on dev (`guard_rule = "best"`) unless the file sets a rule: choose_recipe corrects
    for every check looked at."""
    out = {}
    for name, recipe in auto_candidates(frozenset(PIPELINE)).items():
        section = {"guard_rule": "best", **_without_length(recipe.get("distill", {}), own)}
        out[name] = {**section, **own}
    return out


def position_limit(model: str) -> int | None:
    """The most tokens a model takes, read from a local model folder's files without loading it (None when
    the model is a hub id: the stage that loads it checks)."""
    import json

    from alsace_cli.tasks.models import position_limit as limit_of

    folder = Path(model)
    if not (folder / "config.json").is_file():
        return None
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    tokenizer = folder / "tokenizer_config.json"
    most = (
        json.loads(tokenizer.read_text(encoding="utf-8")).get("model_max_length")
        if tokenizer.is_file()
        else None
    )
    return limit_of(config, most)


def check_lengths(configs: dict[str, Any], limit: int | None, model: str, config_file: str | Path) -> None:
    """Every stage's max_length against the model's limit, before the first stage runs."""
    for name, config in configs.items():
        length = getattr(config, "max_length", None)
        if name != "translate" and limit and length and length > limit:
            raise AlsaceError(
                f"{config_file} [{name}] max_length = {length}: the model {model} takes at most "
                f"{limit} tokens"
            )


def settings_sources(
    configs: dict[str, Any], written: dict[str, set[str]], settings: list[str], recipe: str | None
) -> pd.DataFrame:
    """`run --print-config`: each stage's resolved settings and where each came from."""
    import dataclasses

    from alsace_cli.configs import to_toml_dict
    from alsace_cli.stages.run_wiring import WIRED

    typed = {item.partition("=")[0].strip() for item in settings}
    rows = []
    for name, config in configs.items():
        section = name.split(":")[0]
        defaults = {
            f.name: f.default for f in dataclasses.fields(config) if f.default is not dataclasses.MISSING
        }
        for key, value in to_toml_dict(config).items():
            if f"{section}.{key}" in typed:
                source = "--set"
            elif key in written.get(section, set()):
                source = "run file"
            elif key in WIRED or key in ("seed", "device"):
                source = "run"
            elif value != defaults.get(key, value) or (recipe and ":" in name):
                source = f"recipe {name.partition(':')[2] or recipe}"
            else:
                source = "default"
            rows.append({"stage": name, "setting": key, "value": str(value), "from": source})
    return pd.DataFrame(rows)
