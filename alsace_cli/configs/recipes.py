"""Named recipes: the settings of the pipeline's stages that make one method (alsace_cli/recipes/*.toml).

A recipe is a TOML file of stage sections ([vote], [select], [make-pairs], [distill], ...); `alsace run`
lays the run file's own sections over it, so a setting in the run file wins. `--recipe` takes a recipe's
name or a path to a TOML file of the same shape. docs/recipes.md says how the default was chosen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alsace_cli.configs.resolve import load_toml
from alsace_cli.errors import AlsaceError

RECIPES = Path(__file__).resolve().parent.parent / "recipes"
DEFAULT_RECIPE: str | None = None  # chosen by the rule in BENCHMARKS.md; None: the stages' own defaults


def recipe_names() -> list[str]:
    return sorted(path.stem for path in RECIPES.glob("*.toml"))


def load_recipe(name: str, sections: frozenset[str]) -> dict[str, dict[str, Any]]:
    """The recipe's stage sections; each must be one of `sections` (no [run]: a recipe names no data)."""
    path = Path(name) if name.endswith(".toml") else RECIPES / f"{name}.toml"
    if not path.is_file():
        raise AlsaceError(f"--recipe {name}: no such recipe (known: {', '.join(recipe_names())}, or a TOML file)")
    recipe = load_toml(path)
    unknown = sorted(set(recipe) - sections)
    if unknown:
        raise AlsaceError(f"{path}: unknown section [{unknown[0]}] for a recipe (known: {', '.join(sorted(sections))})")
    return recipe
