"""Queries of the category tree (问题分类); domain/categories.py places the nodes."""

from __future__ import annotations

from ..domain.categories import Node

COLUMNS = "code, parent, name, org_unit, description, retired_at IS NOT NULL AS retired"


def _node(row) -> Node:
    return Node(code=row["code"], parent=row["parent"], name=row["name"], org_unit=row["org_unit"],
                description=row["description"], retired=row["retired"])


async def seen_from(conn, units: list[str]) -> list[Node]:
    """The base tree and the nodes added by any of ``units`` (a unit and those above it)."""
    rows = await conn.fetch(
        f"SELECT {COLUMNS} FROM categories WHERE org_unit IS NULL OR org_unit = ANY($1::text[])",  # noqa: S608 — COLUMNS above
        units,
    )
    return [_node(r) for r in rows]


async def every_node(conn) -> list[Node]:
    """The whole tree, every unit's nodes with it: a code's path is the same from wherever it is seen."""
    return [_node(r) for r in await conn.fetch(f"SELECT {COLUMNS} FROM categories")]  # noqa: S608 — COLUMNS above


async def added_below(conn, pattern: str, parent: str | None, name: str) -> bool:
    """Whether a unit of the subtree ``pattern`` added a node of that name under that parent (``name``
    NFC-normalised; a node kept before names were is normalised here)."""
    return bool(await conn.fetchval(
        "SELECT true FROM categories WHERE org_unit LIKE $1 AND parent IS NOT DISTINCT FROM $2"
        " AND normalize(name, NFC) = $3 LIMIT 1",
        pattern, parent, name,
    ))


async def node(conn, code: str) -> Node | None:
    row = await conn.fetchrow(f"SELECT {COLUMNS} FROM categories WHERE code = $1", code)  # noqa: S608 — COLUMNS above
    return _node(row) if row else None


async def codes_under(conn, parent: str | None) -> list[str]:
    """Every code of a parent's children, whichever unit added them."""
    return [r["code"] for r in await conn.fetch(
        "SELECT code FROM categories WHERE parent IS NOT DISTINCT FROM $1", parent)]


async def code_taken(conn, code: str) -> bool:
    return bool(await conn.fetchval("SELECT true FROM categories WHERE code = $1", code))


async def insert(conn, values: dict, by: str) -> None:
    await conn.execute(
        "INSERT INTO categories (code, parent, name, org_unit, description, created_by) VALUES ($1, $2, $3, $4, $5, $6)",
        values["code"], values.get("parent"), values["name"], values.get("org_unit"), values.get("description"), by,
    )


async def change(conn, code: str, *, name: str, description: str | None, retired: bool) -> None:
    """Rename, describe, retire or bring back; the time a node was first retired is kept."""
    await conn.execute(
        """
        UPDATE categories SET name = $2, description = $3, updated_at = now(),
            retired_at = CASE WHEN $4 THEN coalesce(retired_at, now()) END
        WHERE code = $1
        """,
        code, name, description, retired,
    )


async def rekey_dispatch_rules(conn, old_path: str, new_path: str, pattern: str) -> None:
    """A renamed node's rules (and its sub-categories') follow it, at the units that see the node
    (``pattern``): the catalogue is configuration, keyed by path. Cases keep the text they came in with."""
    await conn.execute(
        """
        UPDATE dispatch_rules SET category = $2 || substr(category, length($1) + 1)
        WHERE org_unit LIKE $3
          AND (category = $1 OR category LIKE replace(replace(replace($1, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '/%')
        """,
        old_path, new_path, pattern,
    )
