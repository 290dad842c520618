"""Events of the members service: the registry every other service projects from."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..events import Event, EventType, Payload
from .common import OrgCode

OrgUnitKind = Literal["committee", "liaison_group", "contact_point"]
Level = Literal["city", "county", "town", "village"]
MemberStatus = Literal["active", "ended"]
VenueKind = Literal["sector_studio", "reception_room", "contact_point", "deliberation_hall"]


class DutyContact(Payload):
    """值班联系人 — whom to reach at a unit or department (staff data, not a citizen's)."""

    name: str | None = Field(None, max_length=100)
    email: str | None = Field(None, max_length=200)
    phone: str | None = Field(None, max_length=40)


class OrgUnitChanged(Event):
    """组织单元 — an org unit was created or changed (the full current state)."""

    event_type = EventType("members", "org_unit", "changed", 1)

    code: OrgCode
    name: str = Field(..., min_length=1, max_length=100, examples=["平罗县"])
    parent: OrgCode | None = Field(None, description="The unit one level up; none for a city.")
    level: Level
    kind: OrgUnitKind = Field(..., description="政协委员会, 联络小组 or 联系点, by level.")
    duty_contact: DutyContact | None = None
    active: bool = True

    @property
    def subject(self) -> str:
        return self.code

    @property
    def org_unit(self) -> str:
        """A unit's own events belong to the unit itself."""
        return self.code


class DepartmentState(Event):
    """The full current state of a department (base of its events)."""

    id: str = Field(..., description="The department's id, as in /api/v1/departments.")
    name: str = Field(..., examples=["平罗县水务局"])
    org_unit: OrgCode
    duty_contact: DutyContact | None = None
    active: bool = True


class DepartmentRegistered(DepartmentState):
    """承办单位 — a government department or handling unit joined the registry."""

    event_type = EventType("members", "department", "registered", 1)


class DepartmentUpdated(DepartmentState):
    """A department's name, unit, duty contact or status changed (the full current state)."""

    event_type = EventType("members", "department", "updated", 1)


SectorCategory = Literal["cpc", "parties_groups", "professional", "ethnic_religious"]


class MemberState(Event):
    """The full current state of a member (base of its events).

    Carries no private contact data: only the public card fields and the ids other
    services need to route and address.
    """

    id: str
    name: str = Field(..., description="A member's name is public (亮身份).")
    sector_id: str
    sector_name: str
    org_unit: OrgCode = Field(..., description="The city or county whose committee the member sits on.")
    special_committee_id: str | None = None
    region: OrgCode | None = None
    status: MemberStatus = "active"
    contact_points: list[OrgCode] = Field(default_factory=list)


class MemberRegistered(MemberState):
    """委员 — a member of a city or county CPPCC committee joined the registry."""

    event_type = EventType("members", "member", "registered", 1)


class MemberUpdated(MemberState):
    """A member's profile, sector, committee or status changed (the full current state)."""

    event_type = EventType("members", "member", "updated", 1)


class MemberAssigned(Event):
    """下沉 — a member was assigned to (or released from) a grassroots contact point."""

    event_type = EventType("members", "member", "assigned", 1)

    member_id: str
    contact_point: OrgCode
    assigned: bool = Field(True, description="False when the assignment ended.")
    contact_points: list[OrgCode] = Field(..., description="All of the member's contact points now.")

    @property
    def org_unit(self) -> str:
        """Seen by the contact point the member went to (or left)."""
        return self.contact_point


class ActivityLogged(Event):
    """履职活动 — a liaison activity with its participants and reach."""

    event_type = EventType("members", "activity", "logged", 1)

    id: str
    type: str
    title: str
    org_unit: OrgCode
    occurred_on: str = Field(..., description="YYYY-MM-DD")
    member_ids: list[str]
    people_reached: int = Field(0, ge=0)
    opinion_ids: list[str] = Field(default_factory=list)
    # Added in issue 20 (optional: v1 readers ignore it, v1 producers leave it out).
    group_id: str | None = Field(None, description="The sector activity group (界别活动组) that held it, if one did.")


class AssessmentPublished(Event):
    """考核 — a year's scores were published, with the 先进界别活动组 named."""

    event_type = EventType("members", "assessment", "published", 1)

    id: str
    org_unit: OrgCode
    year: int
    rule_version: int
    members_scored: int
    top_sector_ids: list[str]


class VenueChanged(Event):
    """履职平台 — a venue was created or changed (the full current state)."""

    event_type = EventType("members", "venue", "changed", 1)

    id: str
    kind: VenueKind
    name: str
    org_unit: OrgCode
    address: str | None = None
    opening_hours: str | None = None
    active: bool = True


class ReceptionDayScheduled(Event):
    """委员接待日 — a member will receive the public at a venue."""

    event_type = EventType("members", "reception_day", "scheduled", 1)

    id: str
    member_id: str
    venue_id: str
    org_unit: OrgCode
    starts_at: str
    ends_at: str
    capacity: int


Occasion = Literal["activity", "reception_day", "session"]


class AttendanceRecorded(Event):
    """扫码签到 — a member was recorded present at an activity, a reception day or a consultation
    session, from the signed code its organiser showed. Once per member and occasion; keyed by
    the occasion, so one occasion's attendance stays in order."""

    event_type = EventType("members", "attendance", "recorded", 1)

    occasion: Occasion = Field(..., description="activity (履职活动), reception_day (委员接待日) or session (协商议事).")
    occasion_id: str = Field(..., description="The occasion's id in the service that holds it (a session: "
                                              "consultation's).")
    member_id: str
    org_unit: OrgCode = Field(..., description="Where the occasion took place.")
    checked_in_at: str = Field(..., description="When the member checked in (ISO 8601).")

    @property
    def subject(self) -> str:
        return self.occasion_id
