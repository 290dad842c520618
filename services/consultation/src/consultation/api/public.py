"""What the public may read without login (公开): the outcomes staff published — what was agreed,
what it became and how it was evaluated. Nothing of who took part, no instruction (批示)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from liaison_shared import orgunits
from liaison_shared.contracts.common import OrgCode
from liaison_shared.errors import NotFound
from liaison_shared.openapi import UuidStr
from liaison_shared.paging import Page, PageParams, page_params
from liaison_shared.service import runtime_of

from ..domain.outcome import satisfaction_rate
from ..schemas.outcomes import PublicOutcome
from ..storage import outcomes as storage

router = APIRouter()


def public_outcome(row) -> PublicOutcome:
    values = dict(row) | {"satisfaction_rate": satisfaction_rate(
        row["satisfied"], row["basically_satisfied"], row["unsatisfied"])}
    return PublicOutcome(**{k: values[k] for k in PublicOutcome.model_fields})


@router.get("/public/outcomes", response_model=Page[PublicOutcome], tags=["public"],
            summary="Published outcomes of a unit and those under it, the latest first (public)")
async def published_outcomes(request: Request, org_unit: OrgCode | None = None,
                             page: PageParams = Depends(page_params)) -> Page[PublicOutcome]:
    pattern = orgunits.sql_subtree_pattern(org_unit) if org_unit else "%"
    async with runtime_of(request).snapshot() as conn:
        rows, total = await storage.published_page(conn, pattern=pattern,
                                                   limit=page.limit, offset=page.offset)
    return Page(items=[public_outcome(r) for r in rows], total=total)


@router.get("/public/outcomes/{outcome_id}", response_model=PublicOutcome, tags=["public"],
            summary="One published outcome (public); 404 unless it is published")
async def published_outcome(request: Request, outcome_id: UuidStr) -> PublicOutcome:
    async with runtime_of(request).snapshot() as conn:
        row = await storage.outcome(conn, outcome_id)
    if row is None or row["published_at"] is None:
        raise NotFound(f"no published outcome {outcome_id}")
    return public_outcome(row)
