"""Who took part in a topic, kept from consultation's events: its sessions' invited members
and departments, and those an outcome named. They hear when its outcomes are evaluated and
when it closes (rules on ``topic_member_ids`` and ``topic_department_ids``)."""

from __future__ import annotations

from liaison_shared.events import Envelope
from liaison_shared.uow import UnitOfWork

from ..storage import notifications as storage


async def took_part(uow: UnitOfWork, envelope: Envelope, event) -> None:
    topic_id = getattr(event, "topic_id", None)
    if topic_id:
        await storage.add_topic_people(uow.conn, topic_id, list(event.member_ids),
                                       list(getattr(event, "department_ids", [])))
