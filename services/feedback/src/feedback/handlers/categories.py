"""The category tree (问题分类) as data: city staff keep the base tree every unit inherits; staff of
a unit add its own categories (a county's sub-categories under the city's), rename and retire
them. Intake and the dispatch catalogue ask here which category a text means."""

from __future__ import annotations

from liaison_shared import orgunits
from liaison_shared.auth import Principal, Role
from liaison_shared.cache import TtlCache
from liaison_shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from liaison_shared.orgunits import Level, level_of
from liaison_shared.uow import UnitOfWork

from ..domain.categories import (
    AmbiguousCategory,
    Placed,
    Tree,
    UnknownCategory,
    next_code,
    same_name,
)
from ..schemas.categories import CategoryChange, CategoryIn
from ..storage import categories as storage
from ..storage import opinions as opinion_storage

# Every intake asks for its unit's tree, which changes a few times a year: kept a few seconds per
# line of units (another replica's edit is seen within that; this process's own edits at once).
_trees = TtlCache(ttl=5.0, max_entries=2_000)


async def tree_at(conn, org_unit: str | None, *, fresh: bool = False) -> Tree:
    """The tree a unit sees: the base tree and what it and the units above it added. ``fresh``
    for an edit, which must see what is in the database now."""
    units = [org_unit, *orgunits.ancestors_of(org_unit)] if org_unit else []

    async def load() -> Tree:
        return Tree(await storage.seen_from(conn, units))

    return await load() if fresh else await _trees.get(tuple(units), load)


async def resolve(conn, org_unit: str, given: str | None, *, strict: bool = True) -> str | None:
    """The path a new case of ``org_unit`` keeps for the category it was given. Strict (a person
    typed it): an unknown or ambiguous one is a 422 naming the valid ones. Not strict (another
    service's event, never refused): what it said, when it means no offered node."""
    if given is None or not given.strip():
        return None
    try:
        return (await tree_at(conn, org_unit)).resolve(given).path
    except UnknownCategory as unknown:
        if not strict:
            return given
        raise Unprocessable(f"category: not a category offered at org unit {org_unit}; valid: "
                            f"{', '.join(unknown.valid) or 'none (leave it out)'}",
                            field="category", valid=unknown.valid) from None
    except AmbiguousCategory as ambiguous:
        if not strict:
            return given
        raise Unprocessable(f"category: more than one category has that name; give the path: "
                            f"{', '.join(ambiguous.candidates)}", field="category", valid=ambiguous.candidates) from None


def _may_keep(principal: Principal, org_unit: str | None) -> None:
    """The base tree: city staff and admins. A unit's own categories: staff of it or above."""
    if org_unit is None:
        if principal.role is not Role.ADMIN and level_of(principal.org) is not Level.CITY:
            raise Forbidden("the base category tree is kept by city staff; add your unit's own under it")
    elif not principal.may_manage(org_unit):
        raise NotFound(f"no org unit {org_unit} in your scope")


async def _refuse_twin(conn, tree: Tree, org_unit: str | None, parent: str | None, name: str,
                       itself: str | None = None) -> None:
    """No two nodes of one path along a unit's line: above it (the tree it sees) or added below it;
    names compared normalised (``name`` is, by the schema; a node kept before may not be)."""
    twin = tree.sibling_named(parent, name)
    if twin is not None and twin.node.code != itself:
        raise Conflict(f"name: category {twin.path} exists already (code {twin.node.code})")
    below = orgunits.sql_subtree_pattern(org_unit) if org_unit else "%"
    if await storage.added_below(conn, below, parent, name):
        raise Conflict(f"name: a unit under {org_unit or 'the city'} has a category of that name there already")


async def create(uow: UnitOfWork, principal: Principal, command: CategoryIn) -> Placed:
    conn = uow.conn
    _may_keep(principal, command.org_unit)
    if command.org_unit is not None and not await opinion_storage.org_unit_exists(conn, command.org_unit):
        raise Unprocessable(f"org unit {command.org_unit} is not known")
    tree = await tree_at(conn, command.org_unit, fresh=True)
    if command.parent is not None:
        parent = tree.by_code(command.parent)
        if parent is None or not parent.offered:
            raise Unprocessable(f"parent: no category {command.parent} offered at "
                                f"{command.org_unit or 'every unit'}")
    await _refuse_twin(conn, tree, command.org_unit, command.parent, command.name)
    code = command.code
    if code is None:
        code = next_code(command.parent, await storage.codes_under(conn, command.parent))
    elif await storage.code_taken(conn, code):
        raise Conflict(f"code: {code} is taken")
    await storage.insert(conn, {**command.model_dump(), "code": code}, principal.sub)
    _trees.invalidate()
    return _placed(await tree_at(conn, command.org_unit, fresh=True), code)


async def change(uow: UnitOfWork, principal: Principal, code: str, command: CategoryChange) -> Placed:
    """Rename, describe, retire or bring back a category; its dispatch rules follow a rename."""
    conn = uow.conn
    node = await storage.node(conn, code)
    if node is None or (node.org_unit is not None and not principal.may_manage(node.org_unit)):
        raise NotFound(f"no category {code} in your scope")
    _may_keep(principal, node.org_unit)
    tree = await tree_at(conn, node.org_unit, fresh=True)
    before = _placed(tree, code)
    name = command.name if command.name is not None else node.name
    if not same_name(name, node.name):
        await _refuse_twin(conn, tree, node.org_unit, node.parent, name, itself=code)
    described = "description" in command.model_fields_set
    await storage.change(conn, code, name=name, description=command.description if described else node.description,
                         retired=command.retired if command.retired is not None else node.retired)
    _trees.invalidate()
    after = _placed(await tree_at(conn, node.org_unit, fresh=True), code)
    if after.path != before.path:
        await storage.rekey_dispatch_rules(conn, before.path, after.path, orgunits.sql_subtree_pattern(node.org_unit)
                                           if node.org_unit else "%")
    return after


def _placed(tree: Tree, code: str) -> Placed:
    placed = tree.by_code(code)
    if placed is None:  # its parent is hidden from the unit that added it: creating it refuses that
        raise NotFound(f"no category {code}")
    return placed
