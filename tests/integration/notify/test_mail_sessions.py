"""A round of deliveries sends its e-mail over SMTP_SESSIONS sessions side by side, never more,
and every message arrives once (before: one session, one message after another)."""

import asyncio
import contextlib
from email import message_from_bytes

import pytest
import pytest_asyncio
from liaison_tools.devstack import free_port
from liaison_tools.testing import eventually

from .conftest import submit

pytestmark = pytest.mark.integration

SESSIONS = 4


class HeldMailbox:
    """An SMTP server's handler that holds every message at DATA until ``release``, then takes a
    moment over each: how many sessions were inside DATA at once is what the test reads."""

    def __init__(self) -> None:
        self.released = asyncio.Event()  # the server's loop waits on it; set only from there
        self.loop: asyncio.AbstractEventLoop | None = None
        self.inside = self.most_at_once = 0
        self.received: list[str] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 — aiosmtpd's hook name
        self.inside += 1  # one thread, one event loop: no lock needed
        self.most_at_once = max(self.most_at_once, self.inside)
        try:
            await self.released.wait()
            await asyncio.sleep(0.2)
            self.received.append(message_from_bytes(envelope.content)["Message-ID"])
        finally:
            self.inside -= 1
        return "250 OK"

    def release(self) -> None:
        self.loop.call_soon_threadsafe(self.released.set)


@pytest_asyncio.fixture(scope="module")
async def held():
    from aiosmtpd.controller import Controller

    mailbox = HeldMailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    mailbox.loop = controller.loop
    try:
        yield mailbox, controller.port
    finally:
        mailbox.release()
        with contextlib.suppress(Exception):
            controller.stop()


@pytest_asyncio.fixture(scope="module")
async def notify_overrides(held):
    return {"smtp_port": held[1], "smtp_sessions": SESSIONS}


async def test_a_round_sends_its_mail_over_parallel_sessions_and_each_message_once(stack, db_pool, held):
    mailbox, _ = held
    cases = [await submit(stack) for _ in range(3 * SESSIONS)]

    async def mail_of_cases() -> list[str]:
        return [r["id"] for r in await db_pool.fetch(
            "SELECT n.id::text AS id FROM notify.notifications n JOIN feedback.outbox o ON o.event_id::text = n.event_id::text"
            " WHERE o.record_key = ANY($1::text[]) AND o.event_type = 'cppcc.feedback.opinion.submitted.v1'"
            " AND n.channel = 'email'", [c["id"] for c in cases])]

    ids = await eventually(lambda: _all(mail_of_cases, len(cases)), timeout=30)

    async def a_full_round_held_or_waiting():
        # the held round has filled every session, or enough wait unclaimed to fill the next
        waiting = await db_pool.fetchval(
            "SELECT count(*) FROM notify.notifications WHERE id = ANY($1::uuid[]) AND claimed_until IS NULL", ids)
        return mailbox.most_at_once >= SESSIONS or waiting >= SESSIONS
    await eventually(a_full_round_held_or_waiting, timeout=30)
    mailbox.release()

    expected = {f"<{i}@cppcc-liaison>" for i in ids}
    await eventually(lambda: expected <= set(mailbox.received), timeout=60)
    assert mailbox.most_at_once == SESSIONS
    assert sorted(m for m in mailbox.received if m in expected) == sorted(expected)  # each once
    await eventually(lambda: db_pool.fetchval(
        "SELECT bool_and(status = 'sent' AND claimed_until IS NULL) FROM notify.notifications WHERE id = ANY($1::uuid[])",
        ids), timeout=30)


async def _all(query, count: int):
    found = await query()
    return found if len(found) == count else None
