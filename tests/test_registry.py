"""The one registry pattern: register by name, refuse an unknown or undeclared name, exactly one fits."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from alsace_cli.errors import AlsaceError
from alsace_cli.registry import Registry


@dataclass
class Entry:
    name: str
    size: int = 0


def test_an_entry_is_found_by_name_and_an_unknown_name_lists_the_known() -> None:
    things = Registry[Entry]("thing", "--thing")
    first = things.register(Entry("b", 1))
    things.register(Entry("a", 2))
    assert things.get_entry("b") is first and list(things) == ["b", "a"] and len(things) == 2
    with pytest.raises(AlsaceError, match=r"--thing: unknown thing 'c' \(known: a, b\)"):
        things.get_entry("c")


def test_declared_names_are_enforced_and_missing_ones_listed() -> None:
    things = Registry[Entry]("thing", declared=("a", "b"))
    things.register(Entry("a"))
    assert things.missing() == ["b"]
    with pytest.raises(TypeError, match="not among the declared names"):
        things.register(Entry("z"))


def test_exactly_one_entry_may_fit() -> None:
    things = Registry[Entry]("thing")
    things.register(Entry("small", 1))
    things.register(Entry("big", 9))
    assert things.the_one(lambda e: e.size > 5, "none").name == "big"
    with pytest.raises(AlsaceError, match="nothing fits"):
        things.the_one(lambda e: e.size > 50, "nothing fits")
    with pytest.raises(TypeError, match="2 things fit: small, big"):
        things.the_one(lambda e: e.size > 0, "none")
