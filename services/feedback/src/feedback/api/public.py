"""What the public may read of proposals without login (公开): replies staff published once every
member proposer agreed — the proposal's title and number, who proposed it, the reply and its
class. Not the proposal's body, not the handling units' internal opinions, nothing of citizens."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from liaison_shared import orgunits
from liaison_shared.contracts.common import OrgCode
from liaison_shared.errors import NotFound
from liaison_shared.openapi import UuidStr
from liaison_shared.paging import Page, PageParams, page_params
from liaison_shared.service import runtime_of

from ..schemas.proposals import PublicProposal
from ..storage import proposals as storage

router = APIRouter()


def public_proposal(row) -> PublicProposal:
    names = list(row["member_names"]) if row["kind"] in ("member", "joint") else [row["proposer_name"] or ""]
    return PublicProposal(**{k: row[k] for k in PublicProposal.model_fields if k != "proposers"}, proposers=names)


@router.get("/public/proposals", response_model=Page[PublicProposal], tags=["public"],
            summary="Proposals whose reply is public, of a committee and those under it, the latest first (public)")
async def published_replies(request: Request, committee: OrgCode | None = None,
                            year: int | None = Query(None, ge=2000, le=2100, description="The session year."),
                            page: PageParams = Depends(page_params)) -> Page[PublicProposal]:
    pattern = orgunits.sql_subtree_pattern(committee) if committee else "%"
    async with runtime_of(request).snapshot() as conn:
        rows, total = await storage.published_page(conn, pattern=pattern, year=year,
                                                   limit=page.limit, offset=page.offset)
    return Page(items=[public_proposal(r) for r in rows], total=total)


@router.get("/public/proposals/{proposal_id}", response_model=PublicProposal, tags=["public"],
            summary="One proposal's public reply (public); 404 unless it is published")
async def published_reply(request: Request, proposal_id: UuidStr) -> PublicProposal:
    async with runtime_of(request).snapshot() as conn:
        rows, _ = await storage.published_page(conn, pattern="%", year=None, limit=1, offset=0,
                                               proposal_id=proposal_id)
    if not rows:
        raise NotFound(f"no published reply of proposal {proposal_id}")
    return public_proposal(rows[0])
