"""Sending what the rules left pending: e-mail, SMS and webhooks, and the daily digest.

Claim → commit → send → record. A round claims a batch for ``DELIVERY_LEASE_S`` in a short
transaction of its own and commits; it then sends with no transaction open (the adapters
refuse to run inside one: ``liaison_shared.uow.outside_transaction``), asking feedback or
members for an address only they keep; then it records every outcome, with the events that
say so, in one more transaction. A worker that dies between a send and its record leaves
the claim to lapse and the message is sent again — at most the one batch it held, with the
same Message-ID, webhook delivery id or SMS idempotency key, which receivers use to drop the
copy. A worker that finds the database away when it comes to record keeps trying while its
claim holds. A live worker stops sending from its batch at half the lease and gives the rest
back, so no claim lapses under a worker still sending.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta

from liaison_shared.chinatime import CHINA
from liaison_shared.contracts.notify import NotificationFailed, NotificationSent
from liaison_shared.jobs import periodic

from ..adapters import hotline, platform, webhooks
from ..adapters.failures import FAILURES, Undeliverable, describe
from ..adapters.sms import gateway_for
from ..adapters.smtp import Mailer
from ..adapters.webhooks import DeliveryRefused
from ..domain.rules import DEFAULT_LOCALE, render
from ..storage import notifications as storage

log = logging.getLogger(__name__)


class NobodyToReach(DeliveryRefused):
    """The citizen's contact is gone (erased) or was never given: nothing is sent, ever."""


class NoAddress(Exception):
    """A member who gave no address for this channel: skipped, the inbox item reached them."""


async def send_due(runtime, *, limit: int = 50) -> int:
    """One round of the delivery worker; returns how many deliveries it claimed."""
    settings = runtime.settings
    async with runtime.uow() as uow:
        claimed = await storage.claim_due(uow.conn, limit, settings.delivery_lease_s)
    if not claimed:
        return 0
    claimed_at = time.monotonic()
    stop_at = claimed_at + settings.delivery_lease_s / 2
    outcomes: dict[str, BaseException | None] = {}

    async def send_in_turn(rows: list) -> None:
        mailer = Mailer(settings)
        try:
            for row in rows:
                if time.monotonic() >= stop_at:
                    break
                try:
                    await _send(runtime, mailer, row)
                    outcomes[row["id"]] = None
                except (*FAILURES, NoAddress) as error:
                    outcomes[row["id"]] = error
        finally:
            await mailer.close()

    try:
        # a task group: a lane failing unexpectedly stops the others before anything is recorded
        async with asyncio.TaskGroup() as lanes:
            for rows in _lanes(claimed, settings.smtp_sessions):
                lanes.create_task(send_in_turn(rows))
    except ExceptionGroup as failed:
        raise failed.exceptions[0] from None  # what went wrong, not the group it came in
    finally:
        # recorded even when the round ends early, so nothing sent waits for its claim to lapse;
        # and recorded again and again while the database is away, for as long as the claim
        # holds — what was sent is sent again only if the outage outlasts the lease
        done = [(row, outcomes[row["id"]]) for row in claimed if row["id"] in outcomes]
        unsent = [row["id"] for row in claimed if row["id"] not in outcomes]
        deadline = claimed_at + settings.delivery_lease_s * 0.9
        while True:
            try:
                async with runtime.uow() as uow:
                    await _record(uow, settings, done)
                    await storage.release(uow.conn, unsent)
                break
            except Exception:
                if time.monotonic() >= deadline:
                    raise
                await asyncio.sleep(0.5)
    return len(claimed)


def _lanes(claimed: list, sessions: int) -> list[list]:
    """The round's deliveries in lanes sent side by side: e-mail dealt over ``sessions`` SMTP
    sessions (one SMTP round trip after another was most of an e-mail's wait under load); SMS
    and webhooks in one lane in the order they were due, so a receiver hears of a case's
    events in the order they happened."""
    mail = [row for row in claimed if row["channel"] == "email"]
    others = [row for row in claimed if row["channel"] != "email"]
    lanes = [mail[i::sessions] for i in range(min(sessions, len(mail)))]
    return [*lanes, others] if others else lanes


async def _send(runtime, mailer: Mailer, row) -> None:
    settings = runtime.settings
    if row["channel"] == "webhook" and row["recipient_kind"] == "hotline":
        await hotline.post(settings, row)
    elif row["channel"] == "webhook":
        await webhooks.post(settings, row)
    elif row["channel"] == "sms" and row["recipient_kind"] == "submitter":
        await _text_submitter(runtime, row)
    else:
        address = row["address"] or await _members_own(settings, row)
        if row["channel"] == "sms":
            await gateway_for(settings).send(runtime.pool, phone=address, text=row["body"], idempotency_key=row["id"],
                                             template=row.get("template"), fields=row.get("template_fields"))
        else:
            await mailer.send(row["id"], address, row["subject"], row["body"])


async def _members_own(settings, row) -> str:
    if row["recipient_kind"] != "member":
        raise NoAddress
    contact = await platform.member_contact(settings, row["recipient_id"])
    address = (contact or {}).get("phone" if row["channel"] == "sms" else "email")
    if not address:
        raise NoAddress
    return address


