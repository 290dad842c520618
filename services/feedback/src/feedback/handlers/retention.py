"""Erasure (PIPL art. 47) on request, and retention (存储期限最小化): a submitter's name and phone
are erased when staff are asked to, or a set time after the case closed. Erasing drops the
subject's wrapped key, so every sealed copy — backups included — is unreadable, and publishes
``submitter_erased`` in the same transaction, so every service that kept a copy for a message
(notify's SMS records) drops it; the case, its history and its figures stay."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from liaison_shared.auth import Principal
from liaison_shared.contracts.feedback import SubmitterErased
from liaison_shared.errors import NotFound
from liaison_shared.jobs import periodic
from liaison_shared.uow import UnitOfWork

from ..storage import opinions as storage
from . import access

log = logging.getLogger(__name__)


async def erase(uow: UnitOfWork, case, *, actor: dict, detail: dict | None = None) -> None:
    """The one door of erasure: the key dropped, the history told, every copy told."""
    await storage.erase_submitter(uow.conn, case["subject_id"])
    await storage.record(uow.conn, case["id"], **actor, action="erase_submitter", from_status=case["status"],
                         to_status=case["status"], detail=detail)
    uow.publish(SubmitterErased(opinion_id=case["id"], org_unit=case["org_unit"], subject_id=str(case["subject_id"])))


async def erase_on_request(uow: UnitOfWork, principal: Principal, opinion_id: str) -> None:
    """Staff handling the case erase its submitter (asked by the citizen); done once, then a no-op."""
    case = await storage.opinion(uow.conn, opinion_id, for_update=True)
    if case is None or not access.handles(principal, case):
        raise NotFound(f"no opinion {opinion_id}")
    if case["subject_id"] is None:
        return
    person = await storage.submitter(uow.conn, case["subject_id"])
    if person is not None and person["erased_at"] is None:
        await erase(uow, case, actor=principal.actor)


async def erase_expired(uow: UnitOfWork, now: datetime, retention_days: int, *, limit: int = 500) -> int:
    """Erase the personal data of cases closed more than ``retention_days`` ago; returns how many."""
    rows = await storage.personal_data_closed_before(uow.conn, now - timedelta(days=retention_days), limit)
    for row in rows:
        await erase(uow, row, actor={"actor_sub": "retention", "actor_role": "system", "actor_org": None},
                    detail={"reason": "retention", "days": retention_days})
    return len(rows)


async def erase_what_expired(runtime) -> int:
    async with runtime.uow() as uow:
        erased = await erase_expired(uow, datetime.now().astimezone(), runtime.settings.personal_data_retention_days)
    if erased:
        log.info("erased the personal data of %d closed cases", erased)
    return erased


# Background job: erase what is past its time, at start and then every interval.
run_retention = periodic(erase_what_expired, every=lambda runtime: runtime.settings.retention_scan_interval_s,
                         name="retention job")
