"""Routes of sectors, special committees, bridges, members, cards and contact points."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request, Response
from liaison_shared import orgunits
from liaison_shared.auth import Principal, Role, current_principal
from liaison_shared.contracts.common import OrgCode
from liaison_shared.contracts.members import SectorCategory
from liaison_shared.errors import NotFound
from liaison_shared.openapi import UuidStr
from liaison_shared.paging import Page, PageParams, page_params
from liaison_shared.service import runtime_of

from ..domain.people import Candidate, suggest_contact_points
from ..handlers import people as handlers
from ..handlers.people import can_see_member
from ..schemas.people import (
    AssignmentIn,
    BridgeIn,
    BridgeOut,
    CardReceptionDay,
    CardVenue,
    ContactPointOut,
    GapsOut,
    MemberCard,
    MemberIn,
    MemberOut,
    MemberPatch,
    PlanItemIn,
    PlanItemOut,
    PublicMember,
    SectorIn,
    SectorOut,
    SpecialCommitteeIn,
    SpecialCommitteeOut,
    SuggestionOut,
)
from ..storage import people as storage
from ..storage import registry as registry_storage
from ..storage import venues as venue_storage
from . import managers, overseers

router = APIRouter()

PRIVATE = ("email", "phone")


def member_out(row, principal: Principal) -> MemberOut:
    values = dict(row)
    sees_private = principal.role in (Role.STAFF, Role.ADMIN) or principal.member_id == row["id"]
    if not sees_private:
        values.update({k: None for k in PRIVATE})
    values["contact_points"] = list(values["contact_points"])
    return MemberOut(**{k: values[k] for k in MemberOut.model_fields})


# --- sectors (public reads) -----------------------------------------------------------------


@router.get("/sectors", response_model=Page[SectorOut], tags=["sectors"], summary="Sectors (界别) (public)")
async def list_sectors(
    request: Request, page: PageParams = Depends(page_params),
    org_unit: OrgCode | None = None, category: SectorCategory | None = None,
) -> Page[SectorOut]:
    async with runtime_of(request).snapshot() as conn:
        rows, total = await storage.sectors_page(
            conn, org_unit=org_unit, category=category,
            limit=page.limit, offset=page.offset,
        )
    return Page(items=[SectorOut(**dict(r)) for r in rows], total=total)


@router.get("/sectors/{sector_id}", response_model=SectorOut, tags=["sectors"], summary="One sector (public)")
async def get_sector(request: Request, sector_id: UuidStr) -> SectorOut:
    async with runtime_of(request).snapshot() as conn:
        row = await storage.sector(conn, sector_id)
    if row is None:
        raise NotFound(f"no sector {sector_id}")
    return SectorOut(**dict(row))


@router.post("/sectors", response_model=SectorOut, status_code=201, tags=["sectors"])
async def create_sector(request: Request, body: SectorIn, principal: Principal = Depends(managers)) -> SectorOut:
    async with runtime_of(request).uow() as uow:
        return SectorOut(**await handlers.register_sector(uow, principal, body.model_dump(mode="json")))


@router.get("/sectors/{sector_id}/bridges", response_model=list[BridgeOut], tags=["sectors"],
            summary="对口联系: the departments, enterprises and industries a sector speaks for (public)")
async def list_bridges(request: Request, sector_id: UuidStr) -> list[BridgeOut]:
    async with runtime_of(request).snapshot() as conn:
        if await storage.sector(conn, sector_id) is None:
            raise NotFound(f"no sector {sector_id}")
        return [BridgeOut(**dict(r)) for r in await storage.bridges(conn, sector_id)]


@router.post("/sectors/{sector_id}/bridges", response_model=BridgeOut, status_code=201, tags=["sectors"])
async def create_bridge(
    request: Request, sector_id: UuidStr, body: BridgeIn, principal: Principal = Depends(managers)
) -> BridgeOut:
    async with runtime_of(request).uow() as uow:
        return BridgeOut(**await handlers.add_bridge(uow, principal, sector_id, body.model_dump(mode="json")))


# --- special committees ---------------------------------------------------------------------


@router.get("/special-committees", response_model=Page[SpecialCommitteeOut], tags=["special committees"])
async def list_special_committees(
    request: Request, page: PageParams = Depends(page_params),
    principal: Principal = Depends(current_principal),
) -> Page[SpecialCommitteeOut]:
    async with runtime_of(request).snapshot() as conn:
        rows, total = await storage.special_committees_page(
            conn, pattern=principal.subtree_pattern,
            above=orgunits.ancestors_of(principal.org), limit=page.limit, offset=page.offset,
        )
    return Page(items=[SpecialCommitteeOut(**dict(r)) for r in rows], total=total)


@router.get("/special-committees/{committee_id}", response_model=SpecialCommitteeOut,
            tags=["special committees"])
async def get_special_committee(
    request: Request, committee_id: UuidStr, principal: Principal = Depends(current_principal)
) -> SpecialCommitteeOut:
    async with runtime_of(request).snapshot() as conn:
        row = await storage.special_committee(conn, committee_id)
    if row is None or not handlers.visible(principal, row["org_unit"]):
        raise NotFound(f"no special committee {committee_id}")
    return SpecialCommitteeOut(**dict(row))


@router.post("/special-committees", response_model=SpecialCommitteeOut, status_code=201,
             tags=["special committees"])
async def create_special_committee(
    request: Request, body: SpecialCommitteeIn, principal: Principal = Depends(managers)
) -> SpecialCommitteeOut:
    async with runtime_of(request).uow() as uow:
        row = await handlers.register_special_committee(uow, principal, body.model_dump(mode="json"))
    return SpecialCommitteeOut(**row)


@router.get("/special-committees/{committee_id}/plan-items", response_model=list[PlanItemOut],
            tags=["special committees"], summary="一委一品: the committee's annual plan for its sectors")
async def list_plan_items(
    request: Request, committee_id: UuidStr, year: int | None = Query(None, ge=2000, le=2100),
    principal: Principal = Depends(current_principal),
) -> list[PlanItemOut]:
    async with runtime_of(request).snapshot() as conn:
        row = await storage.special_committee(conn, committee_id)
        if row is None or not handlers.visible(principal, row["org_unit"]):
            raise NotFound(f"no special committee {committee_id}")
        return [PlanItemOut(**dict(r)) for r in await storage.plan_items(conn, committee_id, year)]


@router.post("/special-committees/{committee_id}/plan-items", response_model=PlanItemOut,
             status_code=201, tags=["special committees"])
async def create_plan_item(
    request: Request, committee_id: UuidStr, body: PlanItemIn, principal: Principal = Depends(managers)
) -> PlanItemOut:
    async with runtime_of(request).uow() as uow:
        return PlanItemOut(**await handlers.add_plan_item(uow, principal, committee_id, body.model_dump(mode="json")))


# --- members --------------------------------------------------------------------------------


@router.get("/members", response_model=Page[MemberOut], tags=["members"],
            summary="Members of the caller's committees and of contact points in its subtree")
async def list_members(
    request: Request, page: PageParams = Depends(page_params),
    sector_id: str | None = None, status: str | None = Query(None, pattern="^(active|ended)$"),
    unassigned: bool = Query(False, description="Only members with no contact point (下沉 gap)."),
    q: str | None = Query(None, max_length=50, description="Part of a name or work unit."),
    principal: Principal = Depends(current_principal),
) -> Page[MemberOut]:
    async with runtime_of(request).snapshot() as conn:
        if principal.role is Role.MEMBER:
            row = await storage.member(conn, principal.member_id or "")
            rows = [row] if row else []
            return Page(items=[member_out(r, principal) for r in rows], total=len(rows))
        if principal.role is Role.DEPARTMENT:
            return Page(items=[], total=0)
        rows, total = await storage.members_page(
            conn, pattern=principal.subtree_pattern, sector_id=sector_id, status=status,
            unassigned=unassigned, query=q, limit=page.limit, offset=page.offset,
        )
    return Page(items=[member_out(r, principal) for r in rows], total=total)


@router.post("/members", response_model=MemberOut, status_code=201, tags=["members"])
async def create_member(request: Request, body: MemberIn, principal: Principal = Depends(managers)) -> MemberOut:
    async with runtime_of(request).uow() as uow:
        row = await handlers.register_member(uow, principal, body.model_dump(mode="json"))
    return member_out(row, principal)


@router.get("/members/{member_id}", response_model=MemberOut, tags=["members"])
async def get_member(request: Request, member_id: UuidStr, principal: Principal = Depends(current_principal)) -> MemberOut:
    async with runtime_of(request).snapshot() as conn:
        row = await storage.member(conn, member_id)
    if row is None or not can_see_member(principal, row):
        raise NotFound(f"no member {member_id}")
    return member_out(row, principal)


@router.patch("/members/{member_id}", response_model=MemberOut, tags=["members"],
              summary="Staff change a member; a member changes its own card")
async def patch_member(
    request: Request, member_id: UuidStr, body: MemberPatch, principal: Principal = Depends(current_principal)
) -> MemberOut:
    async with runtime_of(request).uow() as uow:
        row = await handlers.change_member(uow, principal, member_id, body.model_dump(mode="json", exclude_unset=True))
    return member_out(row, principal)


@router.get("/members/{member_id}/card", response_model=MemberCard, tags=["members"],
            summary="亮身份: a member's public card (public)")
async def member_card(request: Request, member_id: UuidStr) -> MemberCard:
    async with runtime_of(request).snapshot() as conn:
        row = await storage.member(conn, member_id)
        if row is None or row["status"] != "active":
            raise NotFound(f"no member {member_id}")
        committee = await registry_storage.org_unit(conn, row["org_unit"])  # there: a member's unit is a reference
        if committee is None:
            raise RuntimeError(f"member {member_id}'s committee {row['org_unit']} is not in the registry")
        return MemberCard(
            id=row["id"], name=row["name"], sector=row["sector_name"], sector_category=row["sector_category"],
            committee=f"{committee['name']}政协", photo_url=row["photo_url"], public_contact=row["public_contact"],
            contact_points=list(row["contact_points"]),
            venues=[CardVenue(**dict(v)) for v in await venue_storage.card_venues(conn, member_id)],
            next_reception_days=[
                CardReceptionDay(**{k: r[k] for k in CardReceptionDay.model_fields})
                for r in await venue_storage.next_reception_days(conn, member_id)
            ],
        )


@router.post("/members/{member_id}/assignments", response_model=MemberOut, status_code=201,
             tags=["contact points"], summary="下沉: assign a member to a contact point")
async def assign(
    request: Request, member_id: UuidStr, body: AssignmentIn, principal: Principal = Depends(managers)
) -> MemberOut:
    async with runtime_of(request).uow() as uow:
        row = await handlers.assign_member(uow, principal, member_id, body.contact_point, assigned=True)
    return member_out(row, principal)


@router.delete("/members/{member_id}/assignments/{contact_point}", status_code=204, tags=["contact points"])
async def unassign(
    request: Request, member_id: UuidStr, contact_point: OrgCode, principal: Principal = Depends(managers)
) -> Response:
    async with runtime_of(request).uow() as uow:
        await handlers.assign_member(uow, principal, member_id, contact_point, assigned=False)
    return Response(status_code=204)


@router.get("/members/{member_id}/contact-point-suggestions", response_model=list[SuggestionOut],
            tags=["contact points"], summary="Contact points that fit a member's sector, occupation and region")
async def suggestions(
    request: Request, member_id: UuidStr, limit: int = Query(5, ge=1, le=50),
    principal: Principal = Depends(overseers),
) -> list[SuggestionOut]:
    async with runtime_of(request).snapshot() as conn:
        row = await storage.member(conn, member_id)
        if row is None or not can_see_member(principal, row):
            raise NotFound(f"no member {member_id}")
        taken = set(row["contact_points"])
        candidates = [
            Candidate(code=c["code"], name=c["name"], sectors_present=frozenset(c["sectors"]),
                      occupations_present=frozenset(c["occupations"]), members_assigned=c["members_assigned"])
            for c in await storage.contact_point_candidates(conn, orgunits.sql_subtree_pattern(row["org_unit"]))
            if c["code"] not in taken
        ]
    ranked = suggest_contact_points(sector_id=row["sector_id"], occupation=row["occupation"],
                                    region=row["region"], candidates=candidates, limit=limit)
    return [SuggestionOut(code=s.code, name=s.name, score=s.score, reasons=list(s.reasons)) for s in ranked]


# --- contact points ---------------------------------------------------------------------------


@router.get("/contact-points", response_model=Page[ContactPointOut], tags=["contact points"],
            summary="基层联系点 in the caller's subtree, with the members assigned")
async def list_contact_points(
    request: Request, page: PageParams = Depends(page_params),
    unassigned: bool = Query(False, description="Only contact points with no member."),
    principal: Principal = Depends(overseers),
) -> Page[ContactPointOut]:
    async with runtime_of(request).snapshot() as conn:
        rows, total = await storage.contact_points_page(
            conn, pattern=principal.subtree_pattern, unassigned=unassigned,
            limit=page.limit, offset=page.offset,
        )
    return Page(items=[ContactPointOut(**dict(r)) for r in rows], total=total)


@router.get("/contact-points/{code}/members", response_model=Page[PublicMember], tags=["contact points"],
            summary="Who serves a contact point: its members' public card fields (public)")
async def contact_point_members(request: Request, code: OrgCode,
                                page: PageParams = Depends(page_params)) -> Page[PublicMember]:
    async with runtime_of(request).snapshot() as conn:
        if not await storage.is_contact_point(conn, code):
            raise NotFound(f"no contact point {code}")
        rows, total = await storage.contact_point_members(conn, code, limit=page.limit, offset=page.offset)
    return Page(items=[PublicMember(**{k: r[k] for k in PublicMember.model_fields}) for r in rows], total=total)


@router.get("/contact-points/gaps", response_model=GapsOut, tags=["contact points"],
            summary="下沉 gaps: members with no contact point and contact points with no member")
async def gaps(request: Request, principal: Principal = Depends(overseers)) -> GapsOut:
    async with runtime_of(request).snapshot() as conn:
        members, _ = await storage.members_page(
            conn, pattern=principal.subtree_pattern, sector_id=None, status="active", unassigned=True,
            query=None, limit=10_000, offset=0,
        )
        points, _ = await storage.contact_points_page(
            conn, pattern=principal.subtree_pattern, unassigned=True, limit=10_000, offset=0
        )
    return GapsOut(
        members_without_contact_point=[member_out(r, principal) for r in members],
        contact_points_without_member=[ContactPointOut(**dict(r)) for r in points],
    )
