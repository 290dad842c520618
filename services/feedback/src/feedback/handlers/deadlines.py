"""The deadline scheduler: finds overdue cases and says so once per case and deadline."""

from __future__ import annotations

import logging
from datetime import date

from liaison_shared import orgunits
from liaison_shared.contracts.feedback import OpinionOverdue
from liaison_shared.jobs import periodic
from liaison_shared.uow import UnitOfWork

from ..domain.deadlines import today_in_china
from ..storage import deadlines as storage

log = logging.getLogger(__name__)


async def publish_overdue(uow: UnitOfWork, today: date, *, limit: int = 500) -> int:
    """Publish ``opinion.overdue`` for assigned cases past their deadline; returns how many.

    The notice row and the event commit together, and the notice's key (case, deadline)
    makes a second run — or a second replica — find nothing left to say.
    """
    rows = await storage.overdue_unnoticed(uow.conn, today, limit)
    for row in rows:
        await storage.insert_notice(uow.conn, row["id"], row["deadline"])
        uow.publish(
            OpinionOverdue(
                opinion_id=row["id"], org_unit=row["org_unit"], handling_unit=row["handling_unit"],
                deadline=row["deadline"].isoformat(), department_ids=list(row["departments"]),
                supervisor_unit=orgunits.parent_of(row["handling_unit"]),
            ),
        )
    return len(rows)


async def scan_overdue(runtime) -> int:
    async with runtime.uow() as uow:
        found = await publish_overdue(uow, today_in_china())
    if found:
        log.info("published %d overdue notices", found)
    return found


# Background job: look for overdue cases at start and every interval (a minute by default).
run_scheduler = periodic(scan_overdue, every=lambda runtime: runtime.settings.deadline_scan_interval_s,
                         name="deadline scheduler")
