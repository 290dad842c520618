"""Routes of the lineage (溯源): an opinion forward to what it became, a proposal back to the
opinions that fed it. Staff and leaders of the scope; built from events (see handlers/lineage)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from liaison_shared.auth import Principal, Role, require_roles
from liaison_shared.errors import NotFound
from liaison_shared.openapi import UuidStr
from liaison_shared.service import runtime_of

from ..handlers import access, lineage
from ..handlers import proposals as proposal_handlers
from ..schemas.lineage import OpinionLineage, ProposalLineage
from ..storage import opinions as opinion_storage
from ..storage import proposals as proposal_storage

router = APIRouter()
overseers = require_roles(Role.STAFF, Role.LEADER, Role.ADMIN)


@router.get("/opinions/{opinion_id}/lineage", response_model=OpinionLineage, tags=["opinions"],
            summary="What became of an opinion: merges, escalations, conversion, topic, sessions, outcomes, "
                    "proposals, reports")
async def opinion_lineage(request: Request, opinion_id: UuidStr,
                          principal: Principal = Depends(overseers)) -> OpinionLineage:
    async with runtime_of(request).snapshot() as conn:
        case = await opinion_storage.opinion(conn, opinion_id)
        departments = {a["department_id"] for a in await opinion_storage.assignments(conn, opinion_id)} if case else set()
        if case is None or not access.can_read(principal, case, departments):
            raise NotFound(f"no opinion {opinion_id}")
        found = await lineage.opinion_lineage(conn, opinion_id)
    if found is None:  # gone since it was read above
        raise NotFound(f"no opinion {opinion_id}")
    return OpinionLineage(**found)


@router.get("/proposals/{proposal_id}/lineage", response_model=ProposalLineage, tags=["proposals"],
            summary="Where a proposal came from: its source, outcome, topic and every opinion behind it")
async def proposal_lineage(request: Request, proposal_id: UuidStr,
                           principal: Principal = Depends(overseers)) -> ProposalLineage:
    async with runtime_of(request).snapshot() as conn:
        row = await proposal_storage.proposal(conn, proposal_id)
        if row is None or not proposal_handlers.can_read(principal, row, set()):
            raise NotFound(f"no proposal {proposal_id}")
        return ProposalLineage(**await lineage.proposal_lineage(conn, row))
