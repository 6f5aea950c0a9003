"""The one registry pattern every extension point uses: tasks, output types, distillation objectives, teachers.

An entry has a `name`. `REGISTRY.register(entry)` stores it and returns it, so it is a call for an instance
(a task, an output type) and a decorator for a class (an objective, a teacher):

    @TEACHERS.register
    class MyTeacher(Teacher):
        name = "mine"

A registry reads like the dict it wraps (names in registration order). Where a light layer lists the names
ahead of the entries (configs' choices, which `alsace --help` shows without importing torch), the registry
is made with those `declared` names: registering an undeclared name fails at import, and `missing()` lists
declared names that no entry took, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Generic, TypeVar

from alsace_cli.errors import AlsaceError

T = TypeVar("T")


class Registry(Mapping[str, T], Generic[T]):
    def __init__(self, what: str, option: str | None = None, declared: Sequence[str] | None = None) -> None:
        self.what = what  # "task", "teacher": how an error names an entry
        self.option = option  # the command-line option that names entries, where one does
        self.declared = tuple(declared) if declared is not None else None
        self._entries: dict[str, T] = {}

    def register(self, entry: T) -> T:
        name = getattr(entry, "name", None)
        if not isinstance(name, str) or not name:
            raise TypeError(f"a {self.what} needs a `name` to be registered: {entry!r}")
        if self.declared is not None and name not in self.declared:
            raise TypeError(f"{self.what} {name!r} is not among the declared names {self.declared}")
        self._entries[name] = entry
        return entry

    def get_entry(self, name: str) -> T:
        """The entry called `name`; an unknown name is refused in one line that lists the known ones."""
        if name not in self._entries:
            where = f"{self.option}: " if self.option else ""
            raise AlsaceError(
                f"{where}unknown {self.what} {name!r} (known: {', '.join(sorted(self._entries))})"
            )
        return self._entries[name]

    def the_one(self, fits: Callable[[T], bool], refusal: str) -> T:
        """The one entry that `fits`: registration order never decides, so two that fit are a bug."""
        found = [entry for entry in self._entries.values() if fits(entry)]
        if len(found) > 1:
            raise TypeError(f"{len(found)} {self.what}s fit: {', '.join(entry.name for entry in found)}")
        if not found:
            raise AlsaceError(refusal)
        return found[0]

    def missing(self) -> list[str]:
        return [name for name in self.declared or () if name not in self._entries]

    def __getitem__(self, name: str) -> T:
        return self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)
