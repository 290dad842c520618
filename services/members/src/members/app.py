"""Composition root of the members service."""

from __future__ import annotations

from liaison_shared.contracts.members import DepartmentRegistered, DepartmentUpdated, OrgUnitChanged
from liaison_shared.service import ServiceSpec

from .api import router


def spec() -> ServiceSpec:
    return ServiceSpec(
        name="members",
        package="members",
        title="members",
        description=__import__("members").__doc__ or "",
        routers=[router],
        publishes=[OrgUnitChanged, DepartmentRegistered, DepartmentUpdated],
        registry_topics=["cppcc.members.org_unit", "cppcc.members.department"],
    )
