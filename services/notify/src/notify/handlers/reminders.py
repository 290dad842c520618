"""Deadline reminders: departments hear before an opinion or proposal falls due.

Deadlines are kept from feedback's events; a reminder is a notification like any other,
keyed by (deadline, days before) so that it goes out once however often the job runs.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from liaison_shared.chinatime import today_in_china
from liaison_shared.contracts import feedback as events
from liaison_shared.events import Envelope
from liaison_shared.jobs import periodic
from liaison_shared.uow import UnitOfWork

from ..domain import labels
from ..domain.about import About
from ..domain.rules import DEFAULT_LOCALE, render
from ..storage import deadlines
from ..storage import notifications as storage
from .notifications import projected_address

log = logging.getLogger(__name__)
SOURCE = "/cppcc-liaison/notify/reminders"
KIND_NAMES = {"opinion": "群众意见", "proposal": "提案"}


async def track_assigned(uow: UnitOfWork, envelope: Envelope, event) -> None:
    if isinstance(event, events.OpinionReturnRuled):  # overruled: the department keeps the case
        if event.deadline is not None:
            await deadlines.add_department(uow.conn, event.opinion_id, kind="opinion", org_unit=event.org_unit,
                                           deadline=date.fromisoformat(event.deadline),
                                           department_id=event.department_id)
        return
    if isinstance(event, events.OpinionAssigned):
        kind, source_id, departments = "opinion", event.opinion_id, event.department_ids
    else:
        kind, source_id = "proposal", event.proposal_id
        departments = [event.lead_department_id, *event.co_department_ids]
    await deadlines.track(uow.conn, source_id, kind=kind, org_unit=event.org_unit,
                          deadline=date.fromisoformat(event.deadline), department_ids=departments)


async def track_extended(uow: UnitOfWork, envelope: Envelope, event: events.OpinionDeadlineExtended) -> None:
    await deadlines.extend(uow.conn, event.opinion_id, date.fromisoformat(event.deadline))


async def track_answered(uow: UnitOfWork, envelope: Envelope, event) -> None:
    source_id = getattr(event, "opinion_id", None) or event.proposal_id
    await deadlines.close(uow.conn, source_id)


async def send_reminders(uow: UnitOfWork, today: date, days_before: list[int]) -> int:
    """Remind every department of the open deadlines ``days_before`` away; returns how many."""
    sent = 0
    horizon = today + timedelta(days=max(days_before, default=0))
    rows = await deadlines.open_between(uow.conn, today, horizon)
    text = await storage.template(uow.conn, "deadline_reminder", DEFAULT_LOCALE)
    for row in rows:
        left = (row["deadline"] - today).days
        due = [d for d in sorted(days_before) if left <= d]
        if not due:
            continue
        offset = due[0]  # the nearest reminder point reached; earlier ones are moot
        fields = labels.present({"kind": row["kind"], "kind_name": KIND_NAMES[row["kind"]],
                                 "deadline": row["deadline"].isoformat(), "days": left})
        thing = About(row["kind"], row["source_id"], row["org_unit"])
        for department in row["department_ids"]:
            for channel in ("inbox", "email"):
                address = await projected_address(uow.conn, "department", department) if channel == "email" else None
                if channel == "email" and not address:
                    continue
                created = await storage.insert(uow.conn, {
                    "event_source": SOURCE, "event_id": f"{row['source_id']}:{row['deadline']}:{offset}",
                    "event_type": f"cppcc.notify.reminder.{row['kind']}", "org_unit": row["org_unit"],
                    "recipient_kind": "department", "recipient_id": department, "channel": channel,
                    "address": address, "subject": render(text["subject"], fields), "body": render(text["body"], fields),
                    "status": "sent" if channel == "inbox" else "pending", "about_kind": thing.kind,
                    "about_id": thing.id, "link_service": thing.service, "link_api": thing.api,
                })
                sent += created is not None
    return sent


async def remind(runtime) -> int:
    async with runtime.uow() as uow:
        return await send_reminders(uow, today_in_china(), runtime.settings.reminder_days_before)


run_reminders = periodic(remind, every=lambda runtime: runtime.settings.deadline_scan_interval_s, name="reminders")
