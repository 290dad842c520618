"""Routes of liaison activities and assessments."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from liaison_shared.auth import Principal, Role, current_principal
from liaison_shared.contracts.common import OrgCode
from liaison_shared.errors import Forbidden, NotFound
from liaison_shared.openapi import UuidStr
from liaison_shared.orgunits import ancestors_of
from liaison_shared.paging import Page, PageParams, page_params
from liaison_shared.service import runtime_of

from ..handlers import work as handlers
from ..schemas.common import Day
from ..schemas.work import (
    ActivityIn,
    ActivityOut,
    ActivityType,
    AssessmentOut,
    MemberScoreOut,
    PublishIn,
    RulesIn,
    RulesOut,
)
from ..storage import work as storage
from . import managers, overseers

router = APIRouter()


def activity_out(row) -> ActivityOut:
    values = dict(row)
    values["member_ids"] = list(values["member_ids"])
    values["opinion_ids"] = list(values["opinion_ids"])
    return ActivityOut(**{k: values[k] for k in ActivityOut.model_fields})


@router.post("/activities", response_model=ActivityOut, status_code=201, tags=["activities"],
             summary="Log a liaison activity (履职活动)")
async def create_activity(
    request: Request, body: ActivityIn, principal: Principal = Depends(current_principal)
) -> ActivityOut:
    async with runtime_of(request).uow() as uow:
        return activity_out(await handlers.log_activity(uow, principal, body.model_dump()))


@router.get("/activities", response_model=Page[ActivityOut], tags=["activities"])
async def list_activities(
    request: Request, page: PageParams = Depends(page_params),
    member_id: str | None = None, type: ActivityType | None = None,
    date_from: Day | None = None, date_to: Day | None = None,
    principal: Principal = Depends(current_principal),
) -> Page[ActivityOut]:
    if principal.role is Role.DEPARTMENT:
        return Page(items=[], total=0)
    pattern: str | None = principal.subtree_pattern
    if principal.role is Role.MEMBER:
        pattern, member_id = None, principal.member_id  # its own, wherever they took place
    async with runtime_of(request).snapshot() as conn:
        rows, total = await storage.activities_page(
            conn, pattern=pattern, member_id=member_id, type=type,
            date_from=date_from, date_to=date_to, limit=page.limit, offset=page.offset,
        )
    return Page(items=[activity_out(r) for r in rows], total=total)


@router.get("/activities/{activity_id}", response_model=ActivityOut, tags=["activities"])
async def get_activity(
    request: Request, activity_id: UuidStr, principal: Principal = Depends(current_principal)
) -> ActivityOut:
    async with runtime_of(request).snapshot() as conn:
        row = await storage.activity(conn, activity_id)
    if row is None or not handlers.can_see_activity(principal, row):
        raise NotFound(f"no activity {activity_id}")
    return activity_out(row)


@router.get("/assessments/rules", response_model=RulesOut, tags=["assessments"],
            summary="The newest rule set of a committee's year (defaults as version 0)")
async def get_rules(
    request: Request, org_unit: OrgCode, year: int = Query(..., ge=2000, le=2100),
    principal: Principal = Depends(current_principal),
) -> RulesOut:
    if not (principal.may_manage(org_unit) or org_unit in ancestors_of(principal.org)):
        raise NotFound(f"no rules for {org_unit}")
    async with runtime_of(request).snapshot() as conn:
        return RulesOut(**await handlers.rules_for(conn, org_unit, year))


@router.post("/assessments/rules", response_model=RulesOut, status_code=201, tags=["assessments"],
             summary="Save a new version of a year's rule set")
async def save_rules(request: Request, body: RulesIn, principal: Principal = Depends(managers)) -> RulesOut:
    async with runtime_of(request).uow() as uow:
        row = await handlers.save_rules(uow, principal, body.org_unit, body.year, body.rules)
    return RulesOut(**row)


@router.get("/assessments/preview", response_model=AssessmentOut, tags=["assessments"],
            summary="Scores and sector rankings as they stand now, not published")
async def preview(
    request: Request, org_unit: OrgCode, year: int = Query(..., ge=2000, le=2100),
    principal: Principal = Depends(overseers),
) -> AssessmentOut:
    if not principal.may_manage(org_unit):
        raise NotFound(f"no committee {org_unit} in scope")
    async with runtime_of(request).snapshot() as conn:
        return AssessmentOut(**await handlers.compute(conn, org_unit, year))


@router.post("/assessments", response_model=AssessmentOut, status_code=201, tags=["assessments"],
             summary="Publish a year's assessment (names the 先进界别活动组)")
async def publish(request: Request, body: PublishIn, principal: Principal = Depends(managers)) -> AssessmentOut:
    async with runtime_of(request).uow() as uow:
        return AssessmentOut(**await handlers.publish_assessment(uow, principal, body.org_unit, body.year))


@router.get("/assessments", response_model=Page[AssessmentOut], tags=["assessments"])
async def list_assessments(
    request: Request, page: PageParams = Depends(page_params), year: int | None = Query(None, ge=2000, le=2100),
    principal: Principal = Depends(overseers),
) -> Page[AssessmentOut]:
    async with runtime_of(request).snapshot() as conn:
        rows, total = await storage.assessments_page(
            conn, pattern=principal.subtree_pattern, year=year,
            limit=page.limit, offset=page.offset,
        )
    return Page(items=[AssessmentOut(**dict(r)) for r in rows], total=total)


@router.get("/assessments/{assessment_id}", response_model=AssessmentOut, tags=["assessments"])
async def get_assessment(
    request: Request, assessment_id: UuidStr, principal: Principal = Depends(overseers)
) -> AssessmentOut:
    async with runtime_of(request).snapshot() as conn:
        row = await storage.assessment(conn, assessment_id)
    if row is None or not principal.may_manage(row["org_unit"]):
        raise NotFound(f"no assessment {assessment_id}")
    return AssessmentOut(**dict(row))


@router.get("/members/{member_id}/score", response_model=MemberScoreOut, tags=["assessments"],
            summary="A member's score with its breakdown (the member itself, or staff)")
async def member_score(
    request: Request, member_id: UuidStr, year: int = Query(..., ge=2000, le=2100),
    principal: Principal = Depends(current_principal),
) -> MemberScoreOut:
    if principal.role is Role.DEPARTMENT:
        raise Forbidden("departments see no member scores")
    async with runtime_of(request).snapshot() as conn:
        return MemberScoreOut(**await handlers.member_score(conn, principal, member_id, year))
