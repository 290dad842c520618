"""Events of the members service: the registry every other service projects from."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..events import Event, EventType, Payload
from .common import OrgCode

OrgUnitKind = Literal["committee", "liaison_group", "contact_point"]
Level = Literal["city", "county", "town", "village"]


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


class DepartmentRegistered(Event):
    """承办单位 — a government department or handling unit joined the registry."""

    event_type = EventType("members", "department", "registered", 1)

    id: str = Field(..., description="The department's id, as in /api/v1/departments.")
    name: str = Field(..., examples=["平罗县水务局"])
    org_unit: OrgCode
    duty_contact: DutyContact | None = None
    active: bool = True


class DepartmentUpdated(Event):
    """A department's name, unit, duty contact or status changed (the full current state)."""

    event_type = EventType("members", "department", "updated", 1)

    id: str
    name: str
    org_unit: OrgCode
    duty_contact: DutyContact | None = None
    active: bool = True
