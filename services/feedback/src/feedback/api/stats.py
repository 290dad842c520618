"""Stats and exports of an org-unit subtree."""

from __future__ import annotations

import io
from datetime import date
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from liaison_shared import orgunits
from liaison_shared.auth import Principal, Role, require_roles
from liaison_shared.chinatime import day_range
from liaison_shared.contracts.common import OrgCode
from liaison_shared.errors import NotFound
from liaison_shared.exports import csv_text
from liaison_shared.service import runtime_of

from ..domain.opinion import mask_name, mask_phone
from ..handlers import intake
from ..schemas.common import Day
from ..schemas.stats import Figures, StatsOut
from ..storage import opinions as opinion_storage
from ..storage import stats as storage

router = APIRouter()
overseers = require_roles(Role.STAFF, Role.LEADER, Role.ADMIN)
CHILD_PREFIX = {"city": 6, "county": 9, "town": 12, "village": 12}


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _scope(principal: Principal, org_unit: str | None) -> str:
    unit = org_unit or principal.org
    if not principal.may_manage(unit):
        raise NotFound(f"no org unit {unit} in your scope")
    return unit


def _period(date_from: date | None, date_to: date | None):
    return day_range(date_from, date_to)


@router.get("/stats", response_model=StatsOut, tags=["stats"],
            summary="Response, resolution, satisfaction and on-time rates of a subtree, grouped")
async def stats(
    request: Request,
    org_unit: OrgCode | None = None,
    group_by: Literal["none", "org_unit", "department", "sector", "member", "category", "month"] = "none",
    date_from: Day | None = None, date_to: Day | None = None,
    category_depth: int | None = Query(None, ge=1, le=10, description=(
        "With group_by=category: count each case under its category's first N names (1: the top-level "
        "categories, 城乡建设/道路交通/路灯 under 城乡建设). Default: the whole path the case keeps.")),
    principal: Principal = Depends(overseers),
) -> StatsOut:
    unit = _scope(principal, org_unit)
    start, end = _period(date_from, date_to)
    async with runtime_of(request).snapshot() as conn:
        pattern = orgunits.sql_subtree_pattern(unit)
        if group_by == "department":
            rows = await storage.department_stats(conn, pattern=pattern, start=start, end=end)
        else:
            rows = await storage.case_stats(conn, pattern=pattern, group=group_by,
                                            child_prefix=CHILD_PREFIX[orgunits.level_of(unit).value],
                                            start=start, end=end, category_depth=category_depth)
    groups = [Figures(
        key=r["key"], cases=r["cases"], people=r["people"] or 0,
        # a department answers assignments; a unit answers cases
        response_rate=_rate(r["responded"], r["assignments"] if group_by == "department" else r["cases"]),
        resolution_rate=_rate(r["resolved"], r["cases"]),
        satisfaction_rate=_rate(r["satisfied"], r["rated"]),
        on_time_rate=_rate(r["replies_on_time"], r["timed"]),
        **({"returns": r["returns"], "returns_overruled": r["returns_overruled"],
            "return_rate": _rate(r["returns"], r["assignments"])} if group_by == "department" else {}),
    ) for r in rows]
    return StatsOut(org_unit=unit, group_by=group_by, date_from=date_from, date_to=date_to, groups=groups)


# No tracking code: it is the citizen's key to rate the answer, and an export travels far.
EXPORT_COLUMNS = ["id", "created_at", "org_unit", "handling_unit", "channel", "category",
                  "urgency", "status", "people_count", "deadline", "rating", "submitter_name",
                  "submitter_phone", "content"]


@router.get("/stats/export", tags=["stats"],
            summary="Cases of a subtree as CSV or XLSX, personal data masked",
            responses={200: {"content": {"text/csv": {}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}})
async def export(
    request: Request, org_unit: OrgCode | None = None, format: Literal["csv", "xlsx"] = "csv",
    date_from: Day | None = None, date_to: Day | None = None,
    limit: int = Query(10_000, ge=1, le=50_000),
    principal: Principal = Depends(overseers),
) -> Response:
    unit = _scope(principal, org_unit)
    start, end = _period(date_from, date_to)
    runtime = runtime_of(request)
    async with runtime.snapshot() as conn:
        rows = await opinion_storage.cases_for_export(conn, pattern=orgunits.sql_subtree_pattern(unit),
                                                      start=start, end=end, limit=limit)
        table = []
        people = await intake.reveal_submitters(conn, runtime.settings, [r["subject_id"] for r in rows])
    for row in rows:
        person = people.get(row["subject_id"])
        values = dict(row)
        values["submitter_name"] = mask_name(person.name) if person else None
        values["submitter_phone"] = mask_phone(person.phone) if person else None
        table.append(["" if values.get(c) is None else str(values[c]) for c in EXPORT_COLUMNS])
    filename = f"opinions-{unit}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if format == "csv":
        return Response("\ufeff" + csv_text([EXPORT_COLUMNS, *table]), media_type="text/csv; charset=utf-8",
                        headers=headers)
    return Response(xlsx_bytes("opinions", [EXPORT_COLUMNS, *table]), headers=headers,
                    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


# --- every exported cell is inert: CSV through liaison_shared.exports, XLSX as string cells --------------


def xlsx_bytes(title: str, rows: list[list[str]]) -> bytes:
    """Every cell written as a string cell (no formula, whatever it starts with)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("\ufffd", value))
            cell.data_type = "s"  # openpyxl types a leading "=" as a formula
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
