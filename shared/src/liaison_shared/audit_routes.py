"""``GET /api/v1/audit`` on every service: its audit log, by resource or by user."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from .auth import Acted, Principal, Role, require_roles
from .db import fetch_page
from .paging import Page, PageParams, page_params

router = APIRouter()
auditors = require_roles(Role.ADMIN, Role.LEADER)


class AuditEntry(Acted):
    id: int = Field(description="The entry's number in this service's audit log (审计日志).")
    resource: str = Field(description="The kind of thing written, from the route.")
    resource_id: str | None = Field(description="The id of the thing written, from the path.")
    trace_id: str | None = Field(description="The W3C trace id of the request.")
    change_hash: str = Field(description="HMAC of the request body and the events it caused.")
    events: list[str] = Field(description="Ids of the events the write published.")
    seal: int | None = Field(None, description="The seal (block of the hash chain) the entry is in; none yet "
                                               "within a second of the write.")
    seal_hash: str | None = Field(None, description="That seal's hash, to check with liaison audit-verify.")


@router.get("/audit", response_model=Page[AuditEntry], tags=["audit"],
            summary="Who changed what: admins see all, leaders what users of their units did")
async def audit_log(request: Request, page: PageParams = Depends(page_params), resource_id: str | None = None,
                    actor_sub: str | None = None, since: datetime | None = None,
                    principal: Principal = Depends(auditors)) -> Page[AuditEntry]:
    pattern = principal.managed_pattern
    async with request.app.state.runtime.snapshot() as conn:
        rows, total = await fetch_page(
            conn,
            "SELECT a.id, a.at, a.actor_sub, a.actor_role, a.actor_org, a.action, a.resource, a.resource_id, a.trace_id,"
            " a.change_hash, a.events, s.seq AS seal, s.hash AS seal_hash FROM audit_log a"
            " LEFT JOIN LATERAL (SELECT seq, hash FROM audit_seals WHERE to_txid > a.txid ORDER BY to_txid LIMIT 1) s"
            " ON true WHERE ($1 = '%' OR actor_org LIKE $1)"
            " AND ($2::text IS NULL OR resource_id = $2) AND ($3::text IS NULL OR actor_sub = $3)"
            " AND ($4::timestamptz IS NULL OR at >= $4) ORDER BY id DESC",
            pattern, resource_id, actor_sub, since, limit=page.limit, offset=page.offset)
    return Page(items=[AuditEntry(**dict(r)) for r in rows], total=total)
