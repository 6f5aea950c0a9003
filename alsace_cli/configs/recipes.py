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
# The rule in BENCHMARKS.md picked the default from its grid: no candidate qualified (every one lost too much
# on XCOPA), so the rule ends in its fallback, the candidate closest to qualifying, with the guard keeping
# the fine-tuned weights unless [run] dev shows a gain. (The paper's live KL, the stages' own default,
# collapses real models.)
DEFAULT_RECIPE = "ensemble-conf"
DEFAULT_IS_FALLBACK = True
FALLBACK_GUARD_RULE = "gain"


# `--recipe auto`: distil each candidate from one fine-tuned model and keep the one the dev set shows best
# (stages/choose_recipe.py). The list's order breaks ties, simplest first. The candidates share every section
# but [distill], so one predict, vote, select and make-pairs serve them all. A run that names no recipe gets
# `auto` when its dev set has rows outside the source language: only such a dev set can see the gain.
AUTO = "auto"
AUTO_CANDIDATES = ("static", "static-ce", "ensemble-conf")


def default_guard_rule() -> str | None:
    """The guard rule a run that names no recipe gets with a dev set (None: the recipe's own)."""
    return FALLBACK_GUARD_RULE if DEFAULT_IS_FALLBACK else None


def default_name() -> str:
    """What a run that names no recipe gets, as one name (a benchmark row's): `RECIPE` or `RECIPE-RULE`."""
    return "-".join(filter(None, [DEFAULT_RECIPE, default_guard_rule()]))


def recipe_names() -> list[str]:
    return sorted(path.stem for path in RECIPES.glob("*.toml"))


def chosen_recipe(
    named: str | None, recipes_apply: bool, distils: bool, multilingual_dev: bool = False
) -> dict[str, Any]:
    """The recipe a run uses: the one it names, else the default where one applies (a classification run
    that distils: the default was chosen on classification benchmarks; QA keeps the stages' own settings).
    The default is `auto` with a dev set in languages beyond the source, else DEFAULT_RECIPE."""
    default = None
    if named is None and recipes_apply and distils:
        default = AUTO if multilingual_dev else DEFAULT_RECIPE
    return {
        "name": named or default,
        "default": default is not None,
        "fallback": default == DEFAULT_RECIPE and DEFAULT_IS_FALLBACK,
    }


def auto_candidates(sections: frozenset[str]) -> dict[str, dict[str, dict[str, Any]]]:
    """Each candidate of `auto` by name, checked to share every section but [distill] with the first."""
    candidates = {name: load_recipe(name, sections) for name in AUTO_CANDIDATES}
    first_name, first = next(iter(candidates.items()))
    for name, recipe in candidates.items():
        shared = {k: v for k, v in recipe.items() if k != "distill"}
        if shared != {k: v for k, v in first.items() if k != "distill"}:
            raise AlsaceError(
                f"recipe auto: candidate {name} differs from {first_name} outside [distill]; the "
                "candidates must share one predict, vote, select and make-pairs"
            )
    return candidates


def default_recipe_note(has_dev: bool, multilingual_dev: bool = False) -> str:
    """What a run with no recipe named gets, in one line a user can act on."""
    if multilingual_dev:
        return (
            f"recipe: auto (the default with a dev set beyond the source language): {', '.join(AUTO_CANDIDATES)} "
            "are each distilled and the one the dev set shows better than the fine-tuned model, after Holm's "
            "correction, is kept; else the fine-tuned model (docs/recipes.md)"
        )
    if not DEFAULT_IS_FALLBACK:
        return f"recipe: {DEFAULT_RECIPE} (the default, chosen by the rule in BENCHMARKS.md)"
    if has_dev:
        return (
            f"recipe: {DEFAULT_RECIPE} (the default: no recipe met the rule on every benchmark, so its "
            f"distilled weights are kept only if [run] dev shows a gain; [run] dev holds the source language only, "
            f"so it cannot see a gain elsewhere: dev rows in the target languages make the run choose its recipe; "
            f"docs/recipes.md)"
        )
    return (
        f"recipe: {DEFAULT_RECIPE} (the default, the rule's fallback; no [run] dev, so only the collapse "
        f"detector guards the run: add [run] dev, labeled rows in the target languages (or translated ones), "
        f"to let the run choose its recipe and keep a gain it can see)"
    )


def load_recipe(name: str, sections: frozenset[str]) -> dict[str, dict[str, Any]]:
    """The recipe's stage sections; each must be one of `sections` (no [run]: a recipe names no data)."""
    path = Path(name) if name.endswith(".toml") else RECIPES / f"{name}.toml"
    if not path.is_file():
        raise AlsaceError(
            f"--recipe {name}: no such recipe (known: {', '.join(recipe_names())}, auto, or a TOML file)"
        )
    recipe = load_toml(path)
    unknown = sorted(set(recipe) - sections)
    if unknown:
        raise AlsaceError(
            f"{path}: unknown section [{unknown[0]}] for a recipe (known: {', '.join(sorted(sections))})"
        )
    return recipe


# A stage command given any of these (by flag or --config) is taken to set its method itself, and gets no
# recipe unless it names one: the fields of these panels, and the guard's cadence and rule.
METHOD_PANELS = ("objective", "optimisation")
METHOD_FIELDS = ("eval_every", "guard_rule")


def stage_recipe(
    section: str, named: str | None, given: set[str], fields: dict[str, Any]
) -> tuple[str, dict[str, Any]] | None:
    """The recipe layer of a stage command (`alsace distill`, ...): the named recipe's [section], or with none
    named and no method option given, the default recipe's; `--recipe none` (or a method option) keeps the
    stage's own defaults. Returns (label, values) for resolve, or None."""
    if named == "none":
        return None
    method = {name for name, f in fields.items() if f.metadata.get("panel") in METHOD_PANELS} | set(
        METHOD_FIELDS
    )
    if named is None and given & method:
        return None
    name = named or DEFAULT_RECIPE
    from alsace_cli.configs.table import PIPELINE

    values = {k: v for k, v in load_recipe(name, frozenset(PIPELINE)).get(section, {}).items() if k in fields}
    return f"recipe {name} [{section}]", values
