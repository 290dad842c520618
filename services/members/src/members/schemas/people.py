"""HTTP shapes of sectors, special committees, bridges, members and contact points."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from liaison_shared.contracts.common import OrgCode
from liaison_shared.contracts.members import MemberStatus, SectorCategory
from pydantic import BaseModel, EmailStr, Field, HttpUrl

from .registry import Patch, Strict


class SectorIn(Strict):
    org_unit: OrgCode = Field(..., description="The city or county committee the sector belongs to.")
    name: str = Field(..., min_length=1, max_length=100, examples=["经济界"])
    category: SectorCategory


class SectorOut(BaseModel):
    id: str
    org_unit: str
    name: str
    category: SectorCategory
    duty_emphasis: str


class SpecialCommitteeIn(Strict):
    org_unit: OrgCode
    name: str = Field(..., min_length=1, max_length=100, examples=["提案委员会"])
    sector_ids: list[str] = Field(default_factory=list, description="三联系: the sectors it guides.")


class SpecialCommitteeOut(BaseModel):
    id: str
    org_unit: str
    name: str
    sector_ids: list[str]


class PlanItemIn(Strict):
    year: int = Field(..., ge=2000, le=2100)
    title: str = Field(..., min_length=1, max_length=200)
    sector_id: str | None = None
    description: str | None = Field(None, max_length=4000)


class PlanItemOut(BaseModel):
    id: str
    sector_id: str | None
    year: int
    title: str
    description: str | None


class BridgeIn(Strict):
    kind: Literal["department", "enterprise", "industry"]
    name: str = Field(..., min_length=1, max_length=200)
    department_id: str | None = None
    note: str | None = Field(None, max_length=1000)


class BridgeOut(BaseModel):
    id: str
    kind: str
    name: str
    department_id: str | None
    note: str | None


class MemberIn(Strict):
    name: str = Field(..., min_length=1, max_length=50, examples=["马红梅"])
    sector_id: str
    org_unit: OrgCode = Field(..., description="The city or county whose committee the member sits on.")
    special_committee_id: str | None = None
    occupation: str | None = Field(None, max_length=100)
    work_unit: str | None = Field(None, max_length=200)
    region: OrgCode | None = Field(None, description="Where the member lives or works.")
    term: str | None = Field(None, max_length=50, examples=["第十一届"])
    photo_url: HttpUrl | None = None
    public_contact: str | None = Field(None, max_length=200, description="亮身份: shown on the card.")
    email: EmailStr | None = None
    phone: str | None = Field(None, pattern=r"^[0-9+\-() ]{5,30}$")


class MemberPatch(Patch):
    name: str = Field(None, min_length=1, max_length=50)
    sector_id: str = Field(None, min_length=1, max_length=64)
    special_committee_id: str | None = None
    occupation: str | None = Field(None, max_length=100)
    work_unit: str | None = Field(None, max_length=200)
    region: OrgCode | None = None
    term: str | None = Field(None, max_length=50)
    status: MemberStatus = None
    photo_url: HttpUrl | None = None
    public_contact: str | None = Field(None, max_length=200)
    email: EmailStr | None = None
    phone: str | None = Field(None, pattern=r"^[0-9+\-() ]{5,30}$")


class MemberOut(BaseModel):
    id: str
    name: str
    sector_id: str
    sector_name: str
    org_unit: str
    special_committee_id: str | None
    occupation: str | None
    work_unit: str | None
    region: str | None
    term: str | None
    status: MemberStatus
    photo_url: str | None
    public_contact: str | None
    email: str | None = Field(None, description="Only for staff and the member itself.")
    phone: str | None = Field(None, description="Only for staff and the member itself.")
    contact_points: list[str]
    updated_at: datetime


class CardReceptionDay(BaseModel):
    id: str
    venue_id: str
    venue_name: str
    starts_at: datetime
    ends_at: datetime


class CardVenue(BaseModel):
    id: str
    kind: str
    name: str
    org_unit: str
    address: str | None


class PublicMember(BaseModel):
    """A member as anyone may see it in a list: the fields of its public card, nothing else."""

    id: str
    name: str
    sector: str
    sector_category: SectorCategory
    committee: str = Field(..., examples=["平罗县政协"])
    photo_url: str | None
    public_contact: str | None


class MemberCard(BaseModel):
    """亮身份 — what anyone may see of a member."""

    id: str
    name: str
    sector: str
    sector_category: SectorCategory
    committee: str
    photo_url: str | None
    public_contact: str | None
    contact_points: list[str]
    venues: list[CardVenue]
    next_reception_days: list[CardReceptionDay]


class AssignmentIn(Strict):
    contact_point: OrgCode


class SuggestionOut(BaseModel):
    code: str
    name: str
    score: float
    reasons: list[str]


class ContactPointOut(BaseModel):
    code: str
    name: str
    level: str
    parent: str | None
    member_ids: list[str]


class GapsOut(BaseModel):
    """下沉 gaps: members with no contact point, contact points with no member."""

    members_without_contact_point: list[MemberOut]
    contact_points_without_member: list[ContactPointOut]


class MemberContact(BaseModel):
    """A member's private contact, for notify alone: member events never carry it, since other
    government systems subscribe to those topics."""

    email: str | None
    phone: str | None
