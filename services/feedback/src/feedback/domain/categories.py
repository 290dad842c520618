"""问题分类 — the category tree as one unit sees it: the base tree every unit inherits, and what
the unit and the units above it added. Pure: storage hands in the nodes, this places them.

A case names its category by the node's path of names (``城乡建设/道路交通/路灯``); a caller may
also give a node's bare name when exactly one offered node has it (``路灯``), and the case keeps
the path. A retired node is not offered, nor anything under it; cases that carry it keep it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

SEPARATOR = "/"
# Controls, format characters (zero-width space and joiners, soft hyphen, bidi overrides, BOM) and
# line or paragraph separators: a name with one reads like the name without it, a twin no one can
# tell apart on a form.
_INVISIBLE = frozenset({"Cc", "Cf", "Zl", "Zp"})


def category_name(text: str) -> str:
    """A category's name as it is kept and compared: NFC-normalised (é one character, however it
    was typed); ValueError for what no reader sees or what would split a path."""
    name = unicodedata.normalize("NFC", text)
    if SEPARATOR in name:
        raise ValueError(f"no '{SEPARATOR}': a name is one step of a path")
    if any(unicodedata.category(char) in _INVISIBLE for char in name):
        raise ValueError("an invisible character (control, zero-width, format or line separator) is not allowed")
    if name != name.strip():
        raise ValueError("no space at either end")
    return name


def same_name(one: str, other: str) -> bool:
    """Whether two names read alike: equal once normalised (a name kept before names were)."""
    return unicodedata.normalize("NFC", one) == unicodedata.normalize("NFC", other)


@dataclass(frozen=True)
class Node:
    """One category (问题分类): ``org_unit`` None for the base tree, else the unit that added it."""

    code: str
    parent: str | None
    name: str
    org_unit: str | None
    description: str | None = None
    retired: bool = False


@dataclass(frozen=True)
class Placed:
    """A node in the tree of one unit: its path of names, its depth (1 at the top), and whether it
    is offered — neither it nor a node above it retired."""

    node: Node
    path: str
    depth: int
    offered: bool


class UnknownCategory(ValueError):
    def __init__(self, given: str, valid: list[str]) -> None:
        super().__init__(f"{given!r} is not a category offered here")
        self.given, self.valid = given, valid


class AmbiguousCategory(ValueError):
    def __init__(self, given: str, candidates: list[str]) -> None:
        super().__init__(f"{given!r} names more than one category")
        self.given, self.candidates = given, candidates


def lineage(path: str) -> list[str]:
    """The path and those above it, nearest first: ``a/b/c`` → ``[a/b/c, a/b, a]`` (for the
    dispatch catalogue, where a rule of a parent category covers its sub-categories)."""
    parts = path.split(SEPARATOR)
    return [SEPARATOR.join(parts[:n]) for n in range(len(parts), 0, -1)]


def rolled_up(path: str, depth: int) -> str:
    """The path cut to its first ``depth`` names (statistics by top-level category, …)."""
    return SEPARATOR.join(path.split(SEPARATOR)[:depth])


class Tree:
    """The nodes one unit sees, placed: depth first, siblings by code. A node whose parent is not
    among them (hidden from this unit) is left out with everything under it."""

    def __init__(self, nodes: Iterable[Node]) -> None:
        children: dict[str | None, list[Node]] = {}
        for node in nodes:
            children.setdefault(node.parent, []).append(node)
        self.placed: list[Placed] = []

        def walk(parent: str | None, prefix: str, depth: int, offered: bool) -> None:
            for node in sorted(children.get(parent, []), key=lambda n: n.code):
                path = f"{prefix}{SEPARATOR}{node.name}" if prefix else node.name
                here = offered and not node.retired
                self.placed.append(Placed(node, path, depth, here))
                walk(node.code, path, depth + 1, here)

        walk(None, "", 1, True)
        self._by_code = {p.node.code: p for p in self.placed}

    @property
    def offered(self) -> list[Placed]:
        return [p for p in self.placed if p.offered]

    def by_code(self, code: str) -> Placed | None:
        return self._by_code.get(code)

    def by_path(self, path: str) -> Placed | None:
        """The offered node of that path (a unit's node wins over an inherited one of the same
        path, which creating a node refuses anyway)."""
        found = [p for p in self.offered if p.path == path]
        return max(found, key=lambda p: len(p.node.org_unit or "")) if found else None

    def placed_at(self, path: str) -> Placed | None:
        """The node of that path, offered or not (what an old case's text names, if anything)."""
        return self.by_path(path) or next((p for p in self.placed if p.path == path), None)

    def resolve(self, given: str) -> Placed:
        """The offered node a caller means: by its path, else by a name only one offered node has."""
        text = SEPARATOR.join(part.strip() for part in given.strip().split(SEPARATOR))
        if (exact := self.by_path(text)) is not None:
            return exact
        named = [p for p in self.offered if p.node.name == text]
        if len(named) == 1:
            return named[0]
        if named:
            raise AmbiguousCategory(given, [p.path for p in named])
        raise UnknownCategory(given, [p.path for p in self.offered])

    def sibling_named(self, parent: str | None, name: str) -> Placed | None:
        """A node of that name under ``parent`` (retired ones too: reviving one beats a twin)."""
        return next((p for p in self.placed if p.node.parent == parent and same_name(p.node.name, name)), None)


def next_code(parent_code: str | None, taken: Iterable[str]) -> str:
    """The next free code under a parent, two digits a level as the base tree's: ``0101`` →
    ``010105`` after ``010104``. ``taken``: every code in use, whichever unit added it."""
    used = set(taken)
    prefix = parent_code or ""
    number = 1
    while f"{prefix}{number:02d}" in used:
        number += 1
    return f"{prefix}{number:02d}"
