"""Queries of the Open311 façade: the clients staff issued a key to, and the cases they handed in."""

from __future__ import annotations

import uuid
from datetime import datetime

from liaison_shared.db import as_uuid
from liaison_shared.uow import Writer

CLIENT_COLUMNS = "id::text AS id, name, org_unit, created_by, created_at, revoked_at"

# What a GeoReport request shows of a case: its state, category, deadline, times, and who leads it
# (the lead department of the latest round while one is active, else the handling unit's name).
REQUEST_QUERY = """
    SELECT o.id::text AS id, o.status, o.category, o.org_unit, o.deadline, o.converted_to, o.created_at,
           o.updated_at, coalesce(lead.name, u.name, o.handling_unit) AS agency
    FROM open311_requests r
    JOIN opinions o ON o.id = r.opinion_id
    LEFT JOIN org_units u ON u.code = o.handling_unit
    LEFT JOIN LATERAL (
        SELECT d.name FROM assignments a JOIN departments d ON d.id = a.department_id
        WHERE a.opinion_id = o.id AND a.lead AND a.state = 'active'
        ORDER BY a.round DESC LIMIT 1
    ) lead ON true
"""


async def insert_client(conn, values: dict, key_hash: bytes, by: str):
    insert = "INSERT INTO open311_clients (id, name, org_unit, key_hash, created_by) VALUES ($1, $2, $3, $4, $5)"
    return await conn.fetchrow(
        f"{insert} RETURNING {CLIENT_COLUMNS}",  # noqa: S608 — the statement and CLIENT_COLUMNS above
        uuid.uuid4(), values["name"], values["org_unit"], key_hash, by,
    )


async def clients(conn, pattern: str):
    return await conn.fetch(
        f"SELECT {CLIENT_COLUMNS} FROM open311_clients WHERE org_unit LIKE $1 ORDER BY created_at",  # noqa: S608 — CLIENT_COLUMNS above
        pattern,
    )


async def revoke_client(conn, client_id: str, pattern: str):
    key = as_uuid(client_id)
    if key is None:
        return None
    revoke = "UPDATE open311_clients SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 AND org_unit LIKE $2"
    return await conn.fetchrow(
        f"{revoke} RETURNING {CLIENT_COLUMNS}",  # noqa: S608 — the statement and CLIENT_COLUMNS above
        key, pattern,
    )


async def client_by_key(conn, key_hash: bytes):
    """The client a key opens, while it is not revoked."""
    return await conn.fetchrow(
        "SELECT id::text AS id, org_unit FROM open311_clients WHERE key_hash = $1 AND revoked_at IS NULL", key_hash)


async def insert_request(writer: Writer, opinion_id: uuid.UUID, client_id: str, values: dict) -> None:
    await writer.execute(
        "INSERT INTO open311_requests (opinion_id, client_id, latitude, longitude, address_string)"
        " VALUES ($1, $2::uuid, $3, $4, $5)",
        opinion_id, client_id, values.get("lat"), values.get("long"), values.get("address_string"),
    )


async def requests_by_id(conn, ids: list[str]):
    keys = [k for k in (as_uuid(i) for i in ids) if k is not None]
    if not keys:
        return []
    return await conn.fetch(f"{REQUEST_QUERY} WHERE r.opinion_id = ANY($1::uuid[]) ORDER BY o.created_at DESC",  # noqa: S608 — REQUEST_QUERY above
                            keys)


async def requests_of_client(conn, client_id: str, *, start: datetime, end: datetime | None,
                             categories: list[str] | None, statuses: list[str] | None, limit: int):
    """A client's requests handed in between ``start`` and ``end``, the latest first; ``categories``:
    only cases whose category is one of these paths; ``statuses``: only cases in these states."""
    return await conn.fetch(
        f"""{REQUEST_QUERY}
        WHERE r.client_id = $1::uuid AND o.created_at >= $2 AND ($3::timestamptz IS NULL OR o.created_at < $3)
          AND ($4::text[] IS NULL OR o.category = ANY($4::text[]))
          AND ($5::text[] IS NULL OR o.status = ANY($5::text[]))
        ORDER BY o.created_at DESC LIMIT $6""",  # noqa: S608 — REQUEST_QUERY above
        client_id, start, end, categories, statuses, limit,
    )


async def location(conn, opinion_id: str):
    """Where a client said the matter is, for the staff who read the case."""
    key = as_uuid(opinion_id)
    if key is None:
        return None
    return await conn.fetchrow(
        "SELECT latitude, longitude, address_string FROM open311_requests WHERE opinion_id = $1", key)
