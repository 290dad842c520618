"""The HTTP shapes of the members API (what the OpenAPI document shows)."""

from __future__ import annotations

from datetime import datetime

from liaison_shared.contracts.common import OrgCode
from liaison_shared.contracts.members import Level, OrgUnitKind
from pydantic import BaseModel, ConfigDict, EmailStr, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _no_default(schema: dict) -> None:
    for prop in schema.get("properties", {}).values():
        prop.pop("default", None)


class Patch(Strict):
    """A partial update: only the fields sent change (routes read it with ``exclude_unset``).

    A field typed without ``None`` takes no null: its ``None`` default only means "not sent" —
    pydantic does not validate defaults, so an explicit null fails the type with a 422, and the
    document shows no default that would read as a null value.
    """

    model_config = ConfigDict(json_schema_extra=_no_default)


class DutyContactIn(Strict):
    """值班联系人."""

    name: str | None = Field(None, max_length=100)
    email: EmailStr | None = None
    phone: str | None = Field(None, pattern=r"^[0-9+\-() ]{5,30}$")


class OrgUnitIn(Strict):
    code: OrgCode
    name: str = Field(..., min_length=1, max_length=100)
    duty_contact: DutyContactIn | None = None
    duties: str | None = Field(None, max_length=4000, description="亮责任: duties shown to the public")
    address: str | None = Field(None, max_length=300)


class OrgUnitPatch(Patch):
    name: str = Field(None, min_length=1, max_length=100)
    duty_contact: DutyContactIn | None = None
    duties: str | None = Field(None, max_length=4000)
    address: str | None = Field(None, max_length=300)
    active: bool = None


class OrgUnitOut(BaseModel):
    code: str
    parent: str | None
    level: Level
    kind: OrgUnitKind
    name: str
    duty_contact: DutyContactIn | None = None
    duties: str | None = None
    address: str | None = None
    active: bool
    updated_at: datetime


class DepartmentIn(Strict):
    name: str = Field(..., min_length=1, max_length=200)
    org_unit: OrgCode
    duty_contact: DutyContactIn | None = None


class DepartmentPatch(Patch):
    name: str = Field(None, min_length=1, max_length=200)
    duty_contact: DutyContactIn | None = None
    active: bool = None


class DepartmentOut(BaseModel):
    id: str
    name: str
    org_unit: str
    duty_contact: DutyContactIn | None = None
    active: bool
    updated_at: datetime
