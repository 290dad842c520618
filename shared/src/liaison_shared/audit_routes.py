"""``GET /api/v1/audit`` on every service: its audit log, by resource or by user."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Request

from .auth import Acted, Principal, Role, require_roles
from .db import fetch_page
from .paging import Page, PageParams, page_params

router = APIRouter()
auditors = require_roles(Role.ADMIN, Role.LEADER)


class AuditEntry(Acted):
    id: int
    resource: str
    resource_id: str | None
    trace_id: str | None
    change_hash: str
    events: list[str]
    seal: int | None = None
    seal_hash: str | None = None


@router.get("/audit", response_model=Page[AuditEntry], tags=["audit"],
            summary="Who changed what: admins see all, leaders what users of their units did")
async def audit_log(request: Request, page: PageParams = Depends(page_params), resource_id: str | None = None,
                    actor_sub: str | None = None, since: datetime | None = None,
                    principal: Principal = Depends(auditors)) -> Page[AuditEntry]:
    pattern = principal.managed_pattern
    rows, total = await fetch_page(
        request.app.state.runtime.pool,
        "SELECT a.id, a.at, a.actor_sub, a.actor_role, a.actor_org, a.action, a.resource, a.resource_id, a.trace_id,"
        " a.change_hash, a.events, s.seq AS seal, s.hash AS seal_hash FROM audit_log a"
        " LEFT JOIN LATERAL (SELECT seq, hash FROM audit_seals WHERE to_txid > a.txid ORDER BY to_txid LIMIT 1) s"
        " ON true WHERE ($1 = '%' OR actor_org LIKE $1)"
        " AND ($2::text IS NULL OR resource_id = $2) AND ($3::text IS NULL OR actor_sub = $3)"
        " AND ($4::timestamptz IS NULL OR at >= $4) ORDER BY id DESC",
        pattern, resource_id, actor_sub, since, limit=page.limit, offset=page.offset)
    return Page(items=[AuditEntry(**dict(r)) for r in rows], total=total)
