"""`--rows default` in the benchmark scripts names what a run without a recipe gets, under its own name."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load(name: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))  # the scripts import their sibling modules
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("script", ["quality", "weak_majority"])
def test_the_default_row_is_the_default_recipe_with_its_guard_rule(script: str, monkeypatch) -> None:
    from alsace_cli.configs.recipes import DEFAULT_RECIPE, default_guard_rule

    module = load(script, monkeypatch)
    spec = module.ROWS[module.DEFAULT_ROW]
    assert spec["recipe"] == DEFAULT_RECIPE and spec.get("guard_rule") == default_guard_rule()
    assert "default" not in module.ROWS  # an artifact named `default` would outlive a change of the default
