"""What the handlers of cases and proposals share: who acts and on what round, deadlines counted
on the official calendar, the return window, and the deadline in force on a case after a change.

It imports no other handler module, so actions, proposals, reports and conversions all build on
it without importing each other in a circle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from liaison_shared.auth import Principal
from liaison_shared.errors import Conflict
from liaison_shared.settings import Settings

from ..domain import opinion as rules
from ..domain.deadlines import Deadline, add_working_days, today_in_china
from ..domain.opinion import Status
from ..storage import catalogue
from ..storage import opinions as storage


@dataclass(frozen=True)
class Acting:
    """Who acts, under which settings, and the units handling what is acted on in its current
    round: a case's assignments, or a proposal's handling units."""

    settings: Settings
    principal: Principal
    current: list[Mapping[str, Any]]
    round: int


async def working_days_after(conn, start: date, days: int) -> Deadline:
    """A deadline on the official calendar, with the schedules staff entered taken first."""
    overrides = await catalogue.calendar_overrides(conn, start, start + timedelta(days=days * 3 + 40))
    return add_working_days(start, days, overrides)


async def default_deadline(conn, settings: Settings, urgency: str) -> Deadline:
    days = settings.deadline_urgent_days if urgency == "urgent" else settings.deadline_normal_days
    return await working_days_after(conn, today_in_china(), days)


async def require_return_window(conn, settings: Settings, assigned_at: datetime) -> None:
    """退单: a department returns an assignment within the return window (working days), or not at all."""
    window_end = (await working_days_after(conn, assigned_at.date(), settings.return_window_days)).due
    if today_in_china() > window_end:
        raise Conflict(f"the return window closed on {window_end.isoformat()}", code="illegal_transition")


async def settle_deadline(conn, opinion_id: str) -> None:
    """Every change of a case leaves the deadline in force on it (or none): a return, a recall, an
    escalation or a conversion ends the one that ran before."""
    case = await storage.opinion(conn, opinion_id)
    round_ = await storage.current_round(conn, opinion_id)
    active = [a["deadline"] for a in await storage.assignments(conn, opinion_id)
              if a["round"] == round_ and a["state"] == "active"]
    deadline, _ = rules.deadline_in_force(Status(case["status"]), case["converted_to"], active)
    if deadline != case["deadline"]:
        await storage.update_opinion(conn, opinion_id, {"deadline": deadline})


def subject_of(case) -> str | None:
    """The submitter's pseudonymous id, as events carry it."""
    return str(case["subject_id"]) if case["subject_id"] else None


def now() -> datetime:
    return datetime.now(UTC)
