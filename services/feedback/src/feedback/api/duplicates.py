"""Route of the duplicate suggestion (关注多): at intake and triage, staff handling a case see the
open cases that say the same thing, and merge them. Never public: it shows other cases."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from liaison_shared.auth import Principal, Role, require_roles
from liaison_shared.openapi import UuidStr
from liaison_shared.service import runtime_of

from ..handlers import duplicates
from ..schemas.duplicates import SimilarCases

router = APIRouter()
staff = require_roles(Role.STAFF, Role.ADMIN)


@router.get("/opinions/{opinion_id}/similar", response_model=SimilarCases, tags=["opinions"],
            summary="Open cases at the handling unit and its parent that say the same thing (关注多), to merge")
async def similar_opinions(
    request: Request, opinion_id: UuidStr,
    limit: int = Query(3, ge=1, le=20, description="How many suggestions at most (the most similar first)."),
    principal: Principal = Depends(staff),
) -> SimilarCases:
    runtime = runtime_of(request)
    async with runtime.snapshot() as conn:
        found = await duplicates.similar_cases(conn, runtime.settings, principal, opinion_id, limit)
    return SimilarCases(**found)
