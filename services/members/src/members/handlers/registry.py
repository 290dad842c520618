"""Commands of the members service: one function each, inside one unit of work.

A handler checks scope, changes state and records the events in the same transaction;
the API only parses, calls and answers.
"""

from __future__ import annotations

from typing import Any

from liaison_shared import orgunits
from liaison_shared.auth import Principal, Role
from liaison_shared.contracts.members import (
    DepartmentRegistered,
    DepartmentUpdated,
    DutyContact,
    OrgUnitChanged,
)
from liaison_shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from liaison_shared.uow import UnitOfWork

from ..domain.registry import plan_org_unit
from ..storage import registry as storage


def _contact_columns(contact: dict | None) -> dict[str, Any]:
    contact = contact or {}
    return {
        "duty_name": contact.get("name"),
        "duty_email": contact.get("email"),
        "duty_phone": contact.get("phone"),
    }


def _contact_of(row) -> DutyContact | None:
    if not (row["duty_name"] or row["duty_email"] or row["duty_phone"]):
        return None
    return DutyContact(name=row["duty_name"], email=row["duty_email"], phone=row["duty_phone"])


def org_unit_event(row) -> OrgUnitChanged:
    return OrgUnitChanged(
        code=row["code"], name=row["name"], parent=row["parent"], level=row["level"],
        kind=row["kind"], duty_contact=_contact_of(row), active=row["active"],
    )


def department_event(row, model=DepartmentUpdated):
    return model(
        id=row["id"], name=row["name"], org_unit=row["org_unit"],
        duty_contact=_contact_of(row), active=row["active"],
    )


def require_manager(principal: Principal, org_unit: str) -> None:
    """Staff manage their subtree; admins manage everything."""
    if principal.role is Role.ADMIN:
        return
    if principal.role is not Role.STAFF or not principal.covers(org_unit):
        raise Forbidden("only staff of this unit or a unit above it may change it")


async def register_org_unit(uow: UnitOfWork, principal: Principal, data: dict) -> dict:
    code = data["code"]
    if not orgunits.is_valid_code(code):
        raise Unprocessable(f"{code!r} is not a city, county, town or village division code")
    parent = orgunits.parent_of(code)
    if principal.role is not Role.ADMIN:
        # Staff add units under their own; only an admin adds a city.
        if parent is None:
            raise Forbidden("only an admin may add a city")
        require_manager(principal, parent)
    plan = plan_org_unit(
        code,
        data["name"],
        parent_exists=parent is None or await storage.org_unit(uow.conn, parent) is not None,
        exists=await storage.org_unit(uow.conn, code) is not None,
    )
    row = await storage.insert_org_unit(uow.conn, {
        "code": plan.code, "parent": plan.parent, "level": plan.level.value, "kind": plan.kind,
        "name": plan.name, "duties": data.get("duties"), "address": data.get("address"),
        **_contact_columns(data.get("duty_contact")),
    })
    uow.publish(org_unit_event(row))
    return dict(row)


async def change_org_unit(uow: UnitOfWork, principal: Principal, code: str, changes: dict) -> dict:
    row = await storage.org_unit_for_update(uow.conn, code)
    if row is None or not principal.may_manage(code):
        raise NotFound(f"no org unit {code}")
    require_manager(principal, code)
    columns = {k: v for k, v in changes.items() if k in {"name", "duties", "address", "active"}}
    if "duty_contact" in changes:
        columns.update(_contact_columns(changes["duty_contact"]))
    if not columns:
        return dict(row)
    row = await storage.update_org_unit(uow.conn, code, columns)
    uow.publish(org_unit_event(row))
    return dict(row)


async def register_department(uow: UnitOfWork, principal: Principal, data: dict) -> dict:
    require_manager(principal, data["org_unit"])
    if await storage.org_unit(uow.conn, data["org_unit"]) is None:
        raise Unprocessable(f"org unit {data['org_unit']} is not registered")
    row = await storage.insert_department(uow.conn, {
        "id": data.get("id"), "name": data["name"], "org_unit": data["org_unit"],
        **_contact_columns(data.get("duty_contact")),
    })
    if row is None:
        raise Conflict(f"{data['name']} is already registered at {data['org_unit']}", code="duplicate")
    uow.publish(department_event(row, DepartmentRegistered))
    return dict(row)


def can_see_department(principal: Principal, row) -> bool:
    if principal.role is Role.DEPARTMENT:
        return principal.dept == row["id"]
    return principal.may_manage(row["org_unit"])


async def change_department(
    uow: UnitOfWork, principal: Principal, department_id: str, changes: dict
) -> dict:
    row = await storage.department(uow.conn, department_id)
    if row is None or not can_see_department(principal, row):
        raise NotFound(f"no department {department_id}")
    require_manager(principal, row["org_unit"])
    columns = {k: v for k, v in changes.items() if k in {"name", "active"}}
    if "duty_contact" in changes:
        columns.update(_contact_columns(changes["duty_contact"]))
    if not columns:
        return dict(row)
    row = await storage.update_department(uow.conn, department_id, columns)
    uow.publish(department_event(row))
    return dict(row)
