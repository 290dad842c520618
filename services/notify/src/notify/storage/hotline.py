"""Queries of the 12345 hotline's endpoints and of the cases that came from it."""

from __future__ import annotations

import uuid
from typing import Any

from liaison_shared.cache import TtlCache

# Read for every opinion event of a hotline case, changed rarely: kept ten seconds (liaison_shared.cache).
ENDPOINTS = TtlCache()
ENDPOINT_COLUMNS = "id::text AS id, city, name, url, fields, statuses, active, updated_by, updated_at"


async def keep_case(conn, *, opinion_id: str, city: str, case_number: str, org_unit: str) -> None:
    await conn.execute(
        "INSERT INTO hotline_cases (opinion_id, city, case_number, org_unit) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (opinion_id) DO NOTHING", opinion_id, city, case_number, org_unit)


async def case(conn, opinion_id: str):
    return await conn.fetchrow("SELECT city, case_number FROM hotline_cases WHERE opinion_id = $1", opinion_id)


async def endpoint_of_city(conn, city: str):
    """The city's active endpoint, or None."""
    return await ENDPOINTS.get(city, lambda: conn.fetchrow(
        f"SELECT {ENDPOINT_COLUMNS} FROM hotline_endpoints WHERE city = $1 AND active", city))  # noqa: S608 — ENDPOINT_COLUMNS above


async def endpoint_id_for_update(conn, city: str) -> uuid.UUID | None:
    return await conn.fetchval("SELECT id FROM hotline_endpoints WHERE city = $1 FOR UPDATE", city)


async def insert_endpoint(conn, endpoint_id: uuid.UUID, values: dict[str, Any], secret_sealed: bytes, by: str):
    ENDPOINTS.invalidate()
    return await conn.fetchrow(
        "INSERT INTO hotline_endpoints (id, city, name, url, secret_sealed, fields, statuses, active, updated_by)"  # noqa: S608 — ENDPOINT_COLUMNS above
        f" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {ENDPOINT_COLUMNS}",
        endpoint_id, values["city"], values["name"], values["url"], secret_sealed, values["fields"] or {},
        values["statuses"] or {}, values["active"], by)


async def update_endpoint(conn, endpoint_id: uuid.UUID, values: dict[str, Any], secret_sealed: bytes | None,
                          by: str):
    """Replace what an endpoint says; without a new sealed secret the one it has stays."""
    ENDPOINTS.invalidate()
    return await conn.fetchrow(
        "UPDATE hotline_endpoints SET name = $2, url = $3, secret_sealed = coalesce($4, secret_sealed),"  # noqa: S608 — ENDPOINT_COLUMNS above
        " fields = $5, statuses = $6, active = $7, updated_by = $8, updated_at = now()"
        f" WHERE id = $1 RETURNING {ENDPOINT_COLUMNS}",
        endpoint_id, values["name"], values["url"], secret_sealed, values["fields"] or {}, values["statuses"] or {},
        values["active"], by)


async def endpoints(conn):
    return await conn.fetch(f"SELECT {ENDPOINT_COLUMNS} FROM hotline_endpoints ORDER BY city")  # noqa: S608 — ENDPOINT_COLUMNS above