async def _record(uow, settings, outcomes) -> None:
    sent = []
    for row, error in outcomes:
        if error is None:
            sent.append(row["id"])
            uow.publish(NotificationSent(
                notification_id=row["id"], org_unit=row["org_unit"], event_type_name=row["event_type"],
                event_id=row["event_id"], recipient_kind=row["recipient_kind"],
                recipient_id=row["recipient_id"], channel=row["channel"]))
            continue
        if isinstance(error, NoAddress):
            await storage.mark(uow.conn, row["id"], status="skipped", last_error="no address given")
            continue
        attempts, said = row["attempts"] + 1, describe(error)
        final = isinstance(error, NobodyToReach | webhooks.RefusedDestination | Undeliverable)
        if attempts >= settings.delivery_max_attempts or final:
            await storage.mark(uow.conn, row["id"], status="failed", attempts=attempts, last_error=said)
            uow.publish(NotificationFailed(
                notification_id=row["id"], org_unit=row["org_unit"], event_type_name=row["event_type"],
                event_id=row["event_id"], recipient_kind=row["recipient_kind"],
                recipient_id=row["recipient_id"], channel=row["channel"], error=said))
        else:
            backoff = timedelta(seconds=min(settings.delivery_backoff_s * 2 ** (attempts - 1), 3600))
            await storage.mark(uow.conn, row["id"], attempts=attempts, last_error=said,
                               next_attempt=datetime.now(UTC) + backoff)
    await storage.mark_sent(uow.conn, sent)


async def _text_submitter(runtime, row) -> None:
    """Ask feedback for the phone and tracking code of this one message, then send the SMS."""
    settings = runtime.settings
    contact = await platform.submitter_contact(settings, row["recipient_id"])
    if contact is None:
        raise NobodyToReach("no contact for this case (erased, or no consent)")
    link = tracking_link(settings, contact["tracking_code"])
    fields = {name: value.replace("{link}", link) for name, value in (row.get("template_fields") or {}).items()}
    await gateway_for(settings).send(runtime.pool, phone=contact["phone"], text=row["body"].replace("{link}", link),
                                     idempotency_key=row["id"], template=row.get("template"), fields=fields)


def tracking_link(settings, code: str) -> str:
    """The page a person reads and rates the case on (feedback serves it; the portal's later),
    under the public base URL, which follows FEEDBACK_PORT unless set."""
    return f"{settings.public_base()}/t/{code}"


async def send_digests(runtime) -> int:
    """One e-mail per recipient with everything its digest collected; returns how many e-mails.
    Claimed, sent, then recorded, as single deliveries are."""
    settings, sent = runtime.settings, 0
    async with runtime.uow() as uow:
        batches = await storage.claim_digest_batches(uow.conn, settings.delivery_lease_s)
        texts = []
        for batch in batches:
            prefs = await storage.preferences(uow.conn, batch["recipient_kind"], batch["recipient_id"])
            texts.append(await storage.template(uow.conn, "daily_digest",
                                                prefs["locale"] if prefs else DEFAULT_LOCALE))
    outcomes: list[tuple[list[str], bool]] = []
    mailer = Mailer(settings)
    try:
        for batch, text in zip(batches, texts, strict=True):
            fields = {"count": len(batch["ids"]), "items": "\n".join(f"· {s}" for s in batch["subjects"])}
            try:
                address = batch["address"] or await _members_own(
                    settings, {"recipient_kind": batch["recipient_kind"], "recipient_id": batch["recipient_id"],
                               "channel": "email"})
                await mailer.send(f"digest-{batch['ids'][0]}", address, render(text["subject"], fields),
                                  render(text["body"], fields))
                outcomes.append((batch["ids"], True))
                sent += 1
            except (*FAILURES, NoAddress) as error:
                log.warning("a digest waits for the next round: %s", describe(error))
                outcomes.append((batch["ids"], False))
    finally:
        await mailer.close()
        async with runtime.uow() as uow:
            for ids, delivered in outcomes:
                if delivered:
                    for notification_id in ids:
                        await storage.mark(uow.conn, notification_id, status="sent", sent_at=datetime.now(UTC),
                                           attempts=1)
                else:
                    await storage.release(uow.conn, ids)
    return sent


def until_eight(runtime) -> float:
    """Seconds to the next 08:00 China time (China keeps no summer time)."""
    now = datetime.now(CHINA)
    eight = now.replace(hour=8, minute=0, second=0, microsecond=0)
    return ((eight if eight > now else eight + timedelta(days=1)) - now).total_seconds()


run_digests = periodic(send_digests, every=until_eight, at_start=False, name="digest")
# The rows wait in the table through an outage; while there are some, the next batch goes at once.
run_delivery_worker = periodic(send_due, every=lambda runtime: runtime.settings.delivery_poll_interval_s,
                               drain=True, name="delivery worker")


async def seal_clear_secrets(runtime) -> None:
    """Once at start: seal the secrets of subscriptions made before secrets were sealed, and drop
    the replaced secrets whose overlap after a rotation has ended."""
    async with runtime.uow() as uow:
        await storage.forget_previous_secrets(uow.conn)
        for row in await storage.clear_secrets(uow.conn):
            await storage.seal_secret(uow.conn, row["id"], webhooks.seal_secret(runtime.settings, row["id"],
                                                                                  row["secret"]))
