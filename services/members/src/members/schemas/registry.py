"""The HTTP shapes of the members API (what the OpenAPI document shows)."""

from __future__ import annotations

from datetime import datetime

from liaison_shared.contracts.common import OrgCode
from liaison_shared.contracts.members import Level, OrgUnitKind
from liaison_shared.openapi import UuidStr
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

    name: str | None = Field(None, max_length=100, description="The duty contact's name (值班联系人).")
    email: EmailStr | None = Field(None, description="The duty contact's e-mail address.")
    phone: str | None = Field(None, pattern=r"^[0-9+\-() ]{5,30}$", description="The duty contact's phone.")


class OrgUnitIn(Strict):
    code: OrgCode = Field(description="Its 12-digit division code (统计用区划代码): the level follows from it.")
    name: str = Field(..., min_length=1, max_length=100, description="The unit's name, e.g. 黄渠桥镇.")
    duty_contact: DutyContactIn | None = Field(None, description="The duty contact (值班联系人).")
    duties: str | None = Field(None, max_length=4000, description="亮责任: duties shown to the public")
    address: str | None = Field(None, max_length=300, description="Where the CPPCC body of the unit sits.")


class OrgUnitPatch(Patch):
    name: str = Field(None, min_length=1, max_length=100, description="The unit's name.")  # type: ignore[assignment]  # None: not sent; a null is refused
    duty_contact: DutyContactIn | None = Field(None, description="The duty contact (值班联系人).")
    duties: str | None = Field(None, max_length=4000, description="亮责任: duties shown to the public.")
    address: str | None = Field(None, max_length=300, description="Where the CPPCC body of the unit sits.")
    active: bool = Field(None, description="False once deactivated: kept, no longer offered.")  # type: ignore[assignment]  # None: not sent; a null is refused


class OrgUnitOut(BaseModel):
    code: str = Field(description="Its 12-digit division code (统计用区划代码).")
    parent: str | None = Field(description="The unit above; null for the city.")
    level: Level = Field(description="The unit's level: city (市), county (县/区), town (乡镇/街道) or village (村/社区).")
    kind: OrgUnitKind = Field(description="committee (政协委员会), liaison_group (联络小组) or contact_point (基层联系点), by level.")
    name: str = Field(description="The unit's name.")
    duty_contact: DutyContactIn | None = Field(None, description="The duty contact (值班联系人).")
    duties: str | None = Field(None, description="亮责任: duties shown to the public.")
    address: str | None = Field(None, description="Where the CPPCC body of the unit sits.")
    active: bool = Field(description="False once deactivated: kept, no longer offered.")
    updated_at: datetime = Field(description="When it last changed.")


class DepartmentIn(Strict):
    name: str = Field(..., min_length=1, max_length=200, description="The department's name (承办单位).")
    org_unit: OrgCode = Field(description="The unit whose department it is.")
    duty_contact: DutyContactIn | None = Field(None, description="The duty contact (值班联系人).")


class DepartmentPatch(Patch):
    name: str = Field(None, min_length=1, max_length=200, description="The department's name (承办单位).")  # type: ignore[assignment]  # None: not sent; a null is refused
    duty_contact: DutyContactIn | None = Field(None, description="The duty contact (值班联系人).")
    active: bool = Field(None, description="False once deactivated: kept, no longer offered.")  # type: ignore[assignment]  # None: not sent; a null is refused


class DepartmentOut(BaseModel):
    id: UuidStr = Field(description="The department's id (承办单位): a department token's dept claim.")
    name: str = Field(description="The department's name.")
    org_unit: str = Field(description="The unit whose department it is.")
    duty_contact: DutyContactIn | None = Field(None, description="The duty contact (值班联系人).")
    active: bool = Field(description="False once deactivated: kept, no longer offered.")
    updated_at: datetime = Field(description="When it last changed.")
