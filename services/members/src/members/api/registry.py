"""HTTP routes of the members service: parse, authorise, call a handler, answer."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from liaison_shared.auth import Principal, Role, current_principal
from liaison_shared.contracts.common import OrgCode
from liaison_shared.contracts.members import Level
from liaison_shared.errors import NotFound
from liaison_shared.openapi import UuidStr
from liaison_shared.orgunits import sql_subtree_pattern
from liaison_shared.paging import Page, PageParams, page_params
from liaison_shared.service import runtime_of

from ..handlers import registry as handlers
from ..schemas.registry import (
    DepartmentIn,
    DepartmentOut,
    DepartmentPatch,
    DutyContactIn,
    OrgUnitIn,
    OrgUnitOut,
    OrgUnitPatch,
)
from ..storage import registry as storage
from . import managers

router = APIRouter()


def _contact(row) -> DutyContactIn | None:
    if not (row["duty_name"] or row["duty_email"] or row["duty_phone"]):
        return None
    return DutyContactIn.model_construct(
        name=row["duty_name"], email=row["duty_email"], phone=row["duty_phone"]
    )


def org_unit_out(row) -> OrgUnitOut:
    return OrgUnitOut(**{k: row[k] for k in OrgUnitOut.model_fields if k != "duty_contact"},
                      duty_contact=_contact(row))


def department_out(row) -> DepartmentOut:
    return DepartmentOut(**{k: row[k] for k in DepartmentOut.model_fields if k != "duty_contact"},
                         duty_contact=_contact(row))


# --- org units (public reads) -----------------------------------------------------------


@router.get("/org-units", response_model=Page[OrgUnitOut], tags=["org units"],
            summary="Org units of the four levels, flat (public)")
async def list_org_units(
    request: Request,
    page: PageParams = Depends(page_params),
    under: OrgCode | None = Query(None, description="Only this unit and the units under it."),
    level: Level | None = None,
    parent: OrgCode | None = None,
) -> Page[OrgUnitOut]:
    pattern = sql_subtree_pattern(under) if under else "%"
    async with runtime_of(request).snapshot() as conn:
        rows, total = await storage.org_units_page(
            conn, pattern=pattern, level=level, parent=parent,
            limit=page.limit, offset=page.offset,
        )
    return Page(items=[org_unit_out(r) for r in rows], total=total)


@router.get("/org-units/{code}", response_model=OrgUnitOut, tags=["org units"],
            summary="One org unit with its public profile (亮责任) (public)")
async def get_org_unit(request: Request, code: str) -> OrgUnitOut:
    async with runtime_of(request).snapshot() as conn:
        row = await storage.org_unit(conn, code)
    if row is None:
        raise NotFound(f"no org unit {code}")
    return org_unit_out(row)


@router.post("/org-units", response_model=OrgUnitOut, status_code=201, tags=["org units"],
             summary="Register an org unit under the caller's unit")
async def create_org_unit(
    request: Request, body: OrgUnitIn, principal: Principal = Depends(managers)
) -> OrgUnitOut:
    async with runtime_of(request).uow() as uow:
        row = await handlers.register_org_unit(uow, principal, body.model_dump(mode="json"))
    return org_unit_out(row)


@router.patch("/org-units/{code}", response_model=OrgUnitOut, tags=["org units"],
              summary="Change an org unit's name, profile, duty contact or status")
async def patch_org_unit(
    request: Request, code: str, body: OrgUnitPatch, principal: Principal = Depends(managers)
) -> OrgUnitOut:
    async with runtime_of(request).uow() as uow:
        row = await handlers.change_org_unit(
            uow, principal, code, body.model_dump(mode="json", exclude_unset=True)
        )
    return org_unit_out(row)


# --- departments -----------------------------------------------------------------------


@router.get("/departments", response_model=Page[DepartmentOut], tags=["departments"],
            summary="Departments (承办单位) in the caller's subtree")
async def list_departments(
    request: Request,
    page: PageParams = Depends(page_params),
    org_unit: OrgCode | None = None,
    principal: Principal = Depends(current_principal),
) -> Page[DepartmentOut]:
    async with runtime_of(request).snapshot() as conn:
        if principal.role is Role.DEPARTMENT:
            row = await storage.department(conn, principal.dept or "")
            rows = [row] if row and (org_unit is None or row["org_unit"] == org_unit) else []
            return Page(items=[department_out(r) for r in rows[page.offset:page.offset + page.limit]],
                        total=len(rows))
        rows, total = await storage.departments_page(
            conn, pattern=principal.subtree_pattern, org_unit=org_unit,
            limit=page.limit, offset=page.offset,
        )
    return Page(items=[department_out(r) for r in rows], total=total)


@router.get("/departments/{department_id}", response_model=DepartmentOut, tags=["departments"])
async def get_department(
    request: Request, department_id: UuidStr, principal: Principal = Depends(current_principal)
) -> DepartmentOut:
    async with runtime_of(request).snapshot() as conn:
        row = await storage.department(conn, department_id)
    if row is None or not handlers.can_see_department(principal, row):
        raise NotFound(f"no department {department_id}")
    return department_out(row)


@router.post("/departments", response_model=DepartmentOut, status_code=201, tags=["departments"],
             summary="Register a department in the caller's subtree")
async def create_department(
    request: Request, body: DepartmentIn, principal: Principal = Depends(managers)
) -> DepartmentOut:
    async with runtime_of(request).uow() as uow:
        row = await handlers.register_department(uow, principal, body.model_dump(mode="json"))
    return department_out(row)


@router.patch("/departments/{department_id}", response_model=DepartmentOut, tags=["departments"])
async def patch_department(
    request: Request, department_id: UuidStr, body: DepartmentPatch,
    principal: Principal = Depends(managers),
) -> DepartmentOut:
    async with runtime_of(request).uow() as uow:
        row = await handlers.change_department(
            uow, principal, department_id, body.model_dump(mode="json", exclude_unset=True)
        )
    return department_out(row)
