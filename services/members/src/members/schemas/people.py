"""HTTP shapes of sectors, special committees, bridges, members and contact points."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from liaison_shared.contracts.common import OrgCode
from liaison_shared.contracts.members import MemberStatus, SectorCategory
from liaison_shared.openapi import UuidStr
from pydantic import BaseModel, EmailStr, Field, HttpUrl

from .registry import Patch, Strict


class SectorIn(Strict):
    org_unit: OrgCode = Field(..., description="The city or county committee the sector belongs to.")
    name: str = Field(..., min_length=1, max_length=100, examples=["经济界"], description="The sector's name (界别).")
    category: SectorCategory = Field(
        description="cpc (中共), parties_groups (党派团体), professional (专业界别) or ethnic_religious (民族、宗教).")


class SectorOut(BaseModel):
    id: UuidStr = Field(description="The sector's id (界别).")
    org_unit: str = Field(description="The committee's unit: division code.")
    name: str = Field(description="The sector's name.")
    category: SectorCategory = Field(description="cpc, parties_groups, professional or ethnic_religious.")
    duty_emphasis: str = Field(description="What its members should stress, by category.")


class SpecialCommitteeIn(Strict):
    org_unit: OrgCode = Field(description="The committee (city or county) it belongs to.")
    name: str = Field(..., min_length=1, max_length=100, examples=["提案委员会"],
        description="The special committee's name (专委会).")
    sector_ids: list[str] = Field(default_factory=list, description="三联系: the sectors it guides.")


class SpecialCommitteeOut(BaseModel):
    id: UuidStr = Field(description="The special committee's id (专委会).")
    org_unit: str = Field(description="The committee's unit: division code.")
    name: str = Field(description="The special committee's name.")
    sector_ids: list[str] = Field(description="三联系: the sectors it guides.")


class PlanItemIn(Strict):
    year: int = Field(..., ge=2000, le=2100, description="The year of the plan (一委一品).")
    title: str = Field(..., min_length=1, max_length=200, description="The plan item's title.")
    sector_id: UuidStr | None = Field(None, description="The sector (界别) it is for.")
    description: str | None = Field(None, max_length=4000, description="What is planned.")


class PlanItemOut(BaseModel):
    id: UuidStr = Field(description="The plan item's id (一委一品).")
    sector_id: UuidStr | None = Field(description="The sector (界别) it is for.")
    year: int = Field(description="The year of the plan.")
    title: str = Field(description="The plan item's title.")
    description: str | None = Field(description="What is planned.")


class BridgeIn(Strict):
    kind: Literal["department", "enterprise", "industry"] = Field(
        description="department, enterprise or industry (对口联系).")
    name: str = Field(..., min_length=1, max_length=200,
        description="The department's, enterprise's or industry's name.")
    department_id: UuidStr | None = Field(None, description="The department (承办单位), when kind is department.")
    note: str | None = Field(None, max_length=1000, description="A note.")


class BridgeOut(BaseModel):
    id: UuidStr = Field(description="The bridge's id (对口联系).")
    kind: str = Field(description="department, enterprise or industry.")
    name: str = Field(description="The department's, enterprise's or industry's name.")
    department_id: UuidStr | None = Field(description="The department (承办单位), when kind is department.")
    note: str | None = Field(description="A note.")


class MemberIn(Strict):
    name: str = Field(..., min_length=1, max_length=50, examples=["马红梅"], description="The member's name (委员).")
    sector_id: UuidStr = Field(description="The member's sector (界别).")
    org_unit: OrgCode = Field(..., description="The city or county whose committee the member sits on.")
    special_committee_id: UuidStr | None = Field(None, description="The special committee (专委会) the member sits on.")
    occupation: str | None = Field(None, max_length=100, description="The member's occupation.")
    work_unit: str | None = Field(None, max_length=200, description="The member's work unit (工作单位).")
    region: OrgCode | None = Field(None, description="Where the member lives or works.")
    term: str | None = Field(None, max_length=50, examples=["第十一届"], description="The term (届).")
    photo_url: HttpUrl | None = Field(None, description="The member's photo: a URL.")
    public_contact: str | None = Field(None, max_length=200, description="亮身份: shown on the card.")
    email: EmailStr | None = Field(None, description="Private: shown to staff and the member only.")
    phone: str | None = Field(None, pattern=r"^[0-9+\-() ]{5,30}$",
        description="Private: shown to staff and the member only.")


class MemberPatch(Patch):
    name: str = Field(None, min_length=1, max_length=50, description="The member's name (委员).")  # type: ignore[assignment]  # None: not sent; a null is refused
    sector_id: str = Field(None, min_length=1, max_length=64, description="The member's sector (界别).")  # type: ignore[assignment]  # None: not sent; a null is refused
    special_committee_id: UuidStr | None = Field(None, description="The special committee (专委会) the member sits on.")
    occupation: str | None = Field(None, max_length=100, description="The member's occupation.")
    work_unit: str | None = Field(None, max_length=200, description="The member's work unit (工作单位).")
    region: OrgCode | None = Field(None, description="Where the member lives or works.")
    term: str | None = Field(None, max_length=50, description="The term (届), e.g. 第十一届.")
    status: MemberStatus = Field(None, description="active, or ended (no longer a member).")  # type: ignore[arg-type]  # None: not sent; a null is refused
    photo_url: HttpUrl | None = Field(None, description="The member's photo: a URL.")
    public_contact: str | None = Field(None, max_length=200,
        description="The public contact channel shown on the card (亮身份).")
    email: EmailStr | None = Field(None, description="Private: shown to staff and the member only.")
    phone: str | None = Field(None, pattern=r"^[0-9+\-() ]{5,30}$",
        description="Private: shown to staff and the member only.")


class MemberOut(BaseModel):
    id: UuidStr = Field(description="The member's id (委员).")
    name: str = Field(description="The member's name.")
    sector_id: UuidStr = Field(description="The member's sector (界别).")
    sector_name: str = Field(description="The sector's name.")
    org_unit: str = Field(description="The city or county whose committee the member sits on.")
    special_committee_id: UuidStr | None = Field(description="The special committee (专委会) the member sits on.")
    occupation: str | None = Field(description="The member's occupation.")
    work_unit: str | None = Field(description="The member's work unit (工作单位).")
    region: str | None = Field(description="Where the member lives or works: division code.")
    term: str | None = Field(description="The term (届), e.g. 第十一届.")
    status: MemberStatus = Field(description="active or ended.")
    photo_url: str | None = Field(description="The member's photo: a URL.")
    public_contact: str | None = Field(description="The public contact channel shown on the card (亮身份).")
    email: str | None = Field(None, description="Only for staff and the member itself.")
    phone: str | None = Field(None, description="Only for staff and the member itself.")
    contact_points: list[str] = Field(
        description="The contact points (基层联系点) the member is assigned to (下沉): division codes.")
    updated_at: datetime = Field(description="When it last changed.")


class CardReceptionDay(BaseModel):
    id: UuidStr = Field(description="The reception day's id (委员接待日).")
    venue_id: UuidStr = Field(description="The venue (履职平台) where.")
    venue_name: str = Field(description="The venue's name.")
    starts_at: datetime = Field(description="When it starts, with a UTC offset.")
    ends_at: datetime = Field(description="When it ends, with a UTC offset.")


class CardVenue(BaseModel):
    id: UuidStr = Field(description="The venue's id (履职平台).")
    kind: str = Field(description="sector_studio, reception_room, contact_point or deliberation_hall.")
    name: str = Field(description="The venue's name.")
    org_unit: str = Field(description="Where it is: division code.")
    address: str | None = Field(description="The street address.")


class PublicMember(BaseModel):
    """A member as anyone may see it in a list: the fields of its public card, nothing else."""

    id: UuidStr = Field(description="The member's id (委员).")
    name: str = Field(description="The member's name.")
    sector: str = Field(description="The sector's name (界别).")
    sector_category: SectorCategory = Field(
        description="The sector's category: cpc (中共), parties_groups (党派团体), professional (专业界别) or ethnic_religious (民族、宗教).")
    committee: str = Field(..., examples=["平罗县政协"], description="The member's committee (政协), by name.")
    photo_url: str | None = Field(description="The member's photo: a URL.")
    public_contact: str | None = Field(description="The public contact channel shown on the card (亮身份).")


class MemberCard(BaseModel):
    """亮身份 — what anyone may see of a member."""

    id: UuidStr = Field(description="The member's id (委员).")
    name: str = Field(description="The member's name.")
    sector: str = Field(description="The sector's name (界别).")
    sector_category: SectorCategory = Field(
        description="The sector's category: cpc (中共), parties_groups (党派团体), professional (专业界别) or ethnic_religious (民族、宗教).")
    committee: str = Field(description="The member's committee (政协), by name.")
    photo_url: str | None = Field(description="The member's photo: a URL.")
    public_contact: str | None = Field(description="The public contact channel shown on the card (亮身份).")
    contact_points: list[str] = Field(description="The contact points (基层联系点) the member serves: division codes.")
    venues: list[CardVenue] = Field(description="Where the member can be met (履职平台).")
    next_reception_days: list[CardReceptionDay] = Field(description="The member's coming reception days (委员接待日).")


class AssignmentIn(Strict):
    contact_point: OrgCode = Field(description="The contact point (基层联系点): a village's or community's division code.")


class SuggestionOut(BaseModel):
    code: str = Field(description="The contact point's division code (基层联系点).")
    name: str = Field(description="The contact point's name.")
    score: float = Field(description="How well it fits: higher is better.")
    reasons: list[str] = Field(description="Why it fits: sector, occupation, region.")


class ContactPointOut(BaseModel):
    code: str = Field(description="The contact point's division code (基层联系点).")
    name: str = Field(description="The contact point's name.")
    level: str = Field(description="The unit's level: city (市), county (县/区), town (乡镇/街道) or village (村/社区).")
    parent: str | None = Field(description="The unit above it.")
    member_ids: list[str] = Field(description="The members assigned to it (下沉).")


class GapsOut(BaseModel):
    """下沉 gaps: members with no contact point, contact points with no member."""

    members_without_contact_point: list[MemberOut] = Field(description="Members assigned to no contact point.")
    contact_points_without_member: list[ContactPointOut] = Field(description="Contact points no member serves.")


class MemberContact(BaseModel):
    """A member's private contact, for notify alone: member events never carry it, since other
    government systems subscribe to those topics."""

    email: str | None = Field(description="The member's e-mail address.")
    phone: str | None = Field(description="The member's phone.")
