"""个人信息删除 — when feedback erases a submitter (PIPL art. 47), notify drops its copies.

Notify never stores a citizen's phone or tracking link in its notifications: both are fetched
from feedback for the one message and put only into the SMS itself. What the SMS gateway
adapter recorded of that message (the development gateway's ``sms_messages``) goes now, and a
message still waiting is cancelled, so nothing asks for the contact again.
"""

from __future__ import annotations

from liaison_shared.contracts.feedback import SubmitterErased
from liaison_shared.events import Envelope
from liaison_shared.uow import UnitOfWork

from ..storage import notifications as storage


async def forget_submitter(uow: UnitOfWork, envelope: Envelope, event: SubmitterErased) -> None:
    # cancelling first waits for a delivery round that holds the row; the sent message it may
    # have recorded meanwhile is then deleted with the others
    await storage.cancel_to_submitter(uow.conn, event.opinion_id)
    await storage.forget_messages_to_submitter(uow.conn, event.opinion_id)
