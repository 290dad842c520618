"""The dispatch catalogue (派单目录) — which departments a category of case goes to at a unit — and
the working-day calendar staff enter as the State Council announces it."""

from __future__ import annotations

from liaison_shared import orgunits
from liaison_shared.auth import Principal, Role
from liaison_shared.errors import NotFound, Unprocessable
from liaison_shared.orgunits import Level, level_of
from liaison_shared.uow import UnitOfWork

from ..domain.categories import lineage
from ..schemas.catalogue import CalendarDay, DispatchRuleIn
from ..storage import catalogue as storage
from . import access, categories


async def dispatch_proposal(conn, case) -> dict | None:
    """What the dispatch catalogue proposes for a case: staff confirm or change it."""
    units = [case["org_unit"], *orgunits.ancestors_of(case["org_unit"])]
    kinds = lineage(case["category"]) if case["category"] else []
    rule = await storage.matching_rule(conn, kinds, units)
    if rule is None:
        return None
    return {"rule_id": rule["id"], "lead_department": rule["lead_department"],
            "co_departments": list(rule["co_departments"]), "org_unit": rule["org_unit"]}


async def put_rule(uow: UnitOfWork, principal: Principal, command: DispatchRuleIn) -> dict:
    """The rule of a category offered at a unit of the caller's scope (kept by its path: ``灌溉``
    names 水利/灌溉), to departments within its reach."""
    if not principal.may_manage(command.org_unit):
        raise NotFound(f"no org unit {command.org_unit} in your scope")
    await access.require_reachable(uow.conn, [command.lead_department, *command.co_departments], command.org_unit,
                                   principal)
    category = await categories.resolve(uow.conn, command.org_unit, command.category)
    return dict(await storage.upsert_dispatch_rule(uow.conn, {**command.model_dump(), "category": category},
                                                   principal.sub))


async def delete_rule(uow: UnitOfWork, principal: Principal, rule_id: str) -> None:
    if not await storage.delete_dispatch_rule(uow.conn, rule_id, principal.subtree_pattern):
        raise NotFound(f"no dispatch rule {rule_id}")


async def put_calendar(uow: UnitOfWork, principal: Principal, year: int, days: list[CalendarDay]) -> None:
    """A year's schedule, in place of what was entered for it before: the city's, kept by city staff."""
    if principal.role is Role.STAFF and level_of(principal.org) is not Level.CITY:
        raise NotFound("only city staff or admins keep the calendar")
    if any(d.day.year != year for d in days):
        raise Unprocessable(f"every day must be in {year}")
    await storage.replace_calendar_year(uow.conn, year, [d.model_dump() for d in days])
