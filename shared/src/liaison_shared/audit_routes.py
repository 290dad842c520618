"""``GET /api/v1/audit`` on every service: its audit log, by resource or by user."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from .auth import Principal, Role, require_roles
from .db import fetch_page
from .paging import Page, PageParams, page_params

router = APIRouter()
auditors = require_roles(Role.ADMIN, Role.LEADER)


class AuditEntry(BaseModel):
    id: int
    at: datetime
    actor_sub: str
    actor_role: str
    actor_org: str | None
    action: str
    resource: str
    resource_id: str | None
    trace_id: str | None
    change_hash: str
    events: list[str]
    seq: int | None
    hash: str | None


@router.get("/audit", response_model=Page[AuditEntry], tags=["audit"],
            summary="Who changed what: admins see all, leaders what users of their units did")
async def audit_log(request: Request, page: PageParams = Depends(page_params), resource_id: str | None = None,
                    actor_sub: str | None = None, since: datetime | None = None,
                    principal: Principal = Depends(auditors)) -> Page[AuditEntry]:
    pattern = "%" if principal.role is Role.ADMIN else principal.subtree_pattern
    rows, total = await fetch_page(
        request.app.state.runtime.pool,
        "SELECT id, at, actor_sub, actor_role, actor_org, action, resource, resource_id, trace_id, change_hash,"
        " events, seq, hash FROM audit_log WHERE ($1 = '%' OR actor_org LIKE $1)"
        " AND ($2::text IS NULL OR resource_id = $2) AND ($3::text IS NULL OR actor_sub = $3)"
        " AND ($4::timestamptz IS NULL OR at >= $4) ORDER BY id DESC",
        pattern, resource_id, actor_sub, since, limit=page.limit, offset=page.offset)
    return Page(items=[AuditEntry(**dict(r)) for r in rows], total=total)
