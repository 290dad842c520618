"""Open data (公开数据): the figures of every county by month, for anyone, as JSON or CSV.

Public and read-only: nothing personal, no group under k cases (``domain.disclosure``), and the
answers cached for ten minutes in the process and by whoever passes them on."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from liaison_shared.cache import TtlCache
from liaison_shared.chinatime import today_in_china
from liaison_shared.exports import csv_text
from liaison_shared.service import runtime_of
from pydantic import BaseModel

from ..domain.disclosure import K, published_count, published_figures
from ..schemas.opendata import CategoryCount, CountyMonthFigures, OpenCategoriesOut, OpenFiguresOut
from ..storage import stats as storage

router = APIRouter()
CACHED_S = 600
_computed = TtlCache(ttl=CACHED_S, max_entries=200)
Year = Query(None, ge=2000, le=2100, description="The year (China time); this year by default.")
Format = Query("json", description="json, or csv (UTF-8 with a byte-order mark, for spreadsheets).")


async def _figures(request: Request, year: int) -> OpenFiguresOut:
    pool = runtime_of(request).pool
    rows = await storage.open_figures(pool, year=year)
    names = await storage.unit_names(pool, sorted({r["county"] for r in rows}))
    return OpenFiguresOut(year=year, k=K, generated_at=datetime.now(UTC), rows=[
        CountyMonthFigures(county=r["county"], county_name=names.get(r["county"]), month=r["month"],
                           **published_figures(r))
        for r in rows])


async def _categories(request: Request, year: int) -> OpenCategoriesOut:
    pool = runtime_of(request).pool
    rows = await storage.open_categories(pool, year=year)
    names = await storage.unit_names(pool, sorted({r["county"] for r in rows}))
    return OpenCategoriesOut(year=year, k=K, generated_at=datetime.now(UTC), rows=[
        CategoryCount(county=r["county"], county_name=names.get(r["county"]), month=r["month"],
                      category=r["category"], cases=published_count(r["cases"]))
        for r in rows])


_ROW_OF: dict[type[BaseModel], type[BaseModel]] = {OpenFiguresOut: CountyMonthFigures, OpenCategoriesOut: CategoryCount}


def _answer(found: OpenFiguresOut | OpenCategoriesOut, name: str, format: str) -> Response:
    headers = {"Cache-Control": f"public, max-age={CACHED_S}"}
    if format == "json":
        return Response(found.model_dump_json(), media_type="application/json", headers=headers)
    columns = list(_ROW_OF[type(found)].model_fields)
    table = [["" if (value := getattr(row, c)) is None else value for c in columns] for row in found.rows]
    headers["Content-Disposition"] = f'attachment; filename="{name}-{found.year}.csv"'
    return Response("\ufeff" + csv_text([columns, *table]), media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/open-data/figures", response_model=OpenFiguresOut, tags=["open data"],
            summary="Public: the four rates per county and month, no group under k cases",
            responses={200: {"content": {"text/csv": {}}}})
async def open_figures(request: Request, year: int | None = Year,
                       format: Literal["json", "csv"] = Format) -> Response:
    year = year or today_in_china().year
    found = await _computed.get(("figures", year), lambda: _figures(request, year))
    return _answer(found, "figures", format)


@router.get("/open-data/categories", response_model=OpenCategoriesOut, tags=["open data"],
            summary="Public: cases per county, month and category, no count under k",
            responses={200: {"content": {"text/csv": {}}}})
async def open_categories(request: Request, year: int | None = Year,
                          format: Literal["json", "csv"] = Format) -> Response:
    year = year or today_in_china().year
    found = await _computed.get(("categories", year), lambda: _categories(request, year))
    return _answer(found, "categories", format)
