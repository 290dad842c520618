"""The idempotent inbox and the dead-letter queue, against the real broker and PostgreSQL."""

import uuid

import pytest
from liaison_shared.events import Envelope, dlq_topic
from liaison_tools.testing import collect, eventually, header, produce_raw, running

from .probe import ProbeHappened

pytestmark = pytest.mark.integration

TOPIC = ProbeHappened.event_type.topic
ORG = "640221100201"


def probe_record(title: str, key: str = "k") -> tuple[bytes, bytes, list]:
    envelope = Envelope.wrap(ProbeHappened(title=title), subject=key, org_unit=ORG)
    return key.encode(), envelope.value(), envelope.headers()


async def count_effects(db_pool, title: str) -> int:
    return await db_pool.fetchval("SELECT count(*) FROM probe.effects WHERE title = $1", title)


async def test_a_duplicated_delivery_changes_nothing(probe, platform, db_pool):
    title = f"dup-{uuid.uuid4().hex[:6]}"
    record = probe_record(title)
    async with running(probe(), platform):
        await produce_raw(platform, TOPIC, [record, record, record])
        await eventually(lambda: count_effects(db_pool, title))
        marker = f"after-{title}"
        await produce_raw(platform, TOPIC, [probe_record(marker)])
        await eventually(lambda: count_effects(db_pool, marker))  # everything before it is done
    assert await count_effects(db_pool, title) == 1
    assert await db_pool.fetchval(
        "SELECT count(*) FROM probe.inbox WHERE event_id = $1", dict(record[2])["ce_id"].decode()
    ) == 1


async def test_poison_goes_to_the_dlq_with_its_origin_and_the_next_is_still_handled(
    probe, platform, db_pool
):
    tag = uuid.uuid4().hex[:6]
    key = f"poison-{tag}"
    not_json = (key.encode(), b"\x00\xffnot json " + tag.encode(), probe_record("x", key)[2])
    failing = probe_record("poison", key)  # the handler raises for this title, every time
    failing = (failing[0], failing[1].replace(b"poison", b"poison"), failing[2]
               + [("test_tag", tag.encode())])
    good = probe_record(f"good-{tag}", key)
    async with running(probe(), platform):
        await produce_raw(platform, TOPIC, [not_json, failing, good])
        await eventually(lambda: count_effects(db_pool, f"good-{tag}"), timeout=30)
        dead = await collect(
            platform, dlq_topic(TOPIC), count=2,
            where=lambda r: r.key == key.encode(), timeout=20,
        )
    assert len(dead) == 2
    by_error = {header(r, "dlq_error").split(":")[0].rsplit(".", 1)[-1]: r for r in dead}
    assert set(by_error) == {"InvalidEnvelope", "RuntimeError"}
    handler_failure = by_error["RuntimeError"]
    assert header(handler_failure, "dlq_attempts") == str(platform.consumer_max_attempts)
    assert header(handler_failure, "dlq_original_topic") == TOPIC
    assert header(handler_failure, "dlq_original_offset").isdigit()
    assert header(handler_failure, "dlq_original_partition").isdigit()
    assert header(handler_failure, "dlq_consumer_group") == "cppcc-liaison.probe"
    assert header(handler_failure, "ce_type") == "cppcc.probe.thing.happened.v1"  # kept for redrive
    assert await count_effects(db_pool, f"good-{tag}") == 1


async def test_inbox_rows_past_retention_are_purged_and_recent_ones_kept(probe, platform, db_pool):
    from types import SimpleNamespace

    from liaison_shared import db
    from liaison_shared.inbox import PURGE_BATCH, purge_handled

    tag = uuid.uuid4().hex[:8]
    old = [f"old-{tag}-{n}" for n in range(3)]
    await db_pool.execute(
        "INSERT INTO probe.inbox (source, event_id, event_type, handled_at)"
        " SELECT 'test', e, 'probe', now() - interval '36 days' FROM unnest($1::text[]) AS e", old)
    await db_pool.execute(
        "INSERT INTO probe.inbox (source, event_id, event_type) VALUES ('test', $1, 'probe')", f"new-{tag}")
    pool = await db.create_pool(platform, "probe")
    try:
        runtime = SimpleNamespace(started_pool=lambda: pool, settings=platform)
        assert await purge_handled(runtime) == len(old) < PURGE_BATCH
        assert await purge_handled(runtime) == 0  # the drain job stops here
    finally:
        await pool.close()
    left = await db_pool.fetch("SELECT event_id FROM probe.inbox WHERE event_id LIKE $1", f"%-{tag}%")
    assert [r["event_id"] for r in left] == [f"new-{tag}"]
