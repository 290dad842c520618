"""asyncpg queries of the members service. Every list takes the caller's scope pattern."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
from liaison_shared import db
from liaison_shared.db import as_uuid, fetch_page

ORG_UNIT_COLUMNS = (
    "code, parent, level, kind, name, duty_name, duty_email, duty_phone, duties, address,"
    " active, updated_at"
)
DEPARTMENT_COLUMNS = (
    "id::text AS id, name, org_unit, duty_name, duty_email, duty_phone, active, updated_at"
)


async def org_unit(conn, code: str) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {ORG_UNIT_COLUMNS} FROM org_units WHERE code = $1", code)  # noqa: S608 — ORG_UNIT_COLUMNS above


async def org_unit_for_update(conn, code: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {ORG_UNIT_COLUMNS} FROM org_units WHERE code = $1 FOR UPDATE", code  # noqa: S608 — ORG_UNIT_COLUMNS above
    )


async def org_units_page(
    conn, *, pattern: str, level: str | None, parent: str | None, limit: int, offset: int
) -> tuple[list[asyncpg.Record], int]:
    return await fetch_page(
        conn,
        f"SELECT {ORG_UNIT_COLUMNS} FROM org_units WHERE code LIKE $1"  # noqa: S608 — ORG_UNIT_COLUMNS above
        " AND ($2::text IS NULL OR level = $2) AND ($3::text IS NULL OR parent = $3)"
        " ORDER BY code",
        pattern, level, parent,
        limit=limit, offset=offset,
    )


async def insert_org_unit(conn, values: dict[str, Any]) -> asyncpg.Record:
    return await conn.fetchrow(
        f"""
        INSERT INTO org_units (code, parent, level, kind, name, duty_name, duty_email, duty_phone,
                               duties, address)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        RETURNING {ORG_UNIT_COLUMNS}
        """,  # noqa: S608 — ORG_UNIT_COLUMNS above
        values["code"], values["parent"], values["level"], values["kind"], values["name"],
        values.get("duty_name"), values.get("duty_email"), values.get("duty_phone"),
        values.get("duties"), values.get("address"),
    )


async def update_org_unit(conn, code: str, changes: dict[str, Any]) -> asyncpg.Record:
    return await _update(conn, "org_units", "code", code, changes, ORG_UNIT_COLUMNS)


async def department(conn, department_id: str) -> asyncpg.Record | None:
    key = as_uuid(department_id)
    if key is None:
        return None
    return await conn.fetchrow(f"SELECT {DEPARTMENT_COLUMNS} FROM departments WHERE id = $1", key)  # noqa: S608 — DEPARTMENT_COLUMNS above


async def departments_page(
    conn, *, pattern: str, org_unit: str | None, limit: int, offset: int
) -> tuple[list[asyncpg.Record], int]:
    return await fetch_page(
        conn,
        f"SELECT {DEPARTMENT_COLUMNS} FROM departments WHERE org_unit LIKE $1"  # noqa: S608 — DEPARTMENT_COLUMNS above
        " AND ($2::text IS NULL OR org_unit = $2) ORDER BY org_unit, name",
        pattern, org_unit,
        limit=limit, offset=offset,
    )


async def insert_department(conn, values: dict[str, Any]) -> asyncpg.Record:
    return await conn.fetchrow(
        f"""
        INSERT INTO departments (id, name, org_unit, duty_name, duty_email, duty_phone)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (org_unit, name) DO NOTHING
        RETURNING {DEPARTMENT_COLUMNS}
        """,  # noqa: S608 — DEPARTMENT_COLUMNS above
        values.get("id") or uuid.uuid4(), values["name"], values["org_unit"],
        values.get("duty_name"), values.get("duty_email"), values.get("duty_phone"),
    )


async def update_department(conn, department_id: str, changes: dict[str, Any]) -> asyncpg.Record:
    return await _update(conn, "departments", "id", as_uuid(department_id), changes, DEPARTMENT_COLUMNS)


async def _update(conn, table: str, key: str, value, changes: dict[str, Any], columns: str):
    return await db.update(conn, table, {key: value}, changes, touch=True, returning=columns)
