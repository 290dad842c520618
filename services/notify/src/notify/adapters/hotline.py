"""The 12345 hotline's webhook: the case's status change in the hotline's shape (a JSON object of
its field names, domain.hotline), POSTed and signed as every webhook is — Standard Webhooks
(``webhook-id``, ``webhook-timestamp``, ``webhook-signature``) and ``x-liaison-signature`` — to an
address checked at each sending (adapters.webhooks). The key is the one the city's endpoint
keeps, sealed with the master key. What the case was answered (办理结果) is asked of feedback at
sending (adapters.platform), as a citizen's phone is for an SMS."""

from __future__ import annotations

import uuid

from liaison_shared import crypto
from liaison_shared.settings import Settings

from ..domain import hotline
from . import platform, webhooks

SECRET_FIELD = "hotline_secret"  # noqa: S105 — the name it is sealed as, no secret
MASTER_SEALED = [crypto.MasterSealed("hotline_endpoints", "secret_sealed", "id", SECRET_FIELD)]


def seal_secret(settings: Settings, endpoint_id: uuid.UUID, secret: str) -> bytes:
    """Sealed under the current master key, bound to the endpoint (a copy on another row does not open)."""
    return crypto.keyring(settings).seal_secret(endpoint_id, SECRET_FIELD, secret)


async def post(settings: Settings, row) -> None:
    """One message to the hotline; the endpoint's address, key and activity as claimed with it.
    A message that says what the case was answered gets the text from feedback now, after the claim
    committed and before the send, and keeps none of it: feedback unreachable or refusing fails
    the attempt, which is retried like a receiver's failure."""
    if row["url"] is None:
        raise webhooks.RefusedDestination("hotline endpoint inactive")
    body = row["body"]
    name = (row.get("template_fields") or {}).get("answer")
    if name:
        answered = await platform.hotline_answer(settings, row["about_id"])
        if answered is not None:  # none yet (a case closed unanswered): the field is left out
            body = hotline.with_answer(body, name, answered["answer"])
    secret = crypto.keyring(settings).open_secret(uuid.UUID(row["recipient_id"]), SECRET_FIELD, row["secret_sealed"])
    await webhooks.send_signed(settings, row["url"], delivery_id=row["id"], body=body.encode(),
                               secrets=[secret], content_type="application/json; charset=utf-8")
