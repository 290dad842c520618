"""Routes of the category tree (问题分类): staff keep it; the public form reads what a unit offers."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request
from liaison_shared.auth import Principal, Role, require_roles
from liaison_shared.contracts.common import OrgCode
from liaison_shared.errors import NotFound
from liaison_shared.paging import Page
from liaison_shared.service import runtime_of

from ..domain.categories import Placed
from ..handlers import categories as handlers
from ..schemas.categories import CODE, CategoryChange, CategoryIn, CategoryOut, PublicCategory
from ..storage import opinions as opinion_storage

router = APIRouter()
staff = require_roles(Role.STAFF, Role.ADMIN)


def _public(placed: Placed) -> PublicCategory:
    node = placed.node
    return PublicCategory(code=node.code, parent=node.parent, name=node.name, path=placed.path, depth=placed.depth,
                          description=node.description)


def _out(placed: Placed) -> CategoryOut:
    return CategoryOut(**_public(placed).model_dump(), org_unit=placed.node.org_unit, retired=placed.node.retired,
                       offered=placed.offered)


@router.get("/public/categories", response_model=Page[PublicCategory], tags=["categories"],
            summary="The categories a unit offers, depth first, for a public form (public)")
async def offered_categories(request: Request, org_unit: OrgCode) -> Page[PublicCategory]:
    """Where the matter arises (``org_unit``): its own categories and those it inherits."""
    async with runtime_of(request).snapshot() as conn:
        if not await opinion_storage.org_unit_exists(conn, org_unit):
            raise NotFound(f"no org unit {org_unit}")
        items = [_public(p) for p in (await handlers.tree_at(conn, org_unit)).offered]
    return Page(items=items, total=len(items))


@router.get("/categories", response_model=Page[CategoryOut], tags=["categories"],
            summary="The category tree a unit of the caller's scope sees, retired categories included")
async def list_categories(request: Request, org_unit: OrgCode | None = None,
                          principal: Principal = Depends(staff)) -> Page[CategoryOut]:
    """The tree ``org_unit`` sees (default: the caller's unit)."""
    unit = org_unit or principal.org
    if not principal.may_manage(unit):
        raise NotFound(f"no org unit {unit} in your scope")
    async with runtime_of(request).snapshot() as conn:
        items = [_out(p) for p in (await handlers.tree_at(conn, unit)).placed]
    return Page(items=items, total=len(items))


@router.post("/categories", response_model=CategoryOut, status_code=201, tags=["categories"],
             summary="Add a category: to the base tree (city staff) or a unit's own, under any it sees")
async def add_category(request: Request, body: CategoryIn, principal: Principal = Depends(staff)) -> CategoryOut:
    async with runtime_of(request).uow() as uow:
        return _out(await handlers.create(uow, principal, body))


@router.patch("/categories/{code}", response_model=CategoryOut, tags=["categories"],
              summary="Rename, describe, retire or bring back a category; cases keep the text they came in with")
async def change_category(request: Request, body: CategoryChange,
                          code: str = Path(..., pattern=CODE, description="The category's code."),
                          principal: Principal = Depends(staff)) -> CategoryOut:
    async with runtime_of(request).uow() as uow:
        return _out(await handlers.change(uow, principal, code, body))
