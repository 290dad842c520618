"""Bulk import: every row through the same checks as the API, all or nothing.

Each row runs in a savepoint so one bad row does not abort the transaction for the
others; the report names every rejected row and why, and if any row is rejected the
whole import is rolled back.
"""

from __future__ import annotations

from typing import Any

from liaison_shared import orgunits
from liaison_shared.auth import Principal
from liaison_shared.errors import ApiError, Unprocessable
from liaison_shared.uow import UnitOfWork
from pydantic import ValidationError

from ..domain.csv_rows import VENUE_KIND_NAMES, parse, split_list
from ..schemas.people import MemberIn
from ..schemas.registry import OrgUnitIn
from ..schemas.venues import VenueIn
from ..storage import people as people_storage
from ..storage import savepoint
from . import people, registry, venues


class ImportRejected(Unprocessable):
    code = "import_rejected"


def _contact(row: dict) -> dict | None:
    contact = {k: row.pop(f"duty_{k}") for k in ("name", "email", "phone") if f"duty_{k}" in row}
    return contact or None


async def _sector_id(uow: UnitOfWork, org_unit: str, name: str | None) -> str | None:
    if not name:
        return None
    found = await people_storage.sector_named(uow.conn, org_unit, name)
    if found is None:
        raise Unprocessable(f"no sector {name!r} at {org_unit}")
    return found


async def _import_org_unit(uow, principal, row):
    contact = _contact(row)  # takes the duty_* columns out of the row
    data = OrgUnitIn(**row, duty_contact=contact).model_dump(mode="json")
    return await registry.register_org_unit(uow, principal, data)


async def _import_member(uow, principal, row):
    contact_points = split_list(row.pop("contact_points", None))
    org_unit = row.get("org_unit", "")
    row["sector_id"] = await _sector_id(uow, org_unit, row.pop("sector", None)) or ""
    committee = row.pop("special_committee", None)
    if committee:
        row["special_committee_id"] = await people_storage.special_committee_named(uow.conn, org_unit, committee)
        if row["special_committee_id"] is None:
            raise Unprocessable(f"no special committee {committee!r} at {org_unit}")
    data = MemberIn(**row).model_dump(mode="json")
    created = await people.register_member(uow, principal, data)
    for point in contact_points:
        await people.assign_member(uow, principal, created["id"], point, assigned=True)
    return created


async def _import_venue(uow, principal, row):
    row["kind"] = VENUE_KIND_NAMES.get(row.get("kind", ""), row.get("kind", ""))
    row["sector_id"] = await _sector_id(uow, _committee_of(row.get("org_unit")), row.pop("sector", None))
    data = VenueIn(**row).model_dump(mode="json")
    return await venues.register_venue(uow, principal, data)


def _committee_of(code: str | None) -> str:
    """The committee (city or county) a unit's sectors belong to."""
    if not code or not orgunits.is_valid_code(code):
        return ""
    chain = [code, *orgunits.ancestors_of(code)]
    return next(c for c in chain if orgunits.level_of(c).value in ("city", "county"))


IMPORTERS = {"org-units": _import_org_unit, "members": _import_member, "venues": _import_venue}


async def import_csv(uow: UnitOfWork, principal: Principal, kind: str, text: str, *, dry_run: bool) -> dict:
    rows = parse(kind, text)
    if kind == "org-units":  # parents before children, whatever the file's order
        rows.sort(key=lambda r: orgunits.prefix_of(r[1]["code"]).__len__()
                  if orgunits.is_valid_code(r[1].get("code", "")) else 0)
    importer = IMPORTERS[kind]
    rejected: list[dict[str, Any]] = []
    accepted = 0
    for number, row in rows:
        if "__error__" in row:
            rejected.append({"row": number, "errors": [row["__error__"]]})
            continue
        try:
            async with savepoint(uow.conn):
                await importer(uow, principal, dict(row))
            accepted += 1
        except ValidationError as error:
            rejected.append({"row": number, "errors": [
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
            ]})
        except ApiError as error:
            rejected.append({"row": number, "errors": [error.message]})
    rejected.sort(key=lambda r: r["row"])
    report = {"kind": kind, "rows": len(rows), "accepted": accepted, "rejected": rejected,
              "applied": not rejected and not dry_run}
    if rejected:
        raise ImportRejected(f"{len(rejected)} of {len(rows)} rows rejected; nothing was imported",
                             report=report)
    if dry_run:
        raise DryRun(report)
    return report


class DryRun(Exception):
    """Rolls the unit of work back after a successful check; the route answers its report."""

    def __init__(self, report: dict) -> None:
        super().__init__("dry run")
        self.report = report
