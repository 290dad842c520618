"""Events of other services that the feedback service acts on."""

from __future__ import annotations

import uuid
from datetime import date

from liaison_shared.contracts import feedback as events
from liaison_shared.contracts.consultation import ConsultationOutcomeConverted
from liaison_shared.db import UnitOfWork
from liaison_shared.events import Envelope
from liaison_shared.settings import get_settings

from ..storage import opinions as storage
from .actions import default_deadline
from .intake import new_tracking_code


async def track_department_task(uow: UnitOfWork, envelope: Envelope, event: ConsultationOutcomeConverted) -> None:
    """A consultation outcome that became a department task is tracked as a case of channel
    ``consultation``, assigned to those departments with the agreed deadline, so it is replied
    to, chased when overdue and counted like every other case."""
    if event.target.kind != "department_task" or not event.department_ids:
        return
    case_id = uuid.UUID(event.target.id) if _is_uuid(event.target.id) else uuid.uuid4()
    if await storage.opinion(uow.conn, str(case_id)) is not None:
        return
    await storage.insert_opinion(uow.conn, {
        "id": case_id, "tracking_code": new_tracking_code(), "content": event.title or "协商成果交办事项",
        "category": "协商成果", "channel": "consultation", "urgency": "normal", "org_unit": event.org_unit,
        "consent": False,
    })
    deadline = date.fromisoformat(event.deadline) if event.deadline else None
    if deadline is None:
        deadline = (await default_deadline(uow.conn, get_settings(), "normal")).due
    await storage.insert_assignments(uow.conn, str(case_id), event.department_ids, event.department_ids[0],
                                     deadline, 1)
    await storage.update_opinion(uow.conn, str(case_id), {"status": "assigned", "deadline": deadline})
    await storage.record(uow.conn, str(case_id), actor_sub=envelope.source, actor_role="consultation",
                         actor_org=event.org_unit, action="department_task", from_status=None,
                         to_status="assigned", detail={"source": event.source.model_dump(),
                                                       "department_ids": event.department_ids})
    uow.publish(events.OpinionAssigned(
        opinion_id=str(case_id), org_unit=event.org_unit, handling_unit=event.org_unit,
        department_ids=event.department_ids, lead_department_id=event.department_ids[0],
        deadline=deadline.isoformat()), subject=str(case_id), org_unit=event.org_unit)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
