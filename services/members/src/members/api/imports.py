"""Bulk import of org units, members and venues from CSV."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Request
from liaison_shared.auth import Principal
from liaison_shared.errors import Unprocessable
from liaison_shared.service import runtime_of

from ..handlers.imports import DryRun, import_csv
from ..schemas.imports import ImportReport
from . import managers

router = APIRouter()


@router.post(
    "/imports/{kind}", response_model=ImportReport, tags=["imports"],
    summary="Import CSV (UTF-8, Chinese or English headers); all rows or none",
    openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}}}},
)
async def import_file(
    request: Request,
    kind: Literal["org-units", "members", "venues"],
    dry_run: bool = False,
    principal: Principal = Depends(managers),
) -> ImportReport:
    raw = await request.body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Unprocessable("the file is not UTF-8") from None
    try:
        async with runtime_of(request).uow() as uow:
            report = await import_csv(uow, principal, kind, text, dry_run=dry_run)
    except DryRun as done:
        report = done.report
    return ImportReport(**report)
