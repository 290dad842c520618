"""Retention (PIPL 存储期限最小化): a submitter's name and phone are erased a set time after the
case closed. Erasing drops the subject's wrapped key, so every copy — backups included — is
unreadable; the case, its history and its figures stay."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from liaison_shared.db import UnitOfWork

from ..storage import opinions as storage

log = logging.getLogger(__name__)


async def erase_expired(uow: UnitOfWork, now: datetime, retention_days: int, *, limit: int = 500) -> int:
    """Erase the personal data of cases closed more than ``retention_days`` ago; returns how many."""
    rows = await uow.conn.fetch(
        """
        SELECT o.id::text AS id, o.status, s.subject_id FROM opinions o
        JOIN submitters s ON s.subject_id = o.subject_id
        WHERE o.closed_at < $1 AND s.wrapped_key IS NOT NULL
        ORDER BY o.closed_at LIMIT $2
        FOR UPDATE OF s SKIP LOCKED
        """,
        now - timedelta(days=retention_days), limit,
    )
    for row in rows:
        await storage.erase_submitter(uow.conn, row["subject_id"])
        await storage.record(uow.conn, row["id"], actor_sub="retention", actor_role="system", actor_org=None,
                             action="erase_submitter", from_status=row["status"], to_status=row["status"],
                             detail={"reason": "retention", "days": retention_days})
    return len(rows)


async def run_retention(runtime) -> None:
    """Background job: erase what is past its time, at start and then every interval."""
    while not runtime.stopping:
        try:
            async with runtime.uow() as uow:
                erased = await erase_expired(uow, datetime.now().astimezone(),
                                             runtime.settings.personal_data_retention_days)
            if erased:
                log.info("erased the personal data of %d closed cases", erased)
        except Exception as error:  # an outage: try again next round
            log.warning("retention job paused: %s", error)
        await asyncio.sleep(runtime.settings.retention_scan_interval_s)
